"""The report chart (PNG): monthly trend and per service, Arabic shaped right to left."""

from __future__ import annotations

from pathlib import Path

from bot.domain.reports.figures import SUPPRESSION_NOTE, Report, fmt_share
from bot.i18n import Translator

# --------------------------------------------------------------------------------------------
# Chart (PNG): monthly trend and per service, Arabic shaped right to left
# --------------------------------------------------------------------------------------------


def arabic_font_path() -> Path:
    """Noto Sans Arabic (SIL OFL), installed from PyPI by the ``fontpkg-noto-sans-arabic``
    dependency — matplotlib's own fonts have no Arabic."""
    import fontpkg

    return Path(fontpkg.path("Noto Sans Arabic"))


_FONT_NAME: str | None = None


def _font_family() -> list[str]:
    global _FONT_NAME
    if _FONT_NAME is None:
        from matplotlib import font_manager

        path = arabic_font_path()
        font_manager.fontManager.addfont(str(path))
        _FONT_NAME = font_manager.FontProperties(fname=str(path)).get_name()
    return [_FONT_NAME, "DejaVu Sans"]


def chart_series(
    report: Report,
) -> tuple[list[tuple[str, float | None, bool]], list[tuple[str, float | None, bool]]]:
    """(label, share satisfied, hidden) per month and per service; an empty month has no share
    and is not hidden."""
    months = [(g.label, g.score.share, g.score.hidden) for g in report.by_month]
    services = [(g.label, g.score.share, g.score.hidden) for g in report.by_service]
    return months, services


def render_chart(report: Report, tr: Translator) -> bytes:
    """A PNG with two panels, laid out right to left: the share of satisfied answers per month
    (earliest on the right) and per service (labels on the right, bars growing leftwards).

    matplotlib (≥ 3.11) shapes Arabic and orders it right to left itself (libraqm), so the
    labels are given as plain logical text."""
    import io
    import textwrap

    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    loc = tr.locale
    rtl = "\u200f" if loc == "ar" else ""  # RLM: a lone «٧٧٪» is laid out right to left too

    def share(value: float | None) -> str:
        return rtl + fmt_share(value, loc)

    months, services = chart_series(report)
    services = services[:12]
    height = max(4.6, 1.6 + 0.42 * len(services))
    with rc_context({"font.family": _font_family(), "font.size": 10, "axes.unicode_minus": False}):
        fig = Figure(
            figsize=(11, height), dpi=100
        )  # margins set by hand: a layout engine doubles the drawing
        FigureCanvasAgg(fig)
        ax_services, ax_months = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.15)})
        fig.subplots_adjust(
            left=0.02, right=0.94, top=1 - 0.75 / height, bottom=1.0 / height, wspace=0.62
        )
        fig.suptitle(
            f"{report.association} — {report.period.label(loc)}", fontsize=12, x=0.94, ha="right"
        )
        color, muted, stub = "#1f7a5c", "#b9c4bf", 3.0

        def height_of(value: float | None, hidden: bool) -> float:
            return stub if hidden else (value or 0) * 100

        def note(value: float | None, hidden: bool) -> str:
            return "—" if hidden else "" if value is None else share(value)

        # per month: bars, time running right to left
        xs = list(range(len(months)))
        ax_months.bar(
            xs,
            [height_of(v, h) for _, v, h in months],
            width=0.65,
            color=[muted if h else color for _, _, h in months],
        )
        for x, (_, v, h) in zip(xs, months, strict=True):
            ax_months.text(x, height_of(v, h) + 2, note(v, h), ha="center", fontsize=9)
        ax_months.set_xticks(
            xs,
            [textwrap.fill(label, 12) for label, _, _ in months],
            fontsize=8 if len(months) > 6 else 9,
            rotation=0 if len(months) <= 8 else 60,
        )
        ax_months.set_xlim(len(months) - 0.5, -0.5)  # right to left
        ax_months.set_ylim(0, 110)
        ax_months.yaxis.tick_right()
        ax_months.set_yticks([0, 25, 50, 75, 100], [share(v / 100) for v in (0, 25, 50, 75, 100)])
        ax_months.set_title(tr.gettext("Satisfied answers by month"), loc="right", fontsize=11)

        # per service: horizontal bars from the right
        ys = list(range(len(services)))
        ax_services.barh(
            ys,
            [height_of(v, h) for _, v, h in services],
            height=0.6,
            color=[muted if h else color for _, _, h in services],
        )
        for y, (_, v, h) in zip(ys, services, strict=True):
            ax_services.text(
                height_of(v, h) + 2, y, note(v, h), va="center", ha="right", fontsize=9
            )
        ax_services.set_yticks(
            ys,
            [textwrap.fill(label, 28) for label, _, _ in services],
            fontsize=9,
            multialignment="right",
        )
        ax_services.yaxis.tick_right()
        ax_services.set_xlim(112, 0)  # bars grow leftwards from the labels
        ax_services.set_ylim(len(services) - 0.5 if services else 0.5, -0.5)
        ax_services.set_xticks([0, 50, 100], [share(v / 100) for v in (0, 50, 100)])
        ax_services.set_title(tr.gettext("Satisfied answers by service"), loc="right", fontsize=11)
        for ax, series in ((ax_months, months), (ax_services, services)):
            ax.spines[["top", "left"]].set_visible(False)
            if not any(value is not None or hidden for _, value, hidden in series):
                ax.text(
                    0.5,
                    0.5,
                    tr.gettext("No answers in this period"),
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    color="#667",
                )
        if report.any_hidden:
            fig.text(0.94, 0.01, tr.gettext(SUPPRESSION_NOTE), ha="right", fontsize=8, color="#667")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()
