"""``/find REFERENCE``: the case's card again (with its buttons, so replies and presses work on
it) and its whole thread, masked, in the chat that sees the case. ``/history`` as a reply to a
case's message: the same person's other cases, newest first."""

from __future__ import annotations

from html import escape

from sqlalchemy import ColumnElement, or_, select

from bot.domain.dates import format_date
from bot.domain.textutil import isolate, mask_numbers
from bot.engine.context import Ctx
from bot.features.workspace.cases import (
    Case,
    assignment,
    aware,
    by_reference,
    replied_case,
    thread_lines,
)
from bot.i18n import translator
from storage.models import ServiceRequest, Ticket


async def find_command(ctx: Ctx) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.reply_quoting(tr.gettext("Only members of the association's staff group can do this."))
        return
    words = (ctx.event.command_args or "").split()
    case = await by_reference(ctx, words[0]) if words else None
    if case is None or not case.visible_in(ctx, ctx.chat_id):
        ctx.reply_quoting(
            tr.gettext(
                "No case with this reference here. Write it as on the card, "
                "for example: /find REQ-1448-0001"
            )
        )
        return
    ctx.send(  # the card again, its beneficiary's own words masked like the thread's
        ctx.chat_id,
        mask_numbers(await case.card_text(ctx)),
        case.card_keyboard(ctx),
        link=(case.kind, case.id),
    )
    lines = [
        tr.gettext("🧵 <b>Thread of {reference}</b>").format(reference=isolate(case.reference))
    ]
    held = await assignment(ctx, case)
    if held is not None:
        lines.append(tr.gettext("Handled by: {who}").format(who=escape(held.assignee_name)))
    if case.waiting_on_beneficiary():
        lines.append(tr.gettext("⏳ Waiting on the beneficiary (documents)."))
    thread = await thread_lines(ctx, case, tr)
    lines += thread or [tr.gettext("Nothing yet.")]
    ctx.send(ctx.chat_id, "\n".join(lines), link=(case.kind, case.id))
    ctx.audit(
        action="find_case",
        subject_kind=case.kind,
        subject_id=case.id,
    )


async def _others(ctx: Ctx, case: Case) -> list[Case]:
    row = case.row
    beneficiary = row.beneficiary_id
    conditions: list[ColumnElement[bool]] = []
    if beneficiary is not None:
        conditions.append(ServiceRequest.beneficiary_id == beneficiary)
    if isinstance(row, ServiceRequest) and row.national_id_hash:  # the same person, another account
        conditions.append(ServiceRequest.national_id_hash == row.national_id_hash)
    found: list[Case] = []
    if conditions:
        requests = (
            await ctx.session.scalars(
                select(ServiceRequest).where(
                    ServiceRequest.reference.is_not(None),
                    or_(*conditions),
                )
            )
        ).all()
        found += [Case(r) for r in requests]
    if beneficiary is not None:
        tickets = (
            await ctx.session.scalars(select(Ticket).where(Ticket.beneficiary_id == beneficiary))
        ).all()
        found += [Case(t) for t in tickets]
    found = [c for c in found if (c.kind, c.id) != (case.kind, case.id)]
    return sorted(found, key=lambda c: c.opened_at, reverse=True)


async def history_command(ctx: Ctx) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.reply_quoting(tr.gettext("Only members of the association's staff group can do this."))
        return
    case = await replied_case(ctx)
    if case is None or not case.visible_in(ctx, ctx.chat_id):
        ctx.reply_quoting(
            tr.gettext("Reply to a case's message with /history to see the person's other cases.")
        )
        return
    others = [c for c in await _others(ctx, case) if c.visible_in(ctx, ctx.chat_id)]
    lines = [
        tr.gettext("🗂 <b>Other cases of the person of {reference}</b>").format(
            reference=isolate(case.reference)
        )
    ]
    if not others:
        lines.append(tr.gettext("No other cases."))
    for other in others[:30]:
        lines.append(
            f"• {isolate(other.reference)} · {escape(other.kind_label(tr))} · "
            f"{escape(other.status_label(tr))} · "
            f"{format_date(aware(other.opened_at).date(), 'ar', style='gregorian')}"
        )
    ctx.reply_quoting("\n".join(lines))
    ctx.audit(
        action="case_history",
        subject_kind=case.kind,
        subject_id=case.id,
        detail={"shown": len(others)},
    )
