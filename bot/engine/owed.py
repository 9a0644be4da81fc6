"""Marks a unit of work puts on the messages it owes, read by the outbox's sender
(``bot.engine.outbox``): a follow-up to staff merged or paced behind new cases, copies sent once,
one of many (an announcement), and messages owed only once another is delivered (or is not)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.engine.outbox import BULK_KEY, MERGE_KEY, THEN_KEY, Out


def joined(item: Out, key: str, head: str, body: str) -> Out:
    """A follow-up to staff (``item`` says ``head`` then ``body``): merged with the other
    follow-ups of ``key`` still waiting, and sent after the chat's cards and decisions."""
    item.payload[MERGE_KEY] = {"key": key, "head": head, "body": body}
    return item


def paced(item: Out, key: str) -> Out:
    """A follow-up that cannot be merged (a photo, a file; their number per case is capped):
    it goes after the chat's cards and decisions, in order with the other follow-ups of
    ``key``."""
    item.payload[MERGE_KEY] = {"key": key, "single": True}
    return item


def collapse(item: Out, key: str) -> Out:
    """Copies of ``item`` (same ``key``) still waiting are sent once (a repeated "added ✓")."""
    item.payload[MERGE_KEY] = {"key": key}
    return item


def bulk(item: Out) -> Out:
    """One of many (an announcement's): it uses only the global budget nothing else waits for."""
    item.payload[BULK_KEY] = True
    return item


def after_delivery(
    owed: list[Out], item: Out, *, sent: Iterable[Out] = (), failed: Iterable[Out] = ()
) -> Out:
    """Owe ``sent`` only once ``item`` is delivered, and ``failed`` only if it cannot be: both
    leave ``owed`` (the unit of work's list) and ride in ``item``'s payload."""
    then: dict[str, list[dict[str, Any]]] = {}
    for name, items in (("sent", list(sent)), ("failed", list(failed))):
        owed[:] = [o for o in owed if not any(o is other for other in items)]
        if items:
            then[name] = [other.spec() for other in items]
    if then:
        item.payload[THEN_KEY] = then
    return item
