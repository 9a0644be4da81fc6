"""The text of /stats (Telegram HTML)."""

from __future__ import annotations

from bot.domain.reports.figures import (
    SUPPRESSION_NOTE,
    Report,
    Score,
    by_month_nonempty,
    fmt_count,
    fmt_hours,
    fmt_mean,
    fmt_share,
)
from bot.i18n import N_, Translator

# --------------------------------------------------------------------------------------------
# The text of /stats (Telegram HTML)
# --------------------------------------------------------------------------------------------


def _score_line(label: str, score: Score, tr: Translator) -> str:
    loc = tr.locale
    if score.hidden:
        return tr.gettext("• {label}: —").format(label=label)
    return tr.gettext("• {label}: {mean} of 5 · {share} satisfied · {count} responses").format(
        label=label,
        mean=fmt_mean(score.mean, loc),
        share=fmt_share(score.share, loc),
        count=fmt_count(score.responses, loc),
    )


def stats_text(report: Report, tr: Translator, *, max_rows: int = 12) -> str:
    from html import escape

    loc = tr.locale
    o = report.overall
    lines = [
        tr.gettext("📊 <b>Beneficiary satisfaction report</b> — {association}").format(
            association=escape(report.association)
        ),
        tr.gettext("Period: {period}").format(period=report.period.label(loc)),
        "",
    ]
    lines.append(
        tr.gettext("<b>Surveys</b>: {sent} sent · {finished} answered · answer rate {rate}").format(
            sent=fmt_count(report.sent, loc),
            finished=fmt_count(report.finished, loc),
            rate=fmt_share(report.answer_rate, loc),
        )
    )
    if o.hidden:
        lines.append(tr.gettext("<b>Satisfaction</b>: — (fewer than 5 responses in this period)"))
    else:
        lines.append(
            tr.gettext(
                "<b>Satisfaction</b>: {mean} of 5 · {share} satisfied · {count} responses"
            ).format(
                mean=fmt_mean(o.mean, loc),
                share=fmt_share(o.share, loc),
                count=fmt_count(o.responses, loc),
            )
        )
    sections = (
        (N_("By service"), report.by_service),
        (N_("By month"), by_month_nonempty(report.by_month)),
    )
    for title, groups in sections:
        if not groups:
            continue
        lines += ["", f"<b>{escape(tr.gettext(title))}</b>"]
        lines += [_score_line(escape(g.label), g.score, tr) for g in groups[:max_rows]]
        if len(groups) > max_rows:
            lines.append(
                tr.gettext("… and {count} more in the workbook (/export).").format(
                    count=fmt_count(len(groups) - max_rows, loc)
                )
            )
    fr, dec = report.first_response, report.decision
    lines += [
        "",
        tr.gettext("<b>Times</b>"),
        tr.gettext(
            "• First reply to inquiries and complaints: median {median}, mean {mean} ({count} cases)"
        ).format(
            median=fmt_hours(fr.median, tr),
            mean=fmt_hours(fr.mean, tr),
            count=fmt_count(fr.count, loc),
        ),
        tr.gettext(
            "• Decision on requests: median {median}, mean {mean} ({count} requests)"
        ).format(
            median=fmt_hours(dec.median, tr),
            mean=fmt_hours(dec.mean, tr),
            count=fmt_count(dec.count, loc),
        ),
        tr.gettext("• Decided within the deadline: {share}").format(
            share=fmt_share(report.in_time_share, loc)
        ),
        "",
        tr.gettext(
            "<b>Now</b>: {requests} requests awaiting a decision ({late} overdue) · {tickets} open cases ({late_tickets} overdue)"
        ).format(
            requests=fmt_count(report.open_requests, loc),
            late=fmt_count(report.overdue_requests, loc),
            tickets=fmt_count(report.open_tickets, loc),
            late_tickets=fmt_count(report.overdue_tickets, loc),
        ),
    ]
    if report.any_hidden:
        lines += ["", f"<i>{escape(tr.gettext(SUPPRESSION_NOTE))}</i>"]
    return "\n".join(lines)
