"""The ticket card in the staff group (an inquiry handed over, a complaint, a suggestion, a
compensation claim): masked identity, the beneficiary's words, what the bot suggested, and the
buttons for the ticket's kind and status. Posted to the area's contact officer when the profile
routes the category there (policy clause 23)."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from bot.domain.dates import format_datetime
from bot.domain.lifecycle import card_actions
from bot.domain.textutil import isolate, mask_name, mask_numbers
from bot.domain.tickets import KIND_LABELS, OPEN_STATUSES, STATUS_LABELS, Kind, TicketStatus
from bot.engine.context import UNREACHABLE, Ctx, UnitOfWork
from bot.engine.keyboards import Button, Buttons, button, cb, inline
from bot.engine.namespaces import NS
from bot.features.staff.staff_group import assignee_line, work_row
from bot.i18n import N_, translator
from storage.models import Beneficiary, StaffMessageLink, Ticket

LINK = "ticket"
BEN_LINK = "tk_b"  # our message about a ticket in the beneficiary's chat: a reply to it joins it
LANGUAGE_NAMES = {"ar": N_("Arabic"), "en": N_("English")}


def masked_sender(ctx: Ctx) -> str:
    """The sender's Telegram name, masked (first name and an initial) for the staff group."""
    return mask_name(ctx.event.user_name) if ctx.event.user_id is not None else ""


def route(ctx: Ctx, ticket: Ticket) -> tuple[int, int | None]:
    chat_id, topic_id = ctx.profile.staff_route(ticket.category)
    return chat_id or ctx.rt.staff_chat_id, topic_id


async def card_text(ctx: Ctx, ticket: Ticket) -> str:
    tr = translator("ar")
    person = (
        await ctx.session.get(Beneficiary, ticket.beneficiary_id) if ticket.beneficiary_id else None
    )
    kind_label = tr.gettext(KIND_LABELS[Kind(ticket.kind)])
    lines = [
        f"<b>{escape(kind_label)}</b> {isolate(ticket.reference)}",
        tr.gettext("Status: {status}").format(
            status=tr.gettext(STATUS_LABELS[TicketStatus(ticket.status)])
        ),
    ]
    if person is not None:
        lines.append(
            tr.gettext("Beneficiary: {who} (#{number}) · language: {language}").format(
                who=escape(ticket.data.get("who") or "—"),
                number=person.id,
                language=tr.gettext(LANGUAGE_NAMES.get(person.locale, person.locale)),
            )
        )
    if ticket.due_at:
        lines.append(
            tr.gettext("Reply due by: {when}").format(when=format_datetime(ticket.due_at, "ar"))
        )
    subject = ticket.data.get("title") or ""
    if subject:
        lines.append(tr.gettext("Subject: {subject}").format(subject=escape(subject)))
    lines.append("")
    lines.append(f"«{escape(mask_numbers(ticket.subject))}»")
    disliked = ctx.profile.faq_entry(ticket.data.get("disliked") or "")
    suggested = [ctx.profile.faq_entry(e) for e in ticket.data.get("suggested", [])]
    if disliked is not None:
        lines.append("")
        lines.append(
            tr.gettext(
                "👎 The assistant answered with «{question}», and the beneficiary said it did not answer the question."
            ).format(question=escape(disliked.question.get("ar")))
        )
    elif suggested := [e for e in suggested if e is not None]:
        lines.append("")
        lines.append(tr.gettext("The bot had suggested:"))
        lines += [f"• {escape(e.question.get('ar'))}" for e in suggested]
    if ticket.kind == Kind.COMPENSATION and "breach" in ticket.data:
        lines.append(
            tr.gettext("Breach acknowledged: {answer}").format(
                answer=tr.gettext("Yes") if ticket.data["breach"] else tr.gettext("No")
            )
        )
    if held := await assignee_line(ctx, LINK, ticket.id):
        lines.append(held)
    if ticket.outcome:
        lines.append(tr.gettext("Outcome: {outcome}").format(outcome=escape(ticket.outcome)))
    if (note := ctx.channel_note(person)) is not None:
        lines.insert(3, note)
    if person is not None and person.unreachable_at is not None:
        lines.append(tr.gettext(UNREACHABLE.get(person.channel, UNREACHABLE["telegram"])))
    if ticket.status in OPEN_STATUSES:
        lines += ["", tr.gettext("↩️ Reply to this message to answer the beneficiary.")]
    return "\n".join(lines)


def card_keyboard(ticket: Ticket) -> Buttons:
    """The buttons the ticket's table opens from its status (bot.domain.lifecycle)."""
    tr = translator("ar")
    actions = card_actions(ticket)
    rows: list[list[Button]] = []
    if "close" in actions:
        rows.append([button(tr.gettext("🔒 Close"), cb(NS.TICKET_CARD, "close", ticket.id))])
    if "ack" in actions:
        rows.append([button(tr.gettext("👌 Acknowledge"), cb(NS.TICKET_CARD, "ack", ticket.id))])
    if "breach" in actions and "breach" not in ticket.data:
        rows.append(
            [
                button(
                    tr.gettext("Breach acknowledged"), cb(NS.TICKET_CARD, "breach", ticket.id, 1)
                ),
                button(tr.gettext("No breach"), cb(NS.TICKET_CARD, "breach", ticket.id, 0)),
            ]
        )
    row = []
    if "resolve" in actions:
        row.append(
            button(
                tr.gettext("✅ Resolve with an outcome"), cb(NS.TICKET_CARD, "resolve", ticket.id)
            )
        )
    if "escalate" in actions:
        row.append(
            button(tr.gettext("⬆️ Raise to a supervisor"), cb(NS.TICKET_CARD, "escalate", ticket.id))
        )
    if row:
        rows.append(row)
    if (
        ticket.kind == Kind.INQUIRY
        and ticket.subject
        and (ticket.first_response_at is not None or ticket.status not in OPEN_STATUSES)
    ):
        rows.append([button(tr.gettext("📚 Add to the FAQ"), cb(NS.FAQ_LEARN, "offer", ticket.id))])
    if ticket.status in OPEN_STATUSES:
        rows.append(work_row("t", ticket.id))
    return inline(rows)


async def post_ticket_card(ctx: Ctx, ticket: Ticket) -> None:
    chat_id, topic_id = route(ctx, ticket)
    ctx.send(
        chat_id,
        await card_text(ctx, ticket),
        card_keyboard(ticket),
        link=(LINK, ticket.id),
        topic=topic_id,
    )


async def card_link(ctx: UnitOfWork, ticket: Ticket) -> StaffMessageLink | None:
    return await ctx.session.scalar(
        select(StaffMessageLink)
        .where(
            StaffMessageLink.association_id == ctx.tenant,
            StaffMessageLink.subject_kind == LINK,
            StaffMessageLink.subject_id == ticket.id,
        )
        .order_by(StaffMessageLink.created_at)
        .limit(1)
    )


async def refresh_card(ctx: Ctx, ticket: Ticket) -> None:
    link = await card_link(ctx, ticket)
    if link is not None:
        ctx.edit(link.chat_id, link.message_id, await card_text(ctx, ticket), card_keyboard(ticket))
