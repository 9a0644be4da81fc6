"""The beneficiary's first minute: greeting, privacy notice and consent, menu, help, language."""

from __future__ import annotations

from html import escape

from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import Buttons, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import association_name, menu_keyboard, menu_keyboard_short, show_menu
from bot.i18n import SUPPORTED_LOCALES
from storage.models import ConsentEvent, utcnow

LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}


def consent_keyboard(ctx: Ctx) -> Buttons:
    return inline(
        [
            [button(ctx._("✅ I agree"), cb(NS.CONSENT, "yes"))],
            [button(ctx._("✖️ I do not agree"), cb(NS.CONSENT, "no"))],
            [button(ctx._("🌐 Language: English / العربية"), cb(NS.LANG, "pick"))],
        ]
    )


def privacy_notice(ctx: Ctx) -> str:
    notice = escape(ctx.profile.privacy.notice.get(ctx.locale))
    return ctx._(
        "<b>Your privacy</b>\n{notice}\n\nDo you agree that we keep and use your data for this purpose?"
    ).format(notice=notice)


async def ask_consent(ctx: Ctx) -> None:
    ctx.reply(privacy_notice(ctx), consent_keyboard(ctx))


async def start(ctx: Ctx) -> None:
    assert ctx.user is not None
    greeting = ctx._(
        "Welcome to {association} 🌿\nThis is the association's service assistant: ask, apply for a service, follow your requests, and share a complaint or suggestion — all from here."
    ).format(association=association_name(ctx))
    if ctx.user.has_consented:
        ctx.reply(greeting)
        show_menu(ctx, edit=False)
        return
    ctx.reply(greeting + "\n\n" + privacy_notice(ctx), consent_keyboard(ctx))


async def consent_given(ctx: Ctx, _data: Callback) -> None:
    user = ctx.user
    assert user is not None
    version = ctx.profile.privacy.notice_version
    if not user.has_consented:
        user.consent_at, user.consent_version, user.consent_withdrawn_at = utcnow(), version, None
        ctx.session.add(
            ConsentEvent(
                association_id=ctx.tenant,
                beneficiary_id=user.id,
                action="given",
                notice_version=version,
            )
        )
    ctx.answer(ctx._("Thank you"))
    if ctx.event.message_id is not None:  # keep the greeting, drop its buttons
        ctx.clear_buttons(ctx.chat_id, ctx.event.message_id)
    ctx.reply(
        ctx._("Thank you. Your consent is recorded; you can withdraw it at any time with /privacy.")
        + "\n\n"
        + ctx._(
            "How can we serve you today? Choose from the menu, or write your question directly."
        ),
        menu_keyboard(ctx),
    )


async def consent_declined(ctx: Ctx, _data: Callback) -> None:
    ctx.show(
        ctx._(
            "We respect your choice. Without your consent we cannot take requests or personal data, but you can still read about the association and its contact channels. You can agree at any time."
        ),
        inline(
            [
                [button(ctx._("✅ I agree"), cb(NS.CONSENT, "yes"))],
                [button(ctx._("ℹ️ About the association"), cb(NS.ABOUT, "show"))],
            ]
        ),
    )


async def consent_withdrawn(ctx: Ctx, _data: Callback) -> None:
    user = ctx.user
    assert user is not None
    version = ctx.profile.privacy.notice_version
    if user.has_consented:
        user.consent_withdrawn_at = utcnow()
        ctx.session.add(
            ConsentEvent(
                association_id=ctx.tenant,
                beneficiary_id=user.id,
                action="withdrawn",
                notice_version=user.consent_version or version,
            )
        )
    await dialogs.end(ctx)
    ctx.show(
        ctx._(
            "Your consent is withdrawn. We will not ask you for personal data, and open requests stay with the association as the law requires. You can agree again at any time with /start."
        )
    )


async def consent_asked_again(ctx: Ctx, _data: Callback) -> None:
    await ask_consent(ctx)


async def privacy(ctx: Ctx) -> None:
    assert ctx.user is not None
    rows = []
    if ctx.user.has_consented:
        rows.append([button(ctx._("Withdraw my consent"), cb(NS.CONSENT, "withdraw"))])
    else:
        rows.append([button(ctx._("✅ I agree"), cb(NS.CONSENT, "yes"))])
    if ctx.user.notices:  # the announcements' switch (bot.features.announcements.notices)
        rows.append([button(ctx._("🔕 Stop announcements"), cb(NS.NOTICES, "off"))])
    else:
        rows.append([button(ctx._("🔔 Receive announcements"), cb(NS.NOTICES, "on"))])
    rows.append([button(ctx._("📄 A copy of my data"), cb(NS.ERASE, "export"))])
    rows.append([button(ctx._("🗑 Erase my data"), cb(NS.ERASE, "ask"))])
    ctx.reply(privacy_notice(ctx).split("\n\n")[0], inline(rows))


# dialogs that are a case's context, not a form: left by 🏠 and /menu (the case stays open with
# the team; a reply to one of its messages still joins it)
CASE_CONTEXTS = frozenset({"ask", "ticket", "case_reply"})


async def leave_case_context(ctx: Ctx) -> bool:
    """End the dialog when it is a case's context (True), keep a form's (False)."""
    dialog = await dialogs.current(ctx)
    if dialog is not None and dialog.flow in CASE_CONTEXTS:
        await dialogs.end(ctx)
        return True
    return False


async def menu(ctx: Ctx) -> None:
    dialog = await dialogs.current(ctx)
    if not await leave_case_context(ctx) and dialog is not None:
        ctx.reply(
            ctx._("Your unfinished form is saved. You can continue it from the menu at any time.")
        )
    show_menu(ctx, edit=False)


async def on_menu_main(ctx: Ctx) -> None:
    await leave_case_context(ctx)
    show_menu(ctx, edit=True)


async def help_(ctx: Ctx) -> None:
    ctx.reply(
        ctx._(
            "<b>How to use this assistant</b>\n"
            "• Press the buttons under the messages, or write your question in your own words.\n"
            "• /menu — the main menu\n"
            "• /status — your requests and their status\n"
            "• /language — change the language\n"
            "• /cancel — stop what you are doing\n"
            "• /privacy — your data and your consent\n"
            "• /mydata — a copy of your data · /deletemydata — erase it\n"
            "If anything is unclear, write to us and a member of the association's team will answer you here."
        ),
        menu_keyboard_short(ctx),
    )


async def cancel(ctx: Ctx) -> None:
    dialog = await dialogs.current(ctx)
    await dialogs.end(ctx)
    if dialog is not None and dialog.flow == "ticket":  # the case was sent: it stays with the team
        ctx.reply(
            ctx._(
                "Done. Your case stays with the association's team, and their reply will reach you here. Your next message will not be added to it."
            ),
            menu_keyboard_short(ctx),
        )
    elif dialog is not None:
        ctx.reply(ctx._("Stopped. Nothing was sent."), menu_keyboard_short(ctx))
    else:
        ctx.reply(ctx._("There is nothing to stop right now."), menu_keyboard_short(ctx))


async def language(ctx: Ctx) -> None:
    ctx.reply(ctx._("Choose your language:"), language_keyboard())


def language_keyboard() -> Buttons:
    return inline(
        [[button(LANGUAGE_NAMES[code], cb(NS.LANG, "set", code)) for code in SUPPORTED_LOCALES]]
    )


async def on_language(ctx: Ctx, data: Callback) -> None:
    assert ctx.user is not None
    if data.action == "set" and data.arg(0) in SUPPORTED_LOCALES:
        ctx.user.locale = data.arg(0)
        ctx.set_locale(ctx.user.locale)
        ctx.answer(ctx._("Language changed"))
        if ctx.user.has_consented:
            show_menu(ctx, edit=True)
        else:
            ctx.show(privacy_notice(ctx), consent_keyboard(ctx))
        return
    ctx.show(ctx._("Choose your language:"), language_keyboard())


def register(router: Router) -> None:
    router.command("start")(start)
    router.command("menu")(menu)
    router.command("help")(help_)
    router.command("cancel")(cancel)
    router.command("language", "lang")(language)
    router.command("privacy")(privacy)
    router.callback(NS.CONSENT, "yes")(consent_given)
    router.callback(NS.CONSENT, "no")(consent_declined)
    router.callback(NS.CONSENT, "withdraw")(consent_withdrawn)
    router.callback(NS.CONSENT)(consent_asked_again)  # any other: the notice again
    router.callback(NS.LANG)(on_language)
    router.on_needs_consent = ask_consent
    router.apology_keyboard = menu_keyboard_short
    router.menu("main")(on_menu_main)  # any other menu:… button is stale (the dispatcher says so)
