"""``/queue``: the open cases this staff chat sees, oldest first, a line each — reference,
kind, status, age, assignee, an overdue mark — with filters (``overdue``, ``mine``,
``unassigned``, ``requests``, ``inquiries``, ``complaints``) and pages turned with buttons."""

from __future__ import annotations

from html import escape

from bot.domain.textutil import isolate, localize_digits
from bot.engine.context import Ctx
from bot.engine.keyboards import Buttons, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.features.workspace.cases import FAMILIES, Case, assignments, open_cases
from bot.i18n import translator
from storage.models import CaseAssignment, utcnow

PAGE = 10
FILTERS = ("all", "overdue", "mine", "unassigned", *FAMILIES)
# what staff may type after /queue, Arabic too
ALIASES = {
    "": "all",
    "الكل": "all",
    "متأخرة": "overdue",
    "المتأخرة": "overdue",
    "لي": "mine",
    "قضاياي": "mine",
    "غير_مسندة": "unassigned",
    "الطلبات": "requests",
    "الاستفسارات": "inquiries",
    "الشكاوى": "complaints",
}


def _keep(case: Case, name: str, ctx: Ctx, held: dict[tuple[str, int], CaseAssignment]) -> bool:
    now = utcnow()
    assigned = held.get((case.kind, case.id))
    if name == "overdue":
        return case.overdue(now)
    if name == "mine":
        return assigned is not None and assigned.assignee_id == ctx.from_id
    if name == "unassigned":
        return assigned is None
    if name in FAMILIES:
        return case.family == FAMILIES[name]
    return True


def age(tr, case: Case) -> str:
    seconds = max(0, int((utcnow() - case.opened_at).total_seconds()))
    days = seconds // 86400
    if days:
        return tr.ngettext("{n} day", "{n} days", days).format(n=localize_digits(str(days), "ar"))
    hours = seconds // 3600
    return tr.ngettext("{n} hour", "{n} hours", hours).format(n=localize_digits(str(hours), "ar"))


async def render(ctx: Ctx, name: str, page: int) -> tuple[str, Buttons]:
    tr = translator("ar")
    held = await assignments(ctx)
    cases = [
        c
        for c in await open_cases(ctx)
        if c.visible_in(ctx, ctx.chat_id) and _keep(c, name, ctx, held)
    ]
    pages = max(1, -(-len(cases) // PAGE))
    page = min(max(page, 1), pages)
    shown = cases[(page - 1) * PAGE : page * PAGE]
    title = tr.ngettext(
        "📋 <b>Open cases</b> ({n} case)", "📋 <b>Open cases</b> ({n} cases)", len(cases)
    ).format(n=localize_digits(str(len(cases)), "ar"))
    if name != "all":
        title += " · " + escape(name)
    lines = [title, ""]
    if not shown:
        lines.append(tr.gettext("No open cases here. 🎉"))
    now = utcnow()
    for number, case in enumerate(shown, (page - 1) * PAGE + 1):
        assigned = held.get((case.kind, case.id))
        who = ("✋ " + escape(assigned.assignee_name)) if assigned else tr.gettext("unassigned")
        line = (
            f"{localize_digits(str(number), 'ar')}. {isolate(case.reference)} · "
            f"{escape(case.kind_label(tr))} · {escape(case.status_label(tr))} · {age(tr, case)} · {who}"
        )
        if case.waiting_on_beneficiary():
            line += " · " + tr.gettext("⏳ waiting on the beneficiary")
        if case.overdue(now):
            line += " · 🔴 " + tr.gettext("overdue")
        lines.append(line)
    if pages > 1:
        lines += [
            "",
            tr.gettext("Page {page} of {pages}").format(
                page=localize_digits(str(page), "ar"), pages=localize_digits(str(pages), "ar")
            ),
        ]
    lines += ["", tr.gettext("/find REFERENCE shows a case with its thread.")]
    row = []
    if page > 1:
        row.append(button(tr.gettext("◀️ Previous"), cb(NS.QUEUE, "p", name, page - 1)))
    if page < pages:
        row.append(button(tr.gettext("Next ▶️"), cb(NS.QUEUE, "p", name, page + 1)))
    return "\n".join(lines), inline([row])


async def queue_command(ctx: Ctx) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.reply_quoting(tr.gettext("Only members of the association's staff group can do this."))
        return
    word = (ctx.event.command_args or "").strip().split()
    name = ALIASES.get(word[0] if word else "", word[0].lower() if word else "all")
    if name not in FILTERS:
        ctx.reply_quoting(
            tr.gettext(
                "Use /queue, or /queue overdue, mine, unassigned, requests, inquiries or complaints."
            )
        )
        return
    text, keyboard = await render(ctx, name, 1)
    ctx.reply(text, keyboard)


async def on_page(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.answer(
            tr.gettext("Only members of the association's staff group can do this."), alert=True
        )
        return
    name, page = data.arg(0), data.int_arg(1)
    if name not in FILTERS or page is None:
        ctx.answer(tr.gettext("This button is no longer active."))
        return
    text, keyboard = await render(ctx, name, page)
    ctx.show(text, keyboard)
    ctx.answer()
