"""Supervisor commands in the staff group (policy clauses 6 and 7): ``/stats [period]`` (text and
a chart), ``/export [period]`` (an XLSX workbook, sent privately) and ``/dashboard`` (a signed,
expiring link to the web page, sent privately; ``/dashboard revoke`` cancels the links given
before). Anyone else is refused politely.

The figures come from ``bot.domain.reports``. ``/stats`` answers within the update's transaction; the
workbook can hold a very large number of answers, so ``/export`` is written after the update
commits, by a background task that reads on its own session and hands the file to the outbox —
the bot's writer is never held while a big workbook is written.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import time
from html import escape
from pathlib import Path

from bot.domain import reports
from bot.domain.dates import format_datetime, today_riyadh
from bot.domain.roles import Role, role_of
from bot.engine.context import Ctx, Runtime
from bot.engine.dispatch import unit_of_work
from bot.engine.router import Router
from bot.i18n import translator
from bot.web.dashboard import link_generation, make_link, revoke_links

log = logging.getLogger(__name__)
KEEP_FILES_SECONDS = 2 * 86400  # charts and workbooks wait this long for the outbox, then go
_background: set[asyncio.Task[None]] = set()


async def _is_supervisor(ctx: Ctx) -> bool:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.reply_quoting(tr.gettext("Only members of the association's staff group can do this."))
        return False
    if (
        await role_of(ctx.session, ctx.tenant, ctx.from_id, ctx.rt.settings.supervisor_ids)
        != Role.SUPERVISOR
    ):
        ctx.reply_quoting(
            tr.gettext(
                "Sorry, reports are for the association's supervisors only. If you need a figure, a supervisor will gladly share it with you."
            )
        )
        return False
    return True


def _period(ctx: Ctx, command: str) -> reports.Period | None:
    tr = translator("ar")
    text = ctx.event.text
    args = (text or "").partition(" ")[2]
    try:
        return reports.parse_period(args, today_riyadh())
    except reports.PeriodError:
        ctx.reply_quoting(
            tr.gettext(
                "I could not read the period. For example:\n/{command} — the last 30 days\n/{command} 2026-10 — one month\n/{command} 1448-09 — a Hijri month (Ramadan 1448)\n/{command} 2026-01-01 2026-06-30 — from a day to a day"
            ).format(command=command)
        )
        return None


def new_file(rt: Runtime, name: str) -> Path:
    """A fresh path under ``data_dir/reports`` for a file the outbox will upload; files older
    than two days are removed on the way."""
    root = Path(rt.settings.data_dir) / "reports"
    root.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_FILES_SECONDS
    for old in root.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        except OSError:
            pass
    folder = root / secrets.token_hex(8)
    folder.mkdir()
    return folder / name


async def stats(ctx: Ctx) -> None:
    if not await _is_supervisor(ctx):
        return
    period = _period(ctx, "stats")
    if period is None:
        return
    tr = translator("ar")
    report = await reports.build_report(
        ctx.rt.db, ctx.tenant, ctx.profile, period
    )  # parallel readers
    ctx.reply_quoting(reports.stats_text(report, tr))
    png = await asyncio.to_thread(reports.render_chart, report, tr)
    path = new_file(ctx.rt, f"satisfaction-{period.start}_{period.end}.png")
    path.write_bytes(png)
    ctx.send_file(
        ctx.chat_id,
        path,
        tr.gettext("Satisfied answers by month and by service — {period}").format(
            period=period.label("ar")
        ),
        kind="photo",
    )


async def export(ctx: Ctx) -> None:
    if not await _is_supervisor(ctx):
        return
    period = _period(ctx, "export")
    if period is None:
        return
    tr = translator("ar")
    ctx.reply_quoting(
        tr.gettext(
            "I am preparing the workbook for {period}. I will send it to you in a private chat with the bot in a moment (start that chat first if you have not)."
        ).format(period=period.label("ar"))
    )
    task = asyncio.create_task(send_workbook(ctx.rt, ctx.from_id, period), name="export")
    _background.add(task)
    task.add_done_callback(_background.discard)


async def send_workbook(rt: Runtime, user_id: int, period: reports.Period) -> None:
    """Write the workbook on a read session, then queue it for ``user_id`` through the outbox."""
    tr = translator("ar")
    path = new_file(rt, f"mustafeed-report-{period.start}_{period.end}.xlsx")
    try:
        async with rt.db.read(offload=True) as session:
            result = await reports.export(session, rt.tenant, rt.profile, period, "xlsx", path)
        caption = tr.gettext(
            "📊 Satisfaction report — {period}: summary, by service, by month, and the anonymised answers."
        ).format(period=period.label("ar"))
        if result.truncated:
            caption += "\n" + tr.gettext(
                "The answers sheet was cut at the spreadsheet's row limit; choose a shorter period for all of them."
            )
    except Exception:
        log.exception("export failed")
        result = None
    async with unit_of_work(rt) as work:  # a deferred reply: no inbound event
        if result is not None:
            work.send_file(user_id, path, caption)
        else:
            work.send(
                user_id,
                tr.gettext(
                    "Sorry, the workbook could not be prepared. Please try again in a little while."
                ),
            )


async def wait_background(timeout: float = 60.0) -> None:
    """Until every deferred export has been queued (tests, shutdown)."""
    if _background:
        await asyncio.wait_for(asyncio.gather(*list(_background), return_exceptions=True), timeout)


async def dashboard(ctx: Ctx) -> None:
    if not await _is_supervisor(ctx):
        return
    tr = translator("ar")
    if ctx.event.command_args.strip().lower() == "revoke":
        await revoke_links(ctx.session, ctx.tenant, ctx.from_id)
        ctx.reply_quoting(
            tr.gettext(
                "Done: every dashboard link you were given before no longer works. Send /dashboard for a new one."
            )
        )
        return
    generation = await link_generation(ctx.session, ctx.tenant, ctx.from_id)
    url, expires = make_link(ctx.rt.settings, ctx.tenant, ctx.from_id, generation=generation)
    ctx.send(
        ctx.from_id,
        tr.gettext(
            '🔗 <b>The supervisors\' dashboard</b>\n<a href="{url}">Open the dashboard</a>\nThis link is for you only; please do not forward it. It works until {until}.'
        ).format(url=escape(url, quote=True), until=format_datetime(expires, "ar")),
    )
    ctx.reply_quoting(
        tr.gettext(
            "I sent you the dashboard link in a private chat with the bot (start that chat first if you have not)."
        )
    )


def register(router: Router) -> None:
    router.staff_command("stats")(stats)
    router.staff_command("export")(export)
    router.staff_command("dashboard")(dashboard)
