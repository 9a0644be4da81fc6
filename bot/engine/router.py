"""Where an update goes. Filled in one place, ``bot.app.build_router`` (order matters there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.engine.context import Ctx
from bot.engine.keyboards import Callback

HandlerFn = Callable[[Ctx], Awaitable[None]]
CallbackFn = Callable[[Ctx, Callback], Awaitable[None]]


class Flow(Protocol):
    """A multi-step conversation whose state lives in the ``dialogs`` table."""

    name: str

    async def on_message(self, ctx: Ctx) -> None: ...

    async def resume(self, ctx: Ctx) -> None:
        """Ask the current question again (after /menu, a restart, or an unexpected message)."""


@dataclass
class Router:
    commands: dict[str, HandlerFn] = field(default_factory=dict)
    callbacks: dict[str, CallbackFn] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    menu_actions: dict[str, HandlerFn] = field(default_factory=dict)  # "menu:<action>" buttons
    staff_commands: dict[str, HandlerFn] = field(default_factory=dict)
    staff_callbacks: dict[str, CallbackFn] = field(default_factory=dict)
    # staff replies to a linked message (a prompt, a ticket): tried in order until one says True
    reply_handlers: list[Callable[[Ctx, Any], Awaitable[bool]]] = field(default_factory=list)
    # set by the handlers that own them
    on_free_text: HandlerFn | None = None
    on_other_message: HandlerFn | None = None
    on_staff_message: HandlerFn | None = None
    on_stale_callback: HandlerFn | None = None
    on_unknown_command: HandlerFn | None = None
    on_needs_consent: HandlerFn | None = None
    on_chat_member: HandlerFn | None = None

    # consent is asked before anything else; these work without it
    consent_free_commands: set[str] = field(default_factory=lambda: {"start", "help", "language", "cancel", "privacy"})
    consent_free_callbacks: set[str] = field(default_factory=lambda: {"consent", "lang"})

    def command(self, *names: str) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            for name in names:
                self.commands[name] = fn
            return fn
        return deco

    def callback(self, namespace: str) -> Callable[[CallbackFn], CallbackFn]:
        def deco(fn: CallbackFn) -> CallbackFn:
            self.callbacks[namespace] = fn
            return fn
        return deco

    def menu(self, action: str) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            self.menu_actions[action] = fn
            return fn
        return deco

    def staff_command(self, *names: str) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            for name in names:
                self.staff_commands[name] = fn
            return fn
        return deco

    def staff_callback(self, namespace: str) -> Callable[[CallbackFn], CallbackFn]:
        def deco(fn: CallbackFn) -> CallbackFn:
            self.staff_callbacks[namespace] = fn
            return fn
        return deco

    def flow(self, flow: Flow) -> Flow:
        self.flows[flow.name] = flow
        return flow
