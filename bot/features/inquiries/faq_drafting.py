"""A new FAQ entry drafted from a staff answer (issue #15), from the «📚» offer of an answered
inquiry: the question is the beneficiary's words without personal details (staff change it by
replying to the draft), the answer is the staff reply. «✅ Add» approves it at once or, when
the profile's ``faq.learning`` is ``supervisor`` (and the staff member is not one), leaves it
pending with «✅ Approve» / «✖️ Reject» for a supervisor. An approved entry is served at once
(the running profile and matcher gain it) and again after every restart
(bot.domain.faq.drafts)."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from bot.domain.faq import drafts
from bot.domain.roles import Role
from bot.domain.textutil import clean_input
from bot.engine.context import Ctx
from bot.engine.keyboards import Buttons, button, cb, inline
from bot.engine.namespaces import NS
from bot.features.staff.staff_group import staff_actor
from bot.i18n import translator
from storage.models import FaqDraft, StaffMessageLink, Ticket, TicketMessage

DRAFT_LINK = "faq_draft"


async def is_supervisor(ctx: Ctx) -> bool:
    return (await staff_actor(ctx)).role == Role.SUPERVISOR


async def _staff_answer(ctx: Ctx, ticket: Ticket) -> str:
    """The staff replies to the beneficiary on this ticket, in order (texts only)."""
    texts = await ctx.session.scalars(
        select(TicketMessage.text)
        .where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.direction == "out",
            TicketMessage.text.is_not(None),
        )
        .order_by(TicketMessage.id)
    )
    return "\n".join(t for t in texts if t and t.strip())


async def draft(ctx: Ctx, ticket: Ticket) -> None:
    """«📝 Draft a new entry»: the draft, posted as its own message (a reply to it edits the
    question)."""
    tr = translator("ar")
    answer = await _staff_answer(ctx, ticket)
    if not answer:
        ctx.answer(
            tr.gettext("Answer the beneficiary first: the answer becomes the entry's answer."),
            alert=True,
        )
        return
    categories = [c.id for c in ctx.profile.faq.categories]
    category: str | None = (
        ticket.category if ticket.category in categories else next(iter(categories), None)
    )
    row = (
        await drafts.open_draft(
            ctx.session,
            ctx.tenant,
            ticket.subject,
            answer,
            category=category,
            ticket_id=ticket.id,
            staff_id=ctx.from_id,
        )
        if category
        else None
    )
    if row is None:
        ctx.answer(
            tr.gettext("Nothing is left of this question once personal details are removed."),
            alert=True,
        )
        return
    ctx.answer()
    _post(ctx, row)


def _text(row: FaqDraft) -> str:
    tr = translator("ar")
    head = {
        drafts.DRAFT: tr.gettext("📝 A new FAQ entry (draft):"),
        drafts.PENDING: tr.gettext("📝 A new FAQ entry, waiting for a supervisor's approval:"),
        drafts.APPROVED: tr.gettext(
            "📚 A new FAQ entry was added. The assistant answers it from now on:"
        ),
        drafts.REJECTED: tr.gettext("The new FAQ entry was not added:"),
    }[row.status]
    lines = [
        head,
        "",
        tr.gettext("Question: «{question}»").format(question=escape(row.question)),
        tr.gettext("Answer: «{answer}»").format(answer=escape(row.answer)),
    ]
    if row.status == drafts.DRAFT:
        lines += ["", tr.gettext("To change the question, reply to this message with its wording.")]
    return "\n".join(lines)


def _keyboard(row: FaqDraft) -> Buttons | None:
    tr = translator("ar")
    if row.status == drafts.DRAFT:
        return inline(
            [
                [
                    button(tr.gettext("✅ Add to the FAQ"), cb(NS.FAQ_LEARN, "dadd", row.id)),
                    button(tr.gettext("✖️ Cancel"), cb(NS.FAQ_LEARN, "drop", row.id)),
                ]
            ]
        )
    if row.status == drafts.PENDING:
        return inline(
            [
                [
                    button(tr.gettext("✅ Approve (supervisors)"), cb(NS.FAQ_LEARN, "dok", row.id)),
                    button(tr.gettext("✖️ Reject"), cb(NS.FAQ_LEARN, "drop", row.id)),
                ]
            ]
        )
    return None


def _post(ctx: Ctx, row: FaqDraft) -> None:
    ctx.send(ctx.chat_id, _text(row), _keyboard(row), link=(DRAFT_LINK, row.id))


def _serve(ctx: Ctx, row: FaqDraft) -> None:
    ctx.rt.profile = drafts.serve(ctx.rt.profile, ctx.rt.matcher, row)
    ctx.audit(
        action="faq_entry_added",
        subject_kind="ticket",
        subject_id=row.ticket_id,
        detail={"entry": drafts.entry_id(row), "draft": row.id},
    )


async def on_action(ctx: Ctx, action: str, draft_id: int | None) -> None:
    """The draft's buttons: add (dadd), approve (dok), cancel or reject (drop)."""
    tr = translator("ar")
    row = await drafts.get(ctx.session, draft_id) if draft_id is not None else None
    wanted = {"dadd": (drafts.DRAFT,), "dok": (drafts.PENDING,)}.get(
        action, (drafts.DRAFT, drafts.PENDING)
    )
    if row is None or row.status not in wanted:
        ctx.answer(tr.gettext("This button is no longer active."))
        return
    supervisor = await is_supervisor(ctx)
    if (action == "dok" or (action == "drop" and row.status == drafts.PENDING)) and not supervisor:
        ctx.answer(tr.gettext("Only a supervisor can approve this."), alert=True)
        return
    if action == "dadd":
        immediate = ctx.profile.faq.learning == "immediate" or supervisor
        await drafts.submit(ctx.session, row, approved=immediate, staff_id=ctx.from_id)
    elif action == "dok":
        await drafts.approve(ctx.session, row, ctx.from_id)
    else:
        await drafts.reject(ctx.session, row)
    if row.status == drafts.APPROVED:
        _serve(ctx, row)
    ctx.answer(tr.gettext("Done ✓"))
    ctx.show(_text(row), _keyboard(row))


async def edit_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    """A staff reply to a draft: its text becomes the draft's question (scrubbed too)."""
    if link.subject_kind != DRAFT_LINK:
        return False
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.reply_quoting(tr.gettext("Only members of the association's staff group can do this."))
        return True
    row = await drafts.get(ctx.session, link.subject_id)
    text = clean_input(ctx.event.text or "")
    if row is None or row.status != drafts.DRAFT:
        ctx.reply_quoting(tr.gettext("This draft can no longer be changed."))
        return True
    if not drafts.set_question(row, text):
        ctx.reply_quoting(
            tr.gettext("Nothing is left of this question once personal details are removed.")
        )
        return True
    await ctx.session.flush()
    ctx.clear_buttons(link.chat_id, link.message_id)
    _post(ctx, row)
    return True
