"""My requests (``/status`` and the menu): every request with its status and what happens next."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from bot.domain.dates import format_date
from bot.domain.lifecycle import REQUEST_RULES, Actor, label, next_step
from bot.domain.textutil import isolate
from bot.engine.context import Ctx
from bot.engine.keyboards import Button, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import back_to_menu_row
from bot.features.requests import request_moves
from bot.i18n import translator
from storage.models import ServiceRequest

WITHDRAWABLE = REQUEST_RULES.sources("withdrawn")  # the statuses a beneficiary may withdraw from


async def my_requests(ctx: Ctx) -> None:
    assert ctx.user is not None
    rows = (await ctx.session.scalars(
        select(ServiceRequest).where(ServiceRequest.association_id == ctx.tenant,
                                     ServiceRequest.beneficiary_id == ctx.user.id,
                                     ServiceRequest.status != "draft")
        .order_by(ServiceRequest.id.desc()).limit(20)
    )).all()
    if not rows:
        ctx.show(ctx._("You have no requests yet. You can apply for a service from the menu."),
                 inline([[button(ctx._("📝 Apply for a service"), cb(NS.MENU, "apply"))], back_to_menu_row(ctx)]))
        return
    parts = [ctx._("<b>Your requests</b>")]
    actions: list[list[Button]] = []
    for req in rows:
        service = ctx.profile.service(req.service_id)
        title = service.title.get(ctx.locale) if service else req.service_id
        line = f"\n<b>{escape(title)}</b> — {isolate(req.reference)}\n" + ctx._("Status: {status}").format(
            status=ctx._(label(req.status)))
        if req.submitted_at:
            line += "\n" + ctx._("Sent on: {date}").format(date=format_date(req.submitted_at.date(), ctx.locale))
        if req.due_date and req.status in WITHDRAWABLE:
            line += "\n" + ctx._("Decision due by: {date}").format(date=format_date(req.due_date, ctx.locale))
        if req.decision_reason and req.status == "rejected":
            line += "\n" + ctx._("Reason: {reason}").format(reason=escape(req.decision_reason))
        step = next_step(req.status)
        if step:
            line += "\n" + ctx._(step)
        parts.append(line)
        if req.status in REQUEST_RULES.sources("documents_added"):
            actions.append([button(ctx._("📎 Add documents to {reference}").format(reference=req.reference),
                                   cb(NS.REQUEST_DOCS, "start", req.id))])
        if req.status in WITHDRAWABLE:
            actions.append([button(ctx._("✖️ Withdraw {reference}").format(reference=req.reference),
                                   cb(NS.MY_REQUESTS, "withdraw", req.id))])
    ctx.show("\n".join(parts), inline([*actions, back_to_menu_row(ctx)]))


async def _own_open(ctx: Ctx, request_id: int | None) -> ServiceRequest | None:
    if request_id is None or ctx.user is None:
        return None
    return await ctx.session.scalar(select(ServiceRequest).where(
        ServiceRequest.id == request_id, ServiceRequest.association_id == ctx.tenant,
        ServiceRequest.beneficiary_id == ctx.user.id, ServiceRequest.status.in_([str(s) for s in WITHDRAWABLE])))


async def on_request(ctx: Ctx, data: Callback) -> None:
    """Withdrawing one's own request: asked once more, then recorded and staff told."""
    request = await _own_open(ctx, data.int_arg(0))
    if request is None:
        ctx.answer(ctx._("This request can no longer be withdrawn."))
        await my_requests(ctx)
        return
    if data.action == "withdraw":
        ctx.show(ctx._("Withdraw request {reference}? The association will stop studying it. You can apply again later.").format(
            reference=isolate(request.reference or "")),
            inline([[button(ctx._("✖️ Yes, withdraw it"), cb(NS.MY_REQUESTS, "confirm", request.id))],
                    [button(ctx._("No, keep it"), cb(NS.MENU, "requests"))]]))
    elif data.action == "confirm":
        await request_moves.take(ctx, request, "withdrawn", Actor.beneficiary(ctx.from_id))
        ctx.answer(ctx._("Done ✓"))
        ctx.show(ctx._("Your request {reference} has been withdrawn.").format(reference=isolate(request.reference or "")),
                 inline([back_to_menu_row(ctx)]))
        ctx.send(ctx.rt.staff_chat_id, translator("ar").gettext("✖️ The beneficiary withdrew request {reference}.").format(
            reference=isolate(request.reference or "")))


def register(router: Router) -> None:
    router.callback(NS.MY_REQUESTS)(on_request)
    router.menu("requests")(my_requests)
    router.command("status", "myrequests")(my_requests)
