"""The Bot API methods that post no message: updates, the bot's profile, files and chats.

Parameter checks with Telegram's errors, then changes to a :class:`BotHandle`; registered in
:data:`bot.emulator.method_table.METHODS`.
"""

from __future__ import annotations

import json
import re

from .files import MAX_DOWNLOAD_BYTES
from .method_table import method
from .params import Params
from .protocol import bad_request
from .state import ACTIVE_STATUSES, JSON, ChatRecord, MemberStatus, chat_member
from .world import BotHandle

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def _scope_key(params: Params) -> tuple[str, str]:
    scope = params.obj("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), params.text("language_code") or ""


def _member_status(bot: BotHandle, chat: ChatRecord, user_id: int) -> MemberStatus:
    if user_id == bot.me.id:
        return chat.bot_status
    if chat.type == "private":
        return "member" if user_id == chat.id else "left"
    return chat.members.get(user_id, "left")


# -- getting updates --------------------------------------------------------------------------


@method("getMe")
async def get_me(bot: BotHandle, params: Params) -> JSON:
    return bot.me.api() | {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("getUpdates")
async def get_updates(bot: BotHandle, params: Params) -> list[JSON]:
    limit = min(max(params.integer("limit", 100) or 100, 1), 100)
    params.obj("allowed_updates")
    return await bot.updates.get_updates(
        params.integer("offset"), limit, params.number("timeout") or 0.0
    )


@method("setWebhook")
async def set_webhook(bot: BotHandle, params: Params) -> bool:
    url = params.text("url") or ""
    drop = params.flag("drop_pending_updates")
    if not url:
        await bot.updates.delete_webhook(drop)
        return True
    await bot.updates.set_webhook(
        url,
        params.text("secret_token"),
        params.integer("max_connections", 40) or 40,
        params.obj("allowed_updates"),
        drop,
    )
    return True


@method("deleteWebhook")
async def delete_webhook(bot: BotHandle, params: Params) -> bool:
    await bot.updates.delete_webhook(params.flag("drop_pending_updates"))
    return True


@method("getWebhookInfo")
async def get_webhook_info(bot: BotHandle, params: Params) -> JSON:
    return bot.updates.webhook_info()


# -- the bot's profile ------------------------------------------------------------------------


@method("setMyCommands")
async def set_my_commands(bot: BotHandle, params: Params) -> bool:
    commands = params.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    bot.commands[_scope_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@method("getMyCommands")
async def get_my_commands(bot: BotHandle, params: Params) -> list[JSON]:
    return bot.commands.get(_scope_key(params), [])


@method("deleteMyCommands")
async def delete_my_commands(bot: BotHandle, params: Params) -> bool:
    bot.commands.pop(_scope_key(params), None)
    return True


def _profile_methods(field: str, suffix: str) -> None:
    """setMy<suffix> / getMy<suffix> for one text of the bot's profile."""

    async def setter(bot: BotHandle, params: Params) -> bool:
        bot.profile[field, params.text("language_code") or ""] = params.text(field) or ""
        return True

    async def getter(bot: BotHandle, params: Params) -> JSON:
        language = params.text("language_code") or ""
        return {field: bot.profile.get((field, language), bot.profile.get((field, ""), ""))}

    method(f"setMy{suffix}")(setter)
    method(f"getMy{suffix}")(getter)


for _field, _suffix in (
    ("name", "Name"),
    ("description", "Description"),
    ("short_description", "ShortDescription"),
):
    _profile_methods(_field, _suffix)


@method("setChatMenuButton")
async def set_chat_menu_button(bot: BotHandle, params: Params) -> bool:
    button = params.obj("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    if params.has("chat_id"):
        bot.chat(params.chat_id()).menu_button = button
    else:
        bot.default_menu_button = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(bot: BotHandle, params: Params) -> JSON:
    if params.has("chat_id"):
        return bot.chat(params.chat_id()).menu_button or bot.default_menu_button
    return bot.default_menu_button


# -- files and chats --------------------------------------------------------------------------


@method("getFile")
async def get_file(bot: BotHandle, params: Params) -> JSON:
    stored = bot.files.require(params.text("file_id") or "")
    if stored.size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.as_file()


@method("getChat")
async def get_chat(bot: BotHandle, params: Params) -> JSON:
    return bot.chat(params.chat_id()).full_info()


@method("getChatMember")
async def get_chat_member(bot: BotHandle, params: Params) -> JSON:
    chat = bot.chat(params.chat_id())
    user_id = params.required_int("user_id")
    user = bot.me if user_id == bot.me.id else bot.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return chat_member(user, _member_status(bot, chat, user_id))


@method("getChatAdministrators")
async def get_chat_administrators(bot: BotHandle, params: Params) -> list[JSON]:
    chat = bot.chat(params.chat_id())
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    admins = [
        chat_member(bot.users[user_id], status)
        for user_id, status in chat.members.items()
        if status in ("creator", "administrator")
    ]
    if chat.bot_status == "administrator":
        admins.append(chat_member(bot.me, "administrator"))
    return admins


@method("getChatMemberCount")
async def get_chat_member_count(bot: BotHandle, params: Params) -> int:
    chat = bot.chat(params.chat_id())
    if chat.type == "private":
        return 2
    people = sum(status in ACTIVE_STATUSES for status in chat.members.values())
    return people + (chat.bot_status in ACTIVE_STATUSES)


@method("leaveChat")
async def leave_chat(bot: BotHandle, params: Params) -> bool:
    chat = bot.chat(params.chat_id())
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if chat.bot_status not in ACTIVE_STATUSES:
        raise bad_request("USER_NOT_PARTICIPANT")
    bot.leave(chat)
    return True
