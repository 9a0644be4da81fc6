"""Where an update goes. Filled in one place, ``bot.app.build_router`` (order matters there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.engine.context import Ctx, UnitOfWork
from bot.engine.keyboards import Callback, Markup
from bot.engine.namespaces import NS

HandlerFn = Callable[[Ctx], Awaitable[None]]
CallbackFn = Callable[[Ctx, Callback], Awaitable[None]]
# a periodic job (bot.engine.jobs): does what is due at ``now``, returns how many things it did
JobFn = Callable[[UnitOfWork, datetime], Awaitable[int]]


class Flow(Protocol):
    """A multi-step conversation whose state lives in the ``dialogs`` table."""

    name: str

    async def on_message(self, ctx: Ctx) -> None: ...

    async def resume(self, ctx: Ctx) -> None:
        """Ask the current question again (after /menu, a restart, or an unexpected message)."""


@dataclass
class Router:
    commands: dict[str, HandlerFn] = field(default_factory=dict)
    # button presses: keyed by (namespace, action), or by namespace for all its other actions
    callbacks: dict[str | tuple[str, str], CallbackFn] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    staff_commands: dict[str, HandlerFn] = field(default_factory=dict)
    staff_callbacks: dict[str | tuple[str, str], CallbackFn] = field(default_factory=dict)
    # staff replies to a linked message (a prompt, a ticket): tried in order until one says True
    reply_handlers: list[Callable[[Ctx, Any], Awaitable[bool]]] = field(default_factory=list)
    # a beneficiary's reply to one of our messages about a case: tried in order (before any
    # dialog) until one says True — the reply joins that case
    case_replies: list[Callable[[Ctx], Awaitable[bool]]] = field(default_factory=list)
    # set by the handlers that own them
    on_free_text: HandlerFn | None = None
    on_other_message: HandlerFn | None = None
    on_staff_message: HandlerFn | None = None
    on_stale_callback: HandlerFn | None = None
    on_unknown_command: HandlerFn | None = None
    on_needs_consent: HandlerFn | None = None
    on_chat_member: HandlerFn | None = None
    # the way back offered with the apology after a failure (the home feature's menu)
    apology_keyboard: Callable[[Ctx], Markup] | None = None
    # periodic jobs, run in this order by bot.engine.jobs
    jobs: list[JobFn] = field(default_factory=list)

    # consent is asked before anything else; these work without it
    consent_free_commands: set[str] = field(
        default_factory=lambda: {"start", "help", "language", "cancel", "privacy"}
    )
    consent_free_callbacks: set[str] = field(default_factory=lambda: {NS.CONSENT, NS.LANG})

    def command(self, *names: str) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            for name in names:
                self.commands[name] = fn
            return fn

        return deco

    def callback(self, namespace: NS, *actions: str) -> Callable[[CallbackFn], CallbackFn]:
        """The handler of a namespace's buttons: of the given ``actions``, or of all the others."""
        return self._claim(self.callbacks, namespace, actions)

    def menu(self, action: str) -> Callable[[HandlerFn], HandlerFn]:
        """A main-menu entry (a ``menu:<action>`` button)."""

        def deco(fn: HandlerFn) -> HandlerFn:
            async def pressed(ctx: Ctx, _data: Callback) -> None:
                await fn(ctx)

            self._claim(self.callbacks, NS.MENU, (action,))(pressed)
            return fn

        return deco

    def handler_for(self, data: Callback, *, staff: bool = False) -> CallbackFn | None:
        table = self.staff_callbacks if staff else self.callbacks
        return table.get((data.namespace, data.action)) or table.get(data.namespace)

    @staticmethod
    def _claim(
        table: dict[str | tuple[str, str], CallbackFn], namespace: NS, actions: tuple[str, ...]
    ) -> Callable[[CallbackFn], CallbackFn]:
        if not isinstance(namespace, NS):
            raise TypeError(f"declare the namespace in bot.engine.namespaces: {namespace!r}")
        keys = [(namespace.value, a) for a in actions] if actions else [namespace.value]

        def deco(fn: CallbackFn) -> CallbackFn:
            for key in keys:
                if key in table:
                    raise ValueError(f"button {key!r} is claimed twice")
                table[key] = fn
            return fn

        return deco

    def staff_command(self, *names: str) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            for name in names:
                self.staff_commands[name] = fn
            return fn

        return deco

    def staff_callback(self, namespace: NS, *actions: str) -> Callable[[CallbackFn], CallbackFn]:
        return self._claim(self.staff_callbacks, namespace, actions)

    def job(self, fn: JobFn) -> JobFn:
        self.jobs.append(fn)
        return fn

    def flow(self, flow: Flow) -> Flow:
        self.flows[flow.name] = flow
        return flow
