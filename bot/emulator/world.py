"""One bot's world: its users, chats and files, what people do (which becomes updates for the
bot) and what the bot did (which tests observe).

People's actions are plain synchronous methods (``send_text``, ``press``, ``send_photo`` ...)
returning the object Telegram would put in the update. Observation is synchronous
(``messages``, ``last_message``, ``calls`` ...) or awaits a change (``wait_for_message``,
``wait_until`` ...): every change bumps a version and wakes waiters through an
``asyncio.Event`` (``wait_until`` also re-checks every 50 ms, for conditions on state outside
the emulator). The Bot API side never waits on a timer.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from . import markup
from .delivery import UpdateQueue
from .files import FileStore
from .people import PeopleActions, _Query
from .protocol import bad_request, forbidden
from .state import (
    ACTIVE_STATUSES,
    JSON,
    ApiCall,
    ChatRecord,
    Fault,
    Latency,
    MemberStatus,
    StoredMessage,
    UserRecord,
    chat_member,
)

T = TypeVar("T")
Predicate = Callable[[JSON], bool]
FaultKind = Literal["429", "500", "502", "drop", "timeout", "400", "403", "404"]

_RECHECK_SECONDS = 0.05


class BotHandle(PeopleActions):
    """The world of one bot token: people act here, the Bot API methods read and change it."""

    def __init__(self, token: str, username: str, first_name: str = "مُستفيد") -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError(f"a bot token looks like '123:ABC', not {token!r}")
        self.token = token
        self.me = UserRecord(
            int(bot_id), first_name, username=username, is_bot=True, language_code=None
        )
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int | str, ChatRecord] = {}
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.calls: list[ApiCall] = []
        """Every Bot API request received, in order."""
        self.callback_answers: list[JSON] = []
        """answerCallbackQuery calls: callback_query_id, chat_id, message_id, text, show_alert,
        url, cache_time."""
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        """setMyCommands lists by (JSON of the scope, language_code)."""
        self.default_menu_button: JSON = {"type": "commands"}
        self.profile: dict[tuple[str, str], str] = {}
        """setMyName / setMyDescription / setMyShortDescription texts by (field, language)."""
        self._queries: dict[str, _Query] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._media_groups = itertools.count(13_000_000_000_000_001)
        self._faults: list[Fault] = []
        self._latencies: list[Latency] = []
        self._version = 0
        self._changed = asyncio.Event()

    # -- setting up the world -----------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ar",
    ) -> JSON:
        """Add a person (and their private chat with the bot, whose id is ``user_id``)."""
        user = UserRecord(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.chats[user_id] = ChatRecord(user_id, "private", user=user)
        return user.api()

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: dict[int, MemberStatus] | None = None,
        is_forum: bool = False,
        username: str | None = None,
        bot_status: MemberStatus = "administrator",
    ) -> JSON:
        """Add a supergroup (ids like -100123); members are added as users if unknown."""
        chat = ChatRecord(
            chat_id,
            "supergroup",
            title=title,
            username=username,
            is_forum=is_forum,
            bot_status=bot_status,
        )
        for user_id, status in (members or {}).items():
            self._person(user_id)
            chat.members[user_id] = status
        self._register(chat)
        return chat.api()

    def add_channel(self, chat_id: int, title: str, username: str | None = None) -> JSON:
        """Add a channel where the bot is an administrator."""
        chat = ChatRecord(
            chat_id, "channel", title=title, username=username, bot_status="administrator"
        )
        self._register(chat)
        return chat.api()

    def set_member(self, chat_id: int, user_id: int, status: MemberStatus) -> None:
        """Set a person's status in a group (``left`` and ``kicked`` included)."""
        self._person(user_id)
        self._group(chat_id).members[user_id] = status

    def block(self, user_id: int, notify: bool = True) -> JSON:
        """The person blocks the bot: sends to them fail with 403, a my_chat_member update.

        ``notify=False`` leaves the update out, as when the bot never gets it (Telegram keeps
        undelivered updates for 24 hours only), so the bot learns of the block from a 403."""
        return self._set_bot_status(self._private(user_id), "kicked", self.users[user_id], notify)

    def unblock(self, user_id: int) -> JSON:
        """The person unblocks the bot (a my_chat_member update)."""
        return self._set_bot_status(self._private(user_id), "member", self.users[user_id])

    def bot_added_to_group(
        self,
        user_id: int,
        chat_id: int,
        title: str | None = None,
        status: MemberStatus = "administrator",
    ) -> JSON:
        """``user_id`` adds the bot to a group (created, with them as creator, if unknown)."""
        if chat_id not in self.chats:
            self.add_group(
                chat_id, title or f"مجموعة {chat_id}", {user_id: "creator"}, bot_status="left"
            )
        return self._set_bot_status(self._group(chat_id), status, self._person(user_id))

    def bot_removed(self, user_id: int, chat_id: int) -> JSON:
        """``user_id`` removes the bot from a group."""
        return self._set_bot_status(self._group(chat_id), "kicked", self._person(user_id))

    # -- observing the bot --------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[JSON]:
        """The bot's messages in a chat, oldest first (see ``StoredMessage.view``)."""
        chat = self.chats.get(chat_id)
        return [stored.view() for stored in chat.bot_messages] if chat else []

    def history(self, chat_id: int) -> list[JSON]:
        """Every message of a chat, the people's and the bot's, oldest first."""
        chat = self.chats.get(chat_id)
        return [stored.view() for stored in chat.history.values()] if chat else []

    def last_message(self, chat_id: int) -> JSON | None:
        """The bot's latest message in a chat."""
        chat = self.chats.get(chat_id)
        return chat.bot_messages[-1].view() if chat and chat.bot_messages else None

    def message(self, chat_id: int, message_id: int) -> JSON:
        """Any message of a chat by id."""
        return self._existing(self._chat_record(chat_id), message_id, deleted_ok=True).view()

    def reply_keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard the bot currently shows in a chat."""
        return self._chat_record(chat_id).reply_keyboard

    def callback_answer(self, callback_query_id: str) -> JSON | None:
        """The answer to a callback query, if answered."""
        return next(
            (
                answer
                for answer in self.callback_answers
                if answer["callback_query_id"] == callback_query_id
            ),
            None,
        )

    def calls_to(self, method: str) -> list[ApiCall]:
        """Logged calls of one method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def download(self, file_id: str) -> bytes:
        """The bytes of a file the bot sent or received."""
        stored = self.files.get(file_id)
        if stored is None:
            raise LookupError(f"unknown file_id {file_id!r}")
        return stored.data

    def latencies(self) -> list[Latency]:
        """For each person's update (message, edit, button press), the time until the bot's
        next answer in that chat (a sent, copied or edited message, or a callback answer)."""
        return list(self._latencies)

    buttons = staticmethod(markup.buttons)
    button_data = staticmethod(markup.button_data)

    @property
    def version(self) -> int:
        """Bumped by every change of the world."""
        return self._version

    async def wait_changed(self, since: int, timeout: float) -> int:
        """Wait until ``version`` exceeds ``since`` (or the timeout); return ``version``."""
        if self._version <= since:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        return self._version

    async def wait_until(
        self,
        condition: Callable[[], T | None],
        timeout: float = 10.0,
        describe: Callable[[], str] | None = None,
    ) -> T:
        """Re-check ``condition`` after every change of the world (and every 50 ms, for
        conditions on outside state); return its first truthy result."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = condition()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe() if describe else f"condition not met in {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, _RECHECK_SECONDS))

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Predicate | None = None,
        timeout: float = 10.0,
        after_message_id: int | None = None,
    ) -> JSON:
        """The bot's first message in the chat (after ``after_message_id``) that matches.

        Without ``after_message_id`` earlier messages count too: pass the id of the last
        message already seen to wait for a new one."""

        def find() -> JSON | None:
            chat = self.chats.get(chat_id)
            if chat is None:
                return None
            start = 0
            if after_message_id is not None:
                start = bisect.bisect_right(
                    chat.bot_messages, after_message_id, key=lambda stored: stored.message_id
                )
            for stored in chat.bot_messages[start:]:
                view = stored.view()
                if predicate is None or predicate(view):
                    return view
            return None

        return await self.wait_until(find, timeout, lambda: self._describe(chat_id, timeout))

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        predicate: Predicate | None = None,
        timeout: float = 10.0,
    ) -> JSON:
        """The message once it has been edited again (and matches ``predicate``)."""
        stored = self._existing(self._chat_record(chat_id), message_id, deleted_ok=True)
        seen = len(stored.edits)

        def edited() -> JSON | None:
            if (
                len(stored.edits) > seen
                and (view := stored.view())
                and (predicate is None or predicate(view))
            ):
                return view
            return None

        return await self.wait_until(edited, timeout, lambda: self._describe(chat_id, timeout))

    async def wait_for_callback_answer(self, callback_query_id: str, timeout: float = 10.0) -> JSON:
        """The answerCallbackQuery for this query, once the bot has sent it."""
        return await self.wait_until(lambda: self.callback_answer(callback_query_id), timeout)

    def _describe(self, chat_id: int, timeout: float) -> str:
        recent = [
            (m["message_id"], m.get("text") or m.get("caption"))
            for m in self.messages(chat_id)[-3:]
        ]
        return f"no matching bot message in chat {chat_id} within {timeout}s; last: {recent}"

    # -- fault injection ----------------------------------------------------------------------

    def inject_fault(
        self,
        method: str | None = None,
        kind: FaultKind = "429",
        count: int = 1,
        retry_after: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (any method, getUpdates included, when
        None; to ``chat_id`` only, when given) fail: 429 with ``retry_after``, 500 or 502 from
        a proxy, a dropped connection, no answer at all (``timeout``), or Telegram's refusals
        that do not change on a retry: 400 (Bad Request), 403 (Forbidden), 404 (Not Found)."""
        self._faults.append(Fault(kind, method and method.lower(), count, retry_after, chat_id))

    def clear_faults(self) -> None:
        self._faults.clear()

    def take_fault(self, method: str, chat_id: Any = None) -> Fault | None:
        """The fault this call must suffer, if any (its count is used up)."""
        if not self._faults:
            return None
        method = method.lower()
        for fault in self._faults:
            if fault.method in (None, method) and (
                fault.chat_id is None or str(fault.chat_id) == str(chat_id)
            ):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # -- used by the Bot API methods ----------------------------------------------------------

    def record_call(self, method: str, params: JSON) -> ApiCall:
        call = ApiCall(method, params, time.perf_counter())
        self.calls.append(call)
        return call

    def chat(self, chat_id: int | str) -> ChatRecord:
        """A chat by id or ``@username``; 400 ``chat not found`` otherwise."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def chat_for_send(self, chat_id: int | str) -> ChatRecord:
        """A chat the bot may post in, with Telegram's 403s when it may not."""
        chat = self.chat(chat_id)
        if chat.bot_status not in ACTIVE_STATUSES:
            if chat.type == "private":
                raise forbidden("bot was blocked by the user")
            verb = "was kicked from" if chat.bot_status == "kicked" else "is not a member of"
            raise forbidden(f"bot {verb} the {chat.type} chat")
        return chat

    def bot_message(
        self,
        chat: ChatRecord,
        content: JSON,
        *,
        raw_text: str | None = None,
        parse_mode: str | None = None,
        reply_markup: markup.Markup | None = None,
        reply_to: StoredMessage | None = None,
        thread_id: int | None = None,
    ) -> StoredMessage:
        """Post a message from the bot."""
        inline = markup.inline_part(reply_markup)
        if inline is not None:
            content = {**content, "reply_markup": inline}
        sender = None if chat.type == "channel" else self.me
        stored = self._new_message(
            chat, sender, content, from_bot=True, reply_to=reply_to, thread_id=thread_id
        )
        stored.raw_text, stored.parse_mode, stored.reply_markup = raw_text, parse_mode, reply_markup
        if reply_markup is not None and "keyboard" in reply_markup:
            chat.reply_keyboard = reply_markup
        elif reply_markup is not None and reply_markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        self.answered(chat)
        return stored

    def edit_bot_message(
        self,
        stored: StoredMessage,
        changes: JSON,
        *,
        reply_markup: markup.Markup | None,
        raw_text: str | None = None,
        parse_mode: str | None = None,
    ) -> JSON:
        """Replace a bot message's content (``changes``) and inline keyboard."""
        stored.edits.append(stored.snapshot())
        api = {
            key: value for key, value in stored.api.items() if key not in ("reply_markup", *changes)
        }
        api.update({key: value for key, value in changes.items() if value is not None})
        api["edit_date"] = int(time.time())
        if reply_markup is not None:
            api["reply_markup"] = reply_markup
        stored.api, stored.reply_markup = api, reply_markup
        if raw_text is not None:
            stored.raw_text, stored.parse_mode = raw_text, parse_mode
        self.answered(self.chat(stored.chat_id))
        return api

    def delete(self, stored: StoredMessage) -> None:
        stored.deleted = True
        self._touch()

    def answer_callback(self, query_id: str, answer: JSON) -> None:
        """Record answerCallbackQuery; 400 for an unknown or already answered query."""
        query = self._queries.get(query_id)
        if query is None or query.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answered = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "chat_id": query.chat_id,
                "message_id": query.message_id,
                **answer,
            }
        )
        self.answered(self.chat(query.chat_id))

    def leave(self, chat: ChatRecord) -> None:
        """leaveChat: the bot leaves (a my_chat_member update, from the bot itself)."""
        self._set_bot_status(chat, "left", self.me)

    def next_media_group_id(self) -> str:
        return str(next(self._media_groups))

    def answered(self, chat: ChatRecord) -> None:
        """The bot acted in ``chat``: close the latency of the updates waiting there."""
        now = time.perf_counter()
        while chat.unanswered:
            update_id, kind, created = chat.unanswered.popleft()
            self._latencies.append(Latency(chat.id, update_id, kind, created, now))
        self._touch()

    # -- internals ----------------------------------------------------------------------------

    def _register(self, chat: ChatRecord) -> None:
        self.chats[chat.id] = chat
        if chat.username:
            self.chats[f"@{chat.username}"] = chat

    def _touch(self) -> None:
        self._version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _person(self, user_id: int) -> UserRecord:
        """A known person, or a new one with a generated Arabic name."""
        if user_id not in self.users:
            self.add_user(user_id, "مستخدم", str(user_id))
        return self.users[user_id]

    def _private(self, user_id: int) -> ChatRecord:
        self._person(user_id)
        return self.chats[user_id]

    def _chat_record(self, chat_id: int) -> ChatRecord:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise LookupError(f"unknown chat {chat_id}")
        return chat

    def _group(self, chat_id: int) -> ChatRecord:
        chat = self._chat_record(chat_id)
        if chat.type == "private":
            raise LookupError(f"chat {chat_id} is a private chat, not a group or channel")
        return chat

    def _chat_of(self, user: UserRecord, chat_id: int | None) -> ChatRecord:
        """The chat a person acts in: their private chat, or a group they belong to."""
        if chat_id is None or chat_id == user.id:
            return self.chats[user.id]
        chat = self._group(chat_id)
        if chat.members.get(user.id) not in ACTIVE_STATUSES:
            raise LookupError(f"user {user.id} is not a member of chat {chat_id}")
        return chat

    @staticmethod
    def _existing(chat: ChatRecord, message_id: int, deleted_ok: bool = False) -> StoredMessage:
        stored = chat.history.get(message_id)
        if stored is None or (stored.deleted and not deleted_ok):
            raise LookupError(f"no message {message_id} in chat {chat.id}")
        return stored

    @staticmethod
    def _captioned(content: JSON, caption: str | None) -> JSON:
        return content | {"caption": caption} if caption else content

    def _new_message(
        self,
        chat: ChatRecord,
        sender: UserRecord | None,
        content: JSON,
        *,
        from_bot: bool,
        reply_to: StoredMessage | None = None,
        thread_id: int | None = None,
    ) -> StoredMessage:
        api: JSON = {"message_id": chat.take_message_id()}
        if sender is not None:
            api["from"] = sender.api()
        else:
            api["sender_chat"] = chat.api()
        api["chat"] = chat.api()
        api["date"] = int(time.time())
        if thread_id and chat.is_forum:
            api.update(message_thread_id=thread_id, is_topic_message=True)
        if reply_to is not None:
            api["reply_to_message"] = {
                key: value for key, value in reply_to.api.items() if key != "reply_to_message"
            }
        api.update(content)
        stored = StoredMessage(chat.id, api["message_id"], api, from_bot)
        chat.history[stored.message_id] = stored
        if from_bot:
            chat.bot_messages.append(stored)
        return stored

    def _post(
        self,
        user_id: int,
        chat_id: int | None,
        content: JSON,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """A person's new message: stored, and queued as a ``message`` update."""
        user = self._person(user_id)
        chat = self._chat_of(user, chat_id)
        if chat.type == "private" and chat.bot_status == "kicked":
            self.unblock(user_id)
        reply_to = (
            self._existing(chat, reply_to_message_id) if reply_to_message_id is not None else None
        )
        stored = self._new_message(
            chat, user, content, from_bot=False, reply_to=reply_to, thread_id=message_thread_id
        )
        self._emit("message", stored.api, chat)
        return stored.api

    def _emit(self, kind: str, payload: JSON, chat: ChatRecord, awaits_answer: bool = True) -> JSON:
        update = self.updates.push({kind: payload})
        if awaits_answer:
            chat.unanswered.append((update["update_id"], kind, time.perf_counter()))
        self._touch()
        return update

    def _set_bot_status(
        self, chat: ChatRecord, status: MemberStatus, by: UserRecord, notify: bool = True
    ) -> JSON:
        """Change the bot's membership and tell it with a my_chat_member update."""
        old, chat.bot_status = chat.bot_status, status
        change = {
            "chat": chat.api(),
            "from": by.api(),
            "date": int(time.time()),
            "old_chat_member": chat_member(self.me, old),
            "new_chat_member": chat_member(self.me, status),
        }
        if notify:
            self._emit("my_chat_member", change, chat, awaits_answer=False)
        else:
            self._touch()
        return change
