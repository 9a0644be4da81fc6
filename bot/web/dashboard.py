"""The supervisors' dashboard: the figures of ``/stats`` as a right-to-left Arabic web page.

``/dashboard`` in the staff group sends a supervisor, privately, a link signed with HMAC-SHA256
under a key derived from ``MUSTAFEED_SECRET_KEY``; the link names the supervisor and its expiry
(``u``, ``exp``, ``sig``) and the generation of the supervisor's links (``g``), and is refused
once expired, when altered, when its holder is no longer a supervisor or has left the staff
group (asked of Telegram), or after ``/dashboard revoke`` (which moves the generation on). The page is self-contained: CSS inline, charts as inline SVG, the Arabic
font (Noto Sans Arabic, from the ``fontpkg-noto-sans-arabic`` package) served by this app — no
script at all, nothing fetched from elsewhere.

Serving it:

* ``mustafeed dashboard --port 8090`` runs it beside the bot (same ``DATABASE_URL`` and secret);
* or mount :func:`make_dashboard_app` on another aiohttp server, e.g. the webhook's:
  ``web_app.add_subapp("/dashboard/", make_dashboard_app(app.rt))``.

``MUSTAFEED_DASHBOARD_URL`` is the public address of the page as supervisors reach it (default
``http://127.0.0.1:8090/``); ``MUSTAFEED_DASHBOARD_PORT`` the port ``mustafeed dashboard`` listens
on by default. ``mustafeed dashboard --link USER_ID`` prints a fresh link.

Beside the demo (``bash scripts/demo.sh``; its supervisor is user 2002, its database
``data/demo.db``, its key ``data/secret.key``), from the project's directory::

    DATABASE_URL=sqlite+aiosqlite:///./data/demo.db SUPERVISOR_IDS=2002 .venv/bin/mustafeed dashboard &
    SUPERVISOR_IDS=2002 .venv/bin/mustafeed dashboard --link 2002     # open the printed link

(``/stats`` works in the demo's staff group as it is; ``/dashboard`` and ``/export`` answer in
the supervisor's private chat, which the demo page does not show.)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from html import escape
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dates import format_datetime, today_riyadh
from bot.domain.reports import (
    SUPPRESSION_NOTE,
    Group,
    PeriodError,
    Report,
    arabic_font_path,
    build_report,
    by_month_nonempty,
    fmt_count,
    fmt_hours,
    fmt_mean,
    fmt_share,
    parse_period,
)
from bot.domain.roles import Role, role_of
from bot.engine.context import Runtime
from bot.i18n import Translator, translator
from bot.settings import Settings
from storage.models import DashboardGrant, utcnow

log = logging.getLogger(__name__)

LINK_HOURS = 12
ENV_URL = "MUSTAFEED_DASHBOARD_URL"
ENV_PORT = "MUSTAFEED_DASHBOARD_PORT"
DEFAULT_PORT = 8090
RUNTIME = web.AppKey("runtime", Runtime)
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the signed link stays out of other sites' logs
    "Cache-Control": "no-store",
}


# --------------------------------------------------------------------------------------------
# Signed links
# --------------------------------------------------------------------------------------------


class LinkError(Exception):
    def __init__(
        self, reason: str
    ) -> None:  # "expired" | "invalid" | "malformed" (not a link of ours at all)
        super().__init__(reason)
        self.reason = reason


def _key(settings: Settings) -> bytes:
    return hmac.new(
        settings.secret_key.encode(), b"mustafeed-dashboard-link-v1", hashlib.sha256
    ).digest()


def signature(
    settings: Settings, tenant: str, user_id: int, expires: int, generation: int = 0
) -> str:
    message = f"{tenant}:{user_id}:{expires}:{generation}".encode()
    return hmac.new(_key(settings), message, hashlib.sha256).hexdigest()


async def link_generation(session: AsyncSession, tenant: str, user_id: int) -> int:
    """The generation of the supervisor's links that still open the page (0 until a revoke)."""
    grant = await session.get(DashboardGrant, (tenant, user_id))
    return grant.generation if grant else 0


async def revoke_links(session: AsyncSession, tenant: str, user_id: int) -> int:
    """Every link the supervisor was given stops working; returns the new generation."""
    grant = await session.get(DashboardGrant, (tenant, user_id))
    if grant is None:
        grant = DashboardGrant(association_id=tenant, telegram_user_id=user_id, generation=0)
        session.add(grant)
    grant.generation = (grant.generation or 0) + 1
    grant.revoked_at = utcnow()
    return grant.generation


def dashboard_port() -> int:
    value = os.environ.get(ENV_PORT, "").strip()
    return int(value) if value.isdigit() else DEFAULT_PORT


def base_url() -> str:
    url = os.environ.get(ENV_URL, "").strip() or f"http://127.0.0.1:{dashboard_port()}/"
    return url if url.endswith("/") else url + "/"


def make_link(
    settings: Settings,
    tenant: str,
    user_id: int,
    now: datetime | None = None,
    *,
    hours: int = LINK_HOURS,
    base: str | None = None,
    generation: int = 0,
) -> tuple[str, datetime]:
    """A link for ``user_id``, valid for ``hours`` unless revoked (``generation``, see
    :func:`link_generation`); returns it with its expiry."""
    expires_at = (now or utcnow()) + timedelta(hours=hours)
    expires = int(expires_at.timestamp())
    query = {
        "u": user_id,
        "g": generation,
        "exp": expires,
        "sig": signature(settings, tenant, user_id, expires, generation),
    }
    return f"{base or base_url()}?{urlencode(query)}", expires_at


def verify(settings: Settings, tenant: str, query: Any, now: datetime | None = None) -> int:
    """The supervisor a link was made for; :class:`LinkError` when expired or not ours."""
    user, expires, given = query.get("u", ""), query.get("exp", ""), query.get("sig", "")
    generation = query.get("g", "")
    # ASCII digits only: "²".isdigit() is true, and int("²") raises
    if not all(v.isascii() and v.isdigit() and len(v) < 16 for v in (user, expires, generation)):
        raise LinkError("malformed")
    if not given.isascii():
        raise LinkError("malformed")
    expected = signature(settings, tenant, int(user), int(expires), int(generation))
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise LinkError("invalid")
    if int(expires) <= (now or utcnow()).timestamp():
        raise LinkError("expired")
    return int(user)


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------

CSS = """
@font-face{font-family:"Noto Sans Arabic";src:url("font.ttf") format("truetype");font-weight:100 900}
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans Arabic",system-ui,sans-serif;background:#f4f6f5;color:#1d2b26;line-height:1.6}
header{background:#1f7a5c;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:1.5rem}
header p{margin:2px 0 0;opacity:.9}
main{padding:18px 28px;max-width:1250px;margin:auto}
form.period{display:flex;flex-wrap:wrap;gap:10px;align-items:center;background:#fff;padding:10px 14px;border-radius:10px;margin-bottom:16px}
form.period input{font:inherit;padding:3px 6px}
form.period button{font:inherit;background:#1f7a5c;color:#fff;border:0;border-radius:6px;padding:4px 14px}
form.period a{color:#1f7a5c}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
.card{background:#fff;border-radius:10px;padding:12px 16px;box-shadow:0 1px 2px #0001}
.card .v{font-size:1.7rem;font-weight:700;color:#1f7a5c}
.card .l{color:#52615b;font-size:.92rem}
.card .s{color:#7a8782;font-size:.85rem}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:14px}
.panel{background:#fff;border-radius:10px;padding:12px 16px;box-shadow:0 1px 2px #0001}
.panel h2{font-size:1.1rem;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:right;padding:5px 8px;border-bottom:1px solid #e3e8e6}
th{color:#52615b;font-weight:600}
td.n{font-variant-numeric:tabular-nums}
.note{color:#6b7873;font-size:.88rem;margin-top:14px}
.tables{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:14px}
svg text{font-family:"Noto Sans Arabic",sans-serif}
@media (max-width:900px){.charts,.tables{grid-template-columns:1fr}}
"""


def _bars_svg(items: list[tuple[str, float | None]], tr: Translator, *, vertical: bool) -> str:
    """Bars of the share satisfied, laid out right to left; a hidden or empty group is a grey
    stub marked «—». Labels are SVG text, shaped by the browser."""
    if not items:
        empty = escape(tr.gettext("No answers in this period"))
        return f'<p class="note">{empty}</p>'
    green, grey = "#1f7a5c", "#c8d1cd"
    rtl = tr.locale == "ar"
    # with direction rtl, SVG's text-anchor "start" is a text's right end
    towards_left = "start" if rtl else "end"
    parts: list[str] = []
    if vertical:  # months: the earliest on the right
        width, height, top, bottom = 560, 270, 24, 58
        step = (width - 20) / len(items)
        plot = height - top - bottom
        for i, (label, value) in enumerate(items):
            x = width - 10 - step * (i + 0.5)
            h = plot * (value or 0) if value is not None else 4
            y = top + plot - h
            parts.append(
                f'<rect x="{x - step * 0.32:.1f}" y="{y:.1f}" width="{step * 0.64:.1f}" '
                f'height="{h:.1f}" rx="3" fill="{green if value is not None else grey}"/>'
            )
            parts.append(
                f'<text x="{x:.1f}" y="{y - 5:.1f}" font-size="12" text-anchor="middle">'
                f"{escape(fmt_share(value, tr.locale))}</text>"
            )
            name, _, year = label.rpartition(" ")  # «أكتوبر ٢٠٢٦م» on two lines
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16:.1f}" font-size="11" text-anchor="middle">'
                f'<tspan x="{x:.1f}">{escape(name or year)}</tspan>'
                f'<tspan x="{x:.1f}" dy="14">{escape(year if name else "")}</tspan></text>'
            )
        parts.append(
            f'<line x1="10" x2="{width - 10}" y1="{top + plot}" y2="{top + plot}" stroke="#9aa8a2"/>'
        )
        title = tr.gettext("Satisfied answers by month")
    else:  # services: labels on the right, bars growing leftwards
        row, label_w, width = 34, 210, 560
        height = row * len(items) + 10
        plot = width - label_w - 60
        for i, (label, value) in enumerate(items):
            y = 8 + row * i
            w = plot * (value or 0) if value is not None else 4
            x = width - label_w - 10 - w
            short = label if len(label) <= 34 else label[:33] + "…"
            parts.append(
                f'<text x="{width - 4}" y="{y + 18}" font-size="12" text-anchor="{towards_left}">'
                f"<title>{escape(label)}</title>{escape(short)}</text>"
            )
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 12}" rx="3" '
                f'fill="{green if value is not None else grey}"/>'
            )
            parts.append(
                f'<text x="{x - 6:.1f}" y="{y + 18}" font-size="12" text-anchor="{towards_left}">'
                f"{escape(fmt_share(value, tr.locale))}</text>"
            )
        title = tr.gettext("Satisfied answers by service")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'direction="{"rtl" if rtl else "ltr"}" aria-label="{escape(title)}" width="100%">'
        f"{''.join(parts)}</svg>"
    )


def _table(title: str, first_column: str, groups: list[Group], tr: Translator) -> str:
    loc = tr.locale
    columns = (
        first_column,
        tr.gettext("Responses"),
        tr.gettext("Mean satisfaction (of 5)"),
        tr.gettext("Share satisfied (4 or 5)"),
    )
    head = "<tr>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
    rows = []
    for g in groups:
        s = g.score
        count = "—" if s.hidden else fmt_count(s.responses, loc)
        rows.append(
            f"<tr><td>{escape(g.label)}</td><td class=n>{count}</td>"
            f"<td class=n>{fmt_mean(s.mean, loc)}</td><td class=n>{fmt_share(s.share, loc)}</td></tr>"
        )
    if not rows:
        empty = escape(tr.gettext("No answers in this period"))
        rows.append(f'<tr><td colspan="4">{empty}</td></tr>')
    return f'<div class="panel"><h2>{escape(title)}</h2><table>{head}{"".join(rows)}</table></div>'


def _card(value: str, label: str, sub: str = "") -> str:
    return (
        f'<div class="card"><div class="v">{escape(value)}</div><div class="l">{escape(label)}</div>'
        f'<div class="s">{escape(sub)}</div></div>'
    )


def render_page(
    report: Report,
    tr: Translator,
    link: dict[str, str],
    *,
    expires: datetime,
    today: date,
    notice: str = "",
) -> str:
    """The dashboard's HTML (one document, no script)."""
    loc = tr.locale
    o, fr, dec = report.overall, report.first_response, report.decision
    keep = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in link.items())

    def quick(label: str, start: date, end: date) -> str:
        query = urlencode({**link, "from": start.isoformat(), "to": end.isoformat()})
        return f'<a href="?{escape(query)}">{escape(label)}</a>'

    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    shortcuts = " · ".join(
        (
            quick(tr.gettext("Last 30 days"), today - timedelta(days=29), today),
            quick(tr.gettext("This month"), month_start, today),
            quick(tr.gettext("Last month"), last_month_end.replace(day=1), last_month_end),
            quick(tr.gettext("This year"), today.replace(month=1, day=1), today),
        )
    )
    cards = "".join(
        (
            _card(
                fmt_mean(o.mean, loc),
                tr.gettext("Mean satisfaction (of 5)"),
                ""
                if o.hidden
                else tr.gettext("Responses: {count}").format(count=fmt_count(o.responses, loc)),
            ),
            _card(fmt_share(o.share, loc), tr.gettext("Share satisfied (4 or 5)")),
            _card(
                fmt_share(report.answer_rate, loc),
                tr.gettext("Answer rate"),
                tr.gettext("Answered: {finished} · sent: {sent}").format(
                    finished=fmt_count(report.finished, loc), sent=fmt_count(report.sent, loc)
                ),
            ),
            _card(
                fmt_hours(fr.median, tr),
                tr.gettext("First reply (median)"),
                tr.gettext("Mean: {mean} · cases: {count}").format(
                    mean=fmt_hours(fr.mean, tr), count=fmt_count(fr.count, loc)
                ),
            ),
            _card(
                fmt_hours(dec.median, tr),
                tr.gettext("Decision on requests (median)"),
                tr.gettext("Mean: {mean} · cases: {count}").format(
                    mean=fmt_hours(dec.mean, tr), count=fmt_count(dec.count, loc)
                ),
            ),
            _card(fmt_share(report.in_time_share, loc), tr.gettext("Decided within the deadline")),
            _card(
                fmt_count(report.open_requests, loc),
                tr.gettext("Requests awaiting a decision (now)"),
                tr.gettext("Overdue: {count}").format(
                    count=fmt_count(report.overdue_requests, loc)
                ),
            ),
            _card(
                fmt_count(report.open_tickets, loc),
                tr.gettext("Open inquiries and complaints (now)"),
                tr.gettext("Overdue: {count}").format(count=fmt_count(report.overdue_tickets, loc)),
            ),
        )
    )
    months = [(g.label, g.score.share if g.score.answers else None) for g in report.by_month]
    services = [(g.label, g.score.share) for g in report.by_service][:12]
    tables = "".join(
        (
            _table(tr.gettext("By service"), tr.gettext("Service"), report.by_service, tr),
            _table(
                tr.gettext("By month"), tr.gettext("Month"), by_month_nonempty(report.by_month), tr
            ),
            _table(tr.gettext("By question"), tr.gettext("Question"), report.by_question, tr),
        )
    )
    notes = "<br>".join(
        escape(line)
        for line in (
            tr.gettext(SUPPRESSION_NOTE),
            tr.gettext(
                "Aggregates only: no beneficiary's name, number or answer can be seen here. Open and overdue counts are as of now."
            ),
            tr.gettext("Generated: {when} · this link works until {until}.").format(
                when=format_datetime(report.generated_at, loc), until=format_datetime(expires, loc)
            ),
        )
    )
    texts = {
        key: escape(value)
        for key, value in {
            "title": tr.gettext("Supervisors' dashboard"),
            "association": report.association,
            "period": tr.gettext("Period: {period}").format(period=report.period.label(loc)),
            "from": tr.gettext("From"),
            "to": tr.gettext("To"),
            "show": tr.gettext("Show"),
            "by_month": tr.gettext("Satisfied answers by month"),
            "by_service": tr.gettext("Satisfied answers by service"),
            "notice": notice,
        }.items()
    }
    direction = "rtl" if loc == "ar" else "ltr"
    return f"""<!doctype html>
<html lang="{loc}" dir="{direction}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>{texts["title"]} — {texts["association"]}</title><style>{CSS}</style></head>
<body><header><h1>{texts["title"]} — {texts["association"]}</h1><p>{texts["period"]}</p></header>
<main>
<form class="period" method="get" action="">{keep}
<label>{texts["from"]} <input type="date" name="from" value="{report.period.start.isoformat()}"></label>
<label>{texts["to"]} <input type="date" name="to" value="{report.period.end.isoformat()}"></label>
<button type="submit">{texts["show"]}</button> {shortcuts}
</form>
{f'<p class="note">{texts["notice"]}</p>' if notice else ""}
<section class="cards">{cards}</section>
<section class="charts">
<div class="panel"><h2>{texts["by_month"]}</h2>{_bars_svg(months, tr, vertical=True)}</div>
<div class="panel"><h2>{texts["by_service"]}</h2>{_bars_svg(services, tr, vertical=False)}</div>
</section>
<section class="tables">{tables}</section>
<p class="note">{notes}</p>
</main></body></html>"""


def _message_page(tr: Translator, text: str, status: int) -> web.Response:
    title = escape(tr.gettext("Supervisors' dashboard"))
    html = (
        f'<!doctype html><html lang="{tr.locale}" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{CSS}</style></head>"
        f'<body><main><div class="panel"><p>{escape(text)}</p></div></main></body></html>'
    )
    return web.Response(text=html, status=status, content_type="text/html", headers=HEADERS)


def make_dashboard_app(rt: Runtime) -> web.Application:
    """The dashboard as an aiohttp app: ``GET /`` (the page, with a signed link) and
    ``GET /font.ttf``. Mountable as a sub-app under any prefix (links are relative)."""
    app = web.Application()
    app[RUNTIME] = rt
    app.router.add_get("/", _page)
    app.router.add_get("/font.ttf", _font)
    return app


@lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    return arabic_font_path().read_bytes()


async def _font(request: web.Request) -> web.Response:
    return web.Response(
        body=_font_bytes(),
        content_type="font/ttf",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


async def _page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    tr = translator("ar")
    now = utcnow()
    try:
        user_id = verify(rt.settings, rt.tenant, request.query, now)
    except LinkError as exc:
        if exc.reason == "expired":
            return _message_page(
                tr,
                tr.gettext(
                    "This link has expired. Send /dashboard in the staff group for a new one."
                ),
                403,
            )
        return _message_page(
            tr,
            tr.gettext("This link is not valid. Send /dashboard in the staff group for a new one."),
            400 if exc.reason == "malformed" else 403,
        )
    today = today_riyadh(now)
    notice = ""
    try:
        wanted = " ".join(
            v for v in (request.query.get("from", ""), request.query.get("to", "")) if v
        )
        period = parse_period(wanted, today)
    except PeriodError:
        period = parse_period("", today)
        notice = tr.gettext("The dates could not be read; showing the last 30 days.")
    async with rt.db.read() as session:
        if (
            await role_of(session, rt.tenant, user_id, rt.settings.supervisor_ids)
            != Role.SUPERVISOR
        ):
            return _message_page(
                tr, tr.gettext("This page is for the association's supervisors only."), 403
            )
        if int(request.query["g"]) != await link_generation(session, rt.tenant, user_id):
            return _message_page(
                tr,
                tr.gettext(
                    "This link was cancelled. Send /dashboard in the staff group for a new one."
                ),
                403,
            )
    # still in the staff group? (asked of Telegram, cached a minute; no membership check: refused)
    if rt.channel is None or not await rt.channel.is_member(rt.staff_chat_id, user_id):
        return _message_page(
            tr, tr.gettext("This page is for members of the association's staff group only."), 403
        )
    report = await build_report(rt.db, rt.tenant, rt.profile, period, now)
    link = {k: request.query[k] for k in ("u", "g", "exp", "sig")}
    expires = datetime.fromtimestamp(int(link["exp"]), UTC)
    return web.Response(
        text=render_page(report, tr, link, expires=expires, today=today, notice=notice),
        content_type="text/html",
        headers=HEADERS,
    )


# --------------------------------------------------------------------------------------------
# Standalone: mustafeed dashboard [--port N] [--link USER_ID]
# --------------------------------------------------------------------------------------------


def standalone_runtime(settings: Settings, profile: Any) -> Runtime:
    """What the dashboard needs of a runtime (settings, profile, database), without a bot."""
    from bot.channels.telegram.adapter import TelegramChannel
    from bot.channels.telegram.transport import make_bot
    from storage.crypto import Vault
    from storage.db import Database

    settings.require_bot()  # to ask Telegram whether a link's holder is still in the staff group
    bot = make_bot(settings, pool_size=8)
    assert settings.staff_chat_id is not None
    rt = Runtime(
        settings=settings,
        profile=profile,
        db=Database(settings.database_url).scoped(profile.association.id),
        bot=bot,
        vault=Vault(settings.secret_key),
        sender=None,  # type: ignore[arg-type]
        staff_chat_id=settings.staff_chat_id,
    )
    rt.channel = TelegramChannel(bot)  # asks Telegram (cached) who is in the staff group
    return rt


async def serve(rt: Runtime, host: str, port: int) -> None:
    from bot.engine.service import until_signalled

    runner = web.AppRunner(make_dashboard_app(rt), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("dashboard listening on http://%s:%s/ (links point to %s)", host, port, base_url())
    try:
        await until_signalled()
    finally:
        await runner.cleanup()
        await rt.db.dispose()
        await rt.bot.shutdown()


async def _cli_link(settings: Settings, tenant: str, user_id: int) -> tuple[str, datetime]:
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.read() as session:
            generation = await link_generation(session, tenant, user_id)
    finally:
        await db.dispose()
    return make_link(settings, tenant, user_id, generation=generation)


def run_cli(
    settings: Settings, profile: Any, host: str, port: int | None, link_for: int | None
) -> int:
    import asyncio

    if link_for is not None:
        url, expires = asyncio.run(_cli_link(settings, profile.association.id, link_for))
        print(f"{url}\n(valid until {expires:%Y-%m-%d %H:%M} UTC)")
        return 0
    asyncio.run(serve(standalone_runtime(settings, profile), host, port or dashboard_port()))
    return 0
