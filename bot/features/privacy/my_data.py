"""The beneficiary's data rights: /mydata (a readable copy) and /deletemydata (erasure)."""

from __future__ import annotations

from html import escape

from bot.domain import privacy
from bot.domain.textutil import isolate
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import NO_BUTTONS, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import menu_keyboard_short
from bot.i18n import N_, translator

ERASED_CARD = N_("The beneficiary's data was erased at their request.")


async def my_data(ctx: Ctx) -> None:
    assert ctx.user is not None
    text = await privacy.export_text(ctx.session, ctx.profile, ctx.rt.vault, ctx.user, ctx.tr)
    ctx.send_bytes(
        ctx.chat_id,
        "mydata.txt",
        text.encode("utf-8"),
        ctx._("This file holds everything the association keeps about you through this assistant."),
    )
    ctx.audit(
        action="data_export",
        subject_kind="beneficiary",
        subject_id=ctx.user.id,
    )


async def delete_my_data(ctx: Ctx) -> None:
    await dialogs.begin(ctx, "erase", "confirm")  # the "yes" below counts only after this question
    ctx.reply(
        ctx._(
            "This erases your account and everything you sent through this assistant. Open requests will be withdrawn. Cases the association must keep in its records will be kept without your name or data. This cannot be undone. Are you sure?"
        ),
        inline(
            [
                [button(ctx._("🗑 Yes, erase my data"), cb(NS.ERASE, "yes"))],
                [button(ctx._("No, keep it"), cb(NS.ERASE, "no"))],
            ]
        ),
    )


async def on_erase(ctx: Ctx, data: Callback) -> None:
    assert ctx.user is not None
    if data.action == "export":
        ctx.answer()
        await my_data(ctx)
        return
    if data.action == "ask":
        ctx.answer()
        await delete_my_data(ctx)
        return
    dialog = await dialogs.current(ctx)
    if data.action != "yes" or dialog is None or dialog.flow != "erase":
        if dialog is not None and dialog.flow == "erase":
            await dialogs.end(ctx)
        ctx.answer()
        ctx.show(ctx._("Nothing was erased."), menu_keyboard_short(ctx))
        return
    await dialogs.end(ctx)
    result = await privacy.erase(ctx.session, ctx.user)
    ctx.user = None
    tell_staff(ctx, result.staff_messages)
    ctx.answer()
    lines = [ctx._("Your data has been erased.")]
    if result.withdrawn:
        lines.append(
            ctx.ngettext(
                "{n} open request was withdrawn.",
                "{n} open requests were withdrawn.",
                result.withdrawn,
            ).format(n=result.withdrawn)
        )
    kept = result.requests_kept + result.tickets_kept
    if kept:
        lines.append(
            ctx.ngettext(
                "{n} case is kept in the association's records without your identity, as the records rules require.",
                "{n} cases are kept in the association's records without your identity, as the records rules require.",
                kept,
            ).format(n=kept)
        )
    lines.append(ctx._("You are welcome back at any time with /start."))
    ctx.show("\n".join(lines))


def tell_staff(ctx: Ctx, messages: list[privacy.StaffMessage]) -> None:
    """The erased person's cases in the staff chats: each card now says the data was erased
    (reference and status kept, no buttons); follow-ups, files and prompts are deleted."""
    tr = translator("ar")  # the staff chats read Arabic
    for message in messages:
        if message.card:
            head = f"<b>{isolate(escape(message.reference))}</b>"
            text = f"{head} · {escape(tr.gettext(message.status))}\n{tr.gettext(ERASED_CARD)}"
            ctx.edit(message.chat_id, message.message_id, text, NO_BUTTONS)
        else:
            ctx.delete(message.chat_id, message.message_id)


def register(router: Router) -> None:
    router.command("mydata")(my_data)
    router.command("deletemydata")(delete_my_data)
    router.callback(NS.ERASE)(on_erase)
    router.consent_free_commands.update({"mydata", "deletemydata"})
    router.consent_free_callbacks.add(NS.ERASE)
