"""Choosing a service: the list, then its description, eligibility criteria and documents
before anything is asked (policy clause 8)."""

from __future__ import annotations

from html import escape

from bot.engine.context import Ctx
from bot.engine.keyboards import Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import back_to_menu_row

VOLUNTEER_KINDS = {"volunteer"}


def services_of(ctx: Ctx, volunteer: bool):
    return [
        s for s in ctx.profile.services if s.active and ((s.kind in VOLUNTEER_KINDS) == volunteer)
    ]


async def list_services(ctx: Ctx, volunteer: bool = False) -> None:
    services = services_of(ctx, volunteer)
    if not services:
        ctx.show(
            ctx._(
                "There are no services open for applications at the moment. Please check again later."
            ),
            inline([back_to_menu_row(ctx)]),
        )
        return
    rows = [[button(s.title.get(ctx.locale), cb(NS.SERVICE, "show", s.id))] for s in services]
    rows.append(back_to_menu_row(ctx))
    text = (
        ctx._("Volunteering opportunities. Choose one to read about it:")
        if volunteer
        else ctx._("Our services. Choose one to read its conditions and the documents it needs:")
    )
    ctx.show(text, inline(rows))


def service_text(ctx: Ctx, service) -> str:
    loc = ctx.locale
    parts = [f"<b>{escape(service.title.get(loc))}</b>", escape(service.description.get(loc))]
    if service.eligibility:
        parts.append(ctx._("<b>Who can apply</b>"))
        parts.extend(f"• {escape(c.get(loc))}" for c in service.eligibility)
    if service.documents:
        parts.append(ctx._("<b>Documents to prepare</b>"))
        for doc in service.documents:
            suffix = "" if doc.required else " " + ctx._("(optional)")
            parts.append(f"• {escape(doc.title.get(loc))}{suffix}")
    days = service.decision_days or ctx.profile.deadlines.decision_days
    parts.append(
        ctx.ngettext(
            "The decision is due within {n} day of sending the request.",
            "The decision is due within {n} days of sending the request.",
            days,
        ).format(n=days)
    )
    return "\n".join(parts)


async def on_service(ctx: Ctx, data: Callback) -> None:
    service = next((s for s in ctx.profile.services if s.id == data.arg(0) and s.active), None)
    if service is None:
        ctx.answer(ctx._("This service is no longer available."))
        await list_services(ctx)
        return
    volunteer = service.kind in VOLUNTEER_KINDS
    ctx.show(
        service_text(ctx, service),
        inline(
            [
                [
                    button(
                        ctx._("📝 Start the application"), cb(NS.REQUEST_FORM, "start", service.id)
                    )
                ],
                [
                    button(
                        ctx._("↩️ Back to the services"),
                        cb(NS.MENU, "volunteer" if volunteer else "apply"),
                    )
                ],
                back_to_menu_row(ctx),
            ]
        ),
    )


def register(router: Router) -> None:
    async def apply(ctx: Ctx) -> None:
        await list_services(ctx, volunteer=False)

    async def volunteer(ctx: Ctx) -> None:
        await list_services(ctx, volunteer=True)

    router.menu("apply")(apply)
    router.menu("volunteer")(volunteer)
    router.command("apply")(apply)
    router.command("volunteer")(volunteer)
    router.callback(NS.SERVICE)(on_service)
