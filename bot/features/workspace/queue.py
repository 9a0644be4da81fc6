"""``/queue``: the open cases this staff chat sees, oldest first, a line each — reference,
kind, status, age, assignee, an overdue mark — with filters (``overdue``, ``mine``,
``unassigned``, ``requests``, ``inquiries``, ``complaints``) and pages turned with buttons."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from bot.domain.dates import today_riyadh
from bot.domain.textutil import fold, isolate, localize_digits
from bot.engine.context import Ctx
from bot.engine.keyboards import Buttons, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.features.workspace import case_queue
from bot.features.workspace.case_queue import FILTERS, Scope
from bot.features.workspace.cases import Case, load_many
from bot.i18n import N_, translator
from storage.models import CaseAssignment, utcnow

PAGE = 10
# the filter in the page's title
FILTER_LABELS = {
    "overdue": N_("overdue cases"),
    "mine": N_("my cases"),
    "unassigned": N_("not taken by anyone"),
    "requests": N_("service requests"),
    "inquiries": N_("inquiries"),
    "complaints": N_("complaints and suggestions"),
}
# what staff may type after /queue besides the English names: Arabic, as folded by
# textutil.fold (no hamza, diacritics or ta marbuta), each word without its article
ARABIC_FILTERS = {
    "كل": "all",
    "جميع": "all",
    "متاخره": "overdue",
    "متاخر": "overdue",
    "متاخرات": "overdue",
    "حالاتي": "mine",
    "لي": "mine",
    "عهدتي": "mine",
    "في عهدتي": "mine",
    "قضاياي": "mine",
    "غير مسنده": "unassigned",
    "غير مسند": "unassigned",
    "لم يتولها احد": "unassigned",
    "طلبات": "requests",
    "استفسارات": "inquiries",
    "شكاوي": "complaints",
}


def filter_named(words: str) -> str | None:
    """The filter staff typed after /queue (``mine``, «حالاتي», «غير مسندة» …); None if none."""
    words_ = [w[2:] if w.startswith("ال") and len(w) > 3 else w for w in fold(words).split()]
    for key in (" ".join(words_), words_[0] if words_ else ""):  # the words, or the first one
        if key in FILTERS or not key:
            return key or "all"
        if key in ARABIC_FILTERS:
            return ARABIC_FILTERS[key]
    return None


def age(tr, case: Case) -> str:
    seconds = max(0, int((utcnow() - case.opened_at).total_seconds()))
    days = seconds // 86400
    if days:
        return tr.ngettext("{n} day", "{n} days", days).format(n=localize_digits(str(days), "ar"))
    hours = seconds // 3600
    return tr.ngettext("{n} hour", "{n} hours", hours).format(n=localize_digits(str(hours), "ar"))


def scope(ctx: Ctx) -> Scope:
    """What the chat of this command sees: every case in the main staff group, an area's
    tickets in its contact officer's chat."""
    now = utcnow()
    routes = [(c.id, c.staff_chat_id) for c in ctx.profile.faq.categories]
    return Scope(
        tenant=ctx.tenant,
        user_id=ctx.from_id,
        now=now,
        today=today_riyadh(now),
        categories=case_queue.categories_of(ctx.chat_id, ctx.rt.staff_chat_id, routes),
        clock_paused=ctx.profile.deadlines.pause_while_awaiting_documents,
    )


async def page_cases(
    ctx: Ctx, keys: list[tuple[str, int]]
) -> tuple[list[Case], dict[tuple[str, int], CaseAssignment]]:
    """The page's cases, in the page's order, and who holds each: three short reads by id."""
    cases = await load_many(ctx.session, ctx.tenant, keys)
    held: dict[tuple[str, int], CaseAssignment] = {}
    if keys:
        for row in await ctx.session.scalars(
            select(CaseAssignment).where(
                CaseAssignment.subject_id.in_(sorted({i for _, i in keys})),
            )
        ):
            held[row.subject_kind, row.subject_id] = row
    return [cases[key] for key in keys if key in cases], held


async def render(ctx: Ctx, name: str, page: int) -> tuple[str, Buttons]:
    tr = translator("ar")
    found = await case_queue.page(ctx.session, name, scope(ctx), page, PAGE)
    shown, held = await page_cases(ctx, found.keys)
    page, pages = found.number, found.pages
    title = tr.ngettext(
        "📋 <b>Open cases</b> ({n} case)", "📋 <b>Open cases</b> ({n} cases)", found.total
    ).format(n=localize_digits(str(found.total), "ar"))
    if name in FILTER_LABELS:
        title += " · " + tr.gettext(FILTER_LABELS[name])
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
        if case.overdue(now, clock_paused=ctx.profile.deadlines.pause_while_awaiting_documents):
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
    name = filter_named(ctx.event.command_args or "")
    if name is None:
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
