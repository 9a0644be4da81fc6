"""My requests (``/status`` and the menu): every case of the person — service requests,
inquiries, complaints, suggestions, compensation claims — with its status, what happens next,
its due date and its buttons (add documents, reply, withdraw), a few per screen."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from sqlalchemy import select

from bot.domain.dates import format_date, to_riyadh
from bot.domain.lifecycle import OPEN, REQUEST_RULES, Actor, label, next_step
from bot.domain.textutil import Num, isolate
from bot.domain.tickets import (
    KIND_LABELS,
    OPEN_STATUSES,
    STATUS_LABELS,
    Kind,
    TicketStatus,
    open_ticket_of,
)
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import Button, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import back_to_menu_row
from bot.features.inquiries.inquiries import TICKET_FLOW
from bot.features.requests import request_moves
from bot.i18n import N_, translator
from storage.models import ServiceRequest, Ticket

WITHDRAWABLE = REQUEST_RULES.sources("withdrawn")  # the statuses a beneficiary may withdraw from


PAGE = 4  # cases per screen: a small phone shows them without scrolling far

# what happens next on an open ticket, for its owner
TICKET_NEXT = {
    TicketStatus.OPEN: N_("The association's team will reply to you here."),
    TicketStatus.ACKNOWLEDGED: N_(
        "The responsible team is handling it and will reply to you here."
    ),
    TicketStatus.ANSWERED: N_("The team replied to you here; you can reply if you need more."),
    TicketStatus.ESCALATED: N_("A supervisor at the association is looking at it."),
}


async def my_cases(ctx: Ctx) -> list[tuple[datetime, ServiceRequest | Ticket]]:
    """Every case of the person, newest first: service requests, inquiries, complaints …"""
    assert ctx.user is not None
    requests = (
        await ctx.session.scalars(
            select(ServiceRequest)
            .where(
                ServiceRequest.beneficiary_id == ctx.user.id,
                ServiceRequest.status != "draft",
            )
            .order_by(ServiceRequest.id.desc())
            .limit(50)
        )
    ).all()
    tickets = (
        await ctx.session.scalars(
            select(Ticket)
            .where(Ticket.beneficiary_id == ctx.user.id)
            .order_by(Ticket.id.desc())
            .limit(50)
        )
    ).all()
    cases: list[tuple[datetime, ServiceRequest | Ticket]] = []
    for req in requests:
        cases.append((_aware(req.submitted_at or req.updated_at), req))
    for ticket in tickets:
        cases.append((_aware(ticket.created_at), ticket))
    # open cases first, then the newest
    cases.sort(key=lambda c: (not _is_open(c[1]), -c[0].timestamp()))
    return cases


def _aware(when: datetime | None) -> datetime:
    if when is None:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _is_open(case: ServiceRequest | Ticket) -> bool:
    if isinstance(case, Ticket):
        return case.status in OPEN_STATUSES
    return case.status in OPEN


def _request_lines(ctx: Ctx, req: ServiceRequest) -> str:
    service = ctx.profile.service(req.service_id)
    title = service.title.get(ctx.locale) if service else req.service_id
    line = (
        f"<b>{escape(title)}</b> — "
        + ctx._("request {reference}").format(reference=isolate(req.reference or ""))
        + "\n"
        + ctx._("Status: {status}").format(status=ctx._(label(req.status)))
    )
    if req.submitted_at:
        line += "\n" + ctx._("Sent on: {date}").format(
            date=format_date(req.submitted_at.date(), ctx.locale)
        )
    if req.due_date and req.status in WITHDRAWABLE:
        line += "\n" + ctx._("Decision due by: {date}").format(
            date=format_date(req.due_date, ctx.locale)
        )
    if req.decision_reason and req.status == "rejected":
        line += "\n" + ctx._("Reason: {reason}").format(reason=escape(req.decision_reason))
    step = next_step(req.status)
    if step:
        line += "\n" + ctx._(step)
    return line


def _ticket_lines(ctx: Ctx, ticket: Ticket) -> str:
    kind = Kind(ticket.kind)
    subject = ticket.data.get("title") or ticket.subject or ""
    line = f"<b>{escape(ctx._(KIND_LABELS[kind]))}</b> — " + ctx._(CASE_NUMBER[kind]).format(
        reference=isolate(ticket.reference)
    )
    if subject:
        line += "\n" + f"«{escape(subject[:80])}{'…' if len(subject) > 80 else ''}»"
    line += "\n" + ctx._("Status: {status}").format(
        status=ctx._(STATUS_LABELS[TicketStatus(ticket.status)])
    )
    if ticket.due_at and ticket.status in OPEN_STATUSES:
        line += "\n" + ctx._("Reply due by: {date}").format(
            date=format_date(to_riyadh(ticket.due_at).date(), ctx.locale)
        )
    if ticket.outcome:
        line += "\n" + ctx._("Outcome: {outcome}").format(outcome=escape(ticket.outcome))
    step = TICKET_NEXT.get(TicketStatus(ticket.status))
    if step:
        line += "\n" + ctx._(step)
    return line


# "… number {reference}", the noun agreeing with each kind
CASE_NUMBER = {
    Kind.INQUIRY: N_("inquiry {reference}"),
    Kind.COMPLAINT: N_("complaint {reference}"),
    Kind.SUGGESTION: N_("suggestion {reference}"),
    Kind.COMPENSATION: N_("compensation claim {reference}"),
}


def _buttons(ctx: Ctx, case: ServiceRequest | Ticket) -> list[list[Button]]:
    rows: list[list[Button]] = []
    if isinstance(case, Ticket):
        if case.status in OPEN_STATUSES:
            rows.append(
                [
                    button(
                        ctx._("↩️ Reply to {reference}").format(reference=case.reference),
                        cb(NS.MY_REQUESTS, "treply", case.id),
                    )
                ]
            )
        return rows
    if case.status in REQUEST_RULES.sources("documents_added"):
        rows.append(
            [
                button(
                    ctx._("📎 Add documents to {reference}").format(reference=case.reference),
                    cb(NS.REQUEST_DOCS, "start", case.id),
                )
            ]
        )
    if case.status in OPEN:
        rows.append(
            [
                button(
                    ctx._("↩️ Reply to {reference}").format(reference=case.reference),
                    cb(NS.MY_REQUESTS, "reply", case.id),
                )
            ]
        )
    if case.status in WITHDRAWABLE:
        rows.append(
            [
                button(
                    ctx._("✖️ Withdraw {reference}").format(reference=case.reference),
                    cb(NS.MY_REQUESTS, "withdraw", case.id),
                )
            ]
        )
    return rows


async def my_requests(ctx: Ctx, page: int = 0) -> None:
    """“My requests”: every case of the person — kind, reference, status, next step, due date,
    and its buttons — a few per screen, with ◀️ ▶️ between screens."""
    cases = await my_cases(ctx)
    if not cases:
        ctx.show(
            ctx._("You have no requests yet. You can apply for a service from the menu."),
            inline(
                [
                    [button(ctx._("📝 Apply for a service"), cb(NS.MENU, "apply"))],
                    back_to_menu_row(ctx),
                ]
            ),
        )
        return
    pages = (len(cases) + PAGE - 1) // PAGE
    page = max(0, min(page, pages - 1))
    shown = cases[page * PAGE : (page + 1) * PAGE]
    parts = [ctx._("<b>Your requests</b>")]
    if pages > 1:
        parts[0] += " " + ctx._("(page {page} of {pages})").format(
            page=Num(page + 1).render(ctx.tr), pages=Num(pages).render(ctx.tr)
        )
    actions: list[list[Button]] = []
    for _when, case in shown:
        parts.append(
            "\n"
            + (_ticket_lines(ctx, case) if isinstance(case, Ticket) else _request_lines(ctx, case))
        )
        actions += _buttons(ctx, case)
    turn = []
    if page > 0:
        turn.append(button(ctx._("▶️ Newer"), cb(NS.MY_REQUESTS, "page", page - 1)))
    if page < pages - 1:
        turn.append(button(ctx._("Older ◀️"), cb(NS.MY_REQUESTS, "page", page + 1)))
    if turn:
        actions.append(turn)
    ctx.show("\n".join(parts), inline([*actions, back_to_menu_row(ctx)]))


async def on_page(ctx: Ctx, data: Callback) -> None:
    ctx.answer()
    await my_requests(ctx, data.int_arg(0) or 0)


async def on_ticket_reply(ctx: Ctx, data: Callback) -> None:
    """«↩️ Reply» under a ticket: the next messages join it (the ticket's own context)."""
    assert ctx.user is not None
    ticket = await open_ticket_of(ctx.session, ctx.tenant, ctx.user.id, data.int_arg(0) or 0)
    if ticket is None:
        ctx.answer(ctx._("This case is closed."))
        return
    await dialogs.begin(ctx, TICKET_FLOW, "open", {"ticket_id": ticket.id, "about_case": True})
    ctx.answer()
    ctx.reply(
        ctx._(
            "Write your message (or send a photo, a file or a voice note), and I will add it to {case}."
        ).format(
            case=ctx._(CASE_NUMBER[Kind(ticket.kind)]).format(reference=isolate(ticket.reference))
        )
    )


async def _own_open(ctx: Ctx, request_id: int | None) -> ServiceRequest | None:
    if request_id is None or ctx.user is None:
        return None
    return await ctx.session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.id == request_id,
            ServiceRequest.beneficiary_id == ctx.user.id,
            ServiceRequest.status.in_([str(s) for s in WITHDRAWABLE]),
        )
    )


async def on_request(ctx: Ctx, data: Callback) -> None:
    """Withdrawing one's own request: asked once more, then recorded and staff told."""
    request = await _own_open(ctx, data.int_arg(0))
    if request is None:
        ctx.answer(ctx._("This request can no longer be withdrawn."))
        await my_requests(ctx)
        return
    if data.action == "withdraw":
        ctx.show(
            ctx._(
                "Withdraw request {reference}? The association will stop studying it. You can apply again later."
            ).format(reference=isolate(request.reference or "")),
            inline(
                [
                    [
                        button(
                            ctx._("✖️ Yes, withdraw it"), cb(NS.MY_REQUESTS, "confirm", request.id)
                        )
                    ],
                    [button(ctx._("No, keep it"), cb(NS.MENU, "requests"))],
                ]
            ),
        )
    elif data.action == "confirm":
        await request_moves.take(ctx, request, "withdrawn", Actor.beneficiary(ctx.from_id))
        ctx.answer(ctx._("Done ✓"))
        ctx.show(
            ctx._("Your request {reference} has been withdrawn.").format(
                reference=isolate(request.reference or "")
            ),
            inline([back_to_menu_row(ctx)]),
        )
        ctx.send(
            ctx.rt.staff_chat_id,
            translator("ar")
            .gettext("✖️ The beneficiary withdrew request {reference}.")
            .format(reference=isolate(request.reference or "")),
        )


def register(router: Router) -> None:
    router.callback(NS.MY_REQUESTS, "page")(on_page)
    router.callback(NS.MY_REQUESTS, "treply")(on_ticket_reply)
    router.callback(NS.MY_REQUESTS)(on_request)
    router.menu("requests")(my_requests)
    router.command("status", "myrequests")(my_requests)
