"""Learning from hand-overs (issue #15): once staff have answered an inquiry (or closed it),
its card offers «📚 إضافة إلى الأسئلة الشائعة». The matcher's five best entries for the
question are listed in full and offered as numbered buttons; the one staff choose gets the
beneficiary's words — scrubbed of digits, names, IDs, mobiles, e-mails and links — as a learned
phrasing (bot/domain/faq/learned.py), used by the matcher from the next question on. The
profile's ``faq.learning`` says who confirms it: the staff member at once (``immediate``) or a
supervisor (``supervisor``). A learned phrasing can be undone from the same message. When the
right entry is not among the five, «🔎 بحث بكلمات» finds it by words
(bot/features/inquiries/faq_search.py)."""

from __future__ import annotations

from html import escape

from bot.domain.faq import learned
from bot.domain.faq.learning import learnable
from bot.engine.context import Ctx
from bot.engine.keyboards import Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.features.inquiries import faq_drafting, faq_search
from bot.i18n import translator
from storage.models import LearnedPhrasing, Ticket

CANDIDATES = 5


async def _is_supervisor(ctx: Ctx) -> bool:
    return await faq_drafting.is_supervisor(ctx)


async def on_button(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.answer(
            tr.gettext("Only members of the association's staff group can do this."), alert=True
        )
        return
    if data.action == "offer":
        await _offer(ctx, data)
    elif data.action == "link":
        await _link(ctx, data)
    elif data.action == "approve":
        await _approve(ctx, data)
    elif data.action == "remove":
        await _remove(ctx, data)
    elif data.action in ("draft", "search"):
        ticket = await _ticket(ctx, data)
        if ticket is None:
            ctx.answer(tr.gettext("This button is no longer active."))
        elif data.action == "search":
            faq_search.prompt(ctx, ticket)
        else:
            await faq_drafting.draft(ctx, ticket)
    elif data.action in ("dadd", "dok", "drop"):
        await faq_drafting.on_action(ctx, data.action, data.int_arg(0))
    else:  # "cancel" and anything forged
        ctx.answer()
        ctx.show(tr.gettext("No phrasing was added to the FAQ."))


async def _ticket(ctx: Ctx, data: Callback) -> Ticket | None:
    return await faq_search.load_ticket(ctx, data.int_arg(0))


async def _offer(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    ticket = await _ticket(ctx, data)
    if ticket is None:
        ctx.answer(tr.gettext("This button is no longer active."))
        return
    words = learnable(ticket.subject)
    matcher = ctx.rt.matcher
    if words is None or matcher is None:
        ctx.answer(
            tr.gettext("Nothing is left of this question once personal details are removed."),
            alert=True,
        )
        return
    found = [(m, ctx.profile.faq_entry(m.entry_id)) for m in matcher.rank(words, k=CANDIDATES)]
    ranked = [(m, e) for m, e in found if e is not None]
    ctx.answer()
    new_entry = [faq_search.search_button(ticket.id), faq_search.draft_button(ticket.id)]
    if not ranked:
        ctx.reply_quoting(
            tr.gettext(
                "No FAQ entry is close to this question; a new entry can be drafted from the staff answer."
            ),
            inline([new_entry]),
        )
        return
    lines = [
        tr.gettext(
            "📚 Which FAQ entry answers this question? The beneficiary's words, without personal details, will be added to it:"
        ),
        f"«{escape(words)}»",
        "",
    ]
    choices, numbers = faq_search.choices(
        ctx, ticket.id, [e for _, e in ranked], disliked=ticket.data.get("disliked")
    )
    lines += choices
    ctx.reply_quoting(
        "\n".join(lines),
        inline(
            [
                numbers,
                new_entry,
                [button(tr.gettext("✖️ None of them"), cb(NS.FAQ_LEARN, "cancel"))],
            ]
        ),
    )


async def _link(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    ticket = await _ticket(ctx, data)
    index = data.int_arg(1)
    entries = ctx.profile.faq.entries
    if ticket is None or index is None or not 0 <= index < len(entries):
        ctx.answer(tr.gettext("This button is no longer active."))
        return
    entry = entries[index]
    immediate = ctx.profile.faq.learning == "immediate" or await _is_supervisor(ctx)
    row = await learned.teach(
        ctx.session,
        ctx.tenant,
        ctx.rt.matcher,
        entry.id,
        ticket.subject,
        staff_id=ctx.from_id,
        ticket_id=ticket.id,
        approved=immediate,
    )
    if row is None:
        ctx.answer(
            tr.gettext("Nothing is left of this question once personal details are removed."),
            alert=True,
        )
        return
    ctx.audit(
        action="faq_phrasing_added",
        subject_kind="ticket",
        subject_id=ticket.id,
        detail={"entry": entry.id, "phrasing": row.id, "status": row.status},
    )
    ctx.answer(tr.gettext("Done ✓"))
    _show_row(ctx, row, entry.question.get("ar"))


def _show_row(ctx: Ctx, row: LearnedPhrasing, question: str) -> None:
    tr = translator("ar")
    if row.status == learned.APPROVED:
        text = tr.gettext(
            "📚 «{words}» was added to the FAQ entry «{question}». The assistant answers it from now on."
        )
        keyboard = inline([[button(tr.gettext("↩️ Undo"), cb(NS.FAQ_LEARN, "remove", row.id))]])
    else:
        text = tr.gettext(
            "📚 «{words}» will be added to the FAQ entry «{question}» once a supervisor approves it."
        )
        keyboard = inline(
            [
                [
                    button(
                        tr.gettext("✅ Approve (supervisors)"), cb(NS.FAQ_LEARN, "approve", row.id)
                    ),
                    button(tr.gettext("✖️ Reject"), cb(NS.FAQ_LEARN, "remove", row.id)),
                ]
            ]
        )
    ctx.show(text.format(words=escape(row.text), question=escape(question)), keyboard)


async def _approve(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not await _is_supervisor(ctx):
        ctx.answer(tr.gettext("Only a supervisor can approve this."), alert=True)
        return
    phrasing_id = data.int_arg(0)
    row = (
        await learned.approve(ctx.session, ctx.rt.matcher, phrasing_id, ctx.from_id)
        if phrasing_id is not None
        else None
    )
    if row is None:
        ctx.answer(tr.gettext("This button is no longer active."))
        return
    entry = ctx.profile.faq_entry(row.entry_id)
    ctx.answer(tr.gettext("Done ✓"))
    _show_row(ctx, row, entry.question.get("ar") if entry else row.entry_id)


async def _remove(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    phrasing_id = data.int_arg(0)
    if phrasing_id is None or not await learned.remove(ctx.session, ctx.rt.matcher, phrasing_id):
        ctx.answer(tr.gettext("This button is no longer active."))
        return
    ctx.answer(tr.gettext("Done ✓"))
    ctx.show(tr.gettext("The phrasing was removed from the FAQ."))
