"""My requests (``/status`` and the menu): every request with its status and what happens next."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from bot.context import Ctx
from bot.dates import format_date
from bot.handlers.common import back_to_menu_row
from bot.keyboards import button, cb, inline
from bot.lifecycle import label, next_step
from bot.router import Router
from bot.textutil import isolate
from storage.models import ServiceRequest


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
                 inline([[button(ctx._("📝 Apply for a service"), cb("menu", "apply"))], back_to_menu_row(ctx)]))
        return
    parts = [ctx._("<b>Your requests</b>")]
    for req in rows:
        service = ctx.profile.service(req.service_id)
        title = service.title.get(ctx.locale) if service else req.service_id
        line = f"\n<b>{escape(title)}</b> — {isolate(req.reference)}\n" + ctx._("Status: {status}").format(
            status=ctx._(label(req.status)))
        if req.submitted_at:
            line += "\n" + ctx._("Sent on: {date}").format(date=format_date(req.submitted_at.date(), ctx.locale))
        if req.due_date and req.status in ("submitted", "under_review", "awaiting_documents",
                                           "interview_scheduled", "field_visit_scheduled"):
            line += "\n" + ctx._("Decision due by: {date}").format(date=format_date(req.due_date, ctx.locale))
        if req.decision_reason and req.status == "rejected":
            line += "\n" + ctx._("Reason: {reason}").format(reason=escape(req.decision_reason))
        step = next_step(req.status)
        if step:
            line += "\n" + ctx._(step)
        parts.append(line)
    ctx.show("\n".join(parts), inline([back_to_menu_row(ctx)]))


def register(router: Router) -> None:
    router.menu("requests")(my_requests)
    router.command("status", "myrequests")(my_requests)
