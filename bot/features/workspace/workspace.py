"""Registers the staff workspace (see the package's doc)."""

from __future__ import annotations

from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.workspace import lookup, queue, work


def register(router: Router) -> None:
    router.staff_command("queue")(queue.queue_command)
    router.staff_callback(NS.QUEUE)(queue.on_page)
    router.staff_command("find")(lookup.find_command)
    router.staff_command("history")(lookup.history_command)
    work.register(router)
