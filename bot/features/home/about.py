"""About the association: who it is, its channels (policy clause 10) and its documents (clause 11)."""

from __future__ import annotations

from html import escape

from bot.domain.textutil import isolate
from bot.engine.context import Ctx
from bot.engine.keyboards import Callback, button, cb, inline, url_button
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import back_to_menu_row


def channels_text(ctx: Ctx) -> str:
    ch = ctx.profile.channels
    lines: list[str] = []

    def add(label: str, value: object) -> None:
        if value:
            lines.append(f"• {label}: {isolate(escape(str(value)))}")

    add(ctx._("Phone"), ch.phone)
    add(ctx._("WhatsApp"), ch.whatsapp)
    add(ctx._("Text messages (SMS)"), ch.sms)
    add(ctx._("Email"), ch.email)
    add(ctx._("Website"), ch.website)
    add(ctx._("Fax"), ch.fax)
    add(ctx._("E-store"), ch.e_store)
    for social in ch.social:
        add(
            escape(
                social.name.get(ctx.locale) if hasattr(social.name, "get") else str(social.name)
            ),
            social.url,
        )
    if ch.working_hours:
        lines.append(
            "• " + ctx._("Working hours") + ": " + escape(ch.working_hours.get(ctx.locale))
        )
    for branch in ch.branches:
        parts = [escape(branch.name.get(ctx.locale))]
        if branch.address:
            parts.append(escape(branch.address.get(ctx.locale)))
        if branch.phone:
            parts.append(isolate(escape(branch.phone)))
        lines.append("• " + ctx._("Branch") + ": " + " — ".join(parts))
    return "\n".join(lines)


async def show_about(ctx: Ctx) -> None:
    assoc = ctx.profile.association
    description = escape(assoc.description.get(ctx.locale)) if assoc.description else ""
    text = (
        f"<b>{escape(assoc.name.get(ctx.locale))}</b>\n{description}\n\n"
        + ctx._("<b>How to reach us</b>")
        + "\n"
        + channels_text(ctx)
    )
    rows = [
        [button("📄 " + doc.title.get(ctx.locale), cb(NS.ABOUT, "doc", doc.id))]
        for doc in ctx.profile.documents
    ]
    rows.append(back_to_menu_row(ctx))
    ctx.show(text, inline(rows))


async def show_documents(ctx: Ctx) -> None:
    rows = [
        [button("📄 " + doc.title.get(ctx.locale), cb(NS.ABOUT, "doc", doc.id))]
        for doc in ctx.profile.documents
    ]
    rows.append(back_to_menu_row(ctx))
    ctx.show(ctx._("The association's documents. Choose one to receive it here:"), inline(rows))


async def on_about(ctx: Ctx, data: Callback) -> None:
    if data.action == "docs":
        await show_documents(ctx)
        return
    if data.action == "doc":
        doc = next((d for d in ctx.profile.documents if d.id == data.arg(0)), None)
        if doc is None:
            ctx.answer(ctx._("This document is no longer available."))
            await show_about(ctx)
            return
        title = escape(doc.title.get(ctx.locale))
        path = ctx.profile.document_path(doc.id)
        if path is not None and path.is_file():
            ctx.answer(ctx._("Sending the document…"))
            ctx.send_file(ctx.chat_id, path, caption=title)
        elif doc.url:
            ctx.reply(title, inline([[url_button(ctx._("Open the document"), str(doc.url))]]))
        else:
            ctx.answer(ctx._("This document is no longer available."))
        return
    await show_about(ctx)


def register(router: Router) -> None:
    router.menu("about")(show_about)
    router.callback(NS.ABOUT)(on_about)
    router.consent_free_callbacks.add(NS.ABOUT)
    router.command("about", "contact")(show_about)
    router.command("documents")(show_documents)
