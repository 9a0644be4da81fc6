"""Pieces every handler uses: the main menu and its keyboards."""

from __future__ import annotations

from html import escape

from bot.engine.context import Ctx
from bot.engine.keyboards import Button, Buttons, button, cb, inline
from bot.engine.namespaces import NS
from bot.i18n import N_

MENU_ITEMS = (
    # (action, label msgid)
    ("ask", N_("❓ Ask a question")),
    ("apply", N_("📝 Apply for a service")),
    ("requests", N_("📂 My requests")),
    ("complain", N_("📣 Complaint or suggestion")),
    ("volunteer", N_("🤝 Volunteer with us")),
    ("about", N_("ℹ️ About the association")),
)


def menu_keyboard(ctx: Ctx) -> Buttons:
    rows = [[button(ctx._(label), cb(NS.MENU, action))] for action, label in MENU_ITEMS]
    rows.append([button(ctx._("🌐 Language: English / العربية"), cb(NS.LANG, "pick"))])
    return inline(rows)


def menu_keyboard_short(ctx: Ctx) -> Buttons:
    return inline([[button(ctx._("🏠 Main menu"), cb(NS.MENU, "main"))]])


def back_to_menu_row(ctx: Ctx) -> list[Button]:
    return [button(ctx._("🏠 Main menu"), cb(NS.MENU, "main"))]


def association_name(ctx: Ctx) -> str:
    return escape(ctx.profile.association.name.get(ctx.locale))


def menu_text(ctx: Ctx) -> str:
    return ctx._(
        "How can we serve you today? Choose from the menu, or write your question directly."
    )


def show_menu(ctx: Ctx, *, edit: bool = True) -> None:
    if edit:
        ctx.show(menu_text(ctx), menu_keyboard(ctx))
    else:
        ctx.reply(menu_text(ctx), menu_keyboard(ctx))
