"""Handing updates to a bot: getUpdates long polling, or pushing them to a webhook.

Polling keeps the unconfirmed updates in a deque (confirming with ``offset`` drops its head);
a waiting ``getUpdates`` is woken by a future, and a second concurrent ``getUpdates`` ends the
first one with 409 Conflict, like Telegram. With a webhook, updates are queued per chat and
posted by up to ``max_connections`` workers, never two of the same chat at once (so a chat's
updates keep their order); a failed post is retried with backoff until it succeeds or the
webhook is deleted. Every operation is O(1) per update.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .protocol import ApiError, bad_request

JSON = dict[str, Any]
_RETRY_FIRST, _RETRY_MAX = 0.05, 1.0
_SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(slots=True)
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    queues: dict[int, deque[JSON]] = field(default_factory=dict)
    ready: asyncio.Queue[int] = field(default_factory=asyncio.Queue)
    scheduled: set[int] = field(default_factory=set)
    workers: list[asyncio.Task[None]] = field(default_factory=list)
    pending: int = 0
    last_error_date: int | None = None
    last_error_message: str | None = None


def _chat_key(update: JSON) -> int:
    """The chat an update belongs to (its ordering key for webhook delivery)."""
    for value in update.values():
        if not isinstance(value, dict):
            continue
        message = value.get("message")
        for owner in (
            value.get("chat"),
            message.get("chat") if isinstance(message, dict) else None,
            value.get("from"),
        ):
            if isinstance(owner, dict) and isinstance(owner.get("id"), int):
                return int(owner["id"])
    return 0


class UpdateQueue:
    """The updates waiting for one bot, delivered by polling or by webhook."""

    def __init__(self) -> None:
        self._polled: deque[JSON] = deque()
        self._ids = itertools.count(1)
        self._waiter: asyncio.Future[bool] | None = None
        self._webhook: _Webhook | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def pending_count(self) -> int:
        return self._webhook.pending if self._webhook else len(self._polled)

    def push(self, body: JSON) -> JSON:
        """Queue a new update (``body`` is e.g. ``{"message": {...}}``); return it with its id."""
        update = {"update_id": next(self._ids), **body}
        self.push_numbered(update)
        return update

    def push_numbered(self, update: JSON) -> None:
        """Queue an update that already carries its ``update_id``."""
        if self._webhook is not None:
            self._enqueue_for_webhook(self._webhook, update)
            return
        self._polled.append(update)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(False)

    # -- polling ------------------------------------------------------------------------------

    def _confirm(self, offset: int | None) -> None:
        polled = self._polled
        if offset is None:
            return
        if offset < 0:
            while len(polled) > -offset:
                polled.popleft()
            return
        while polled and polled[0]["update_id"] < offset:
            polled.popleft()

    async def get_updates(self, offset: int | None, limit: int, timeout: float) -> list[JSON]:
        """getUpdates: confirm updates below ``offset``, then return up to ``limit`` of them,
        waiting up to ``timeout`` seconds for one to arrive."""
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(True)
        self._confirm(offset)
        if not self._polled and timeout > 0:
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                conflict = await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                conflict = False
            finally:
                if self._waiter is waiter:
                    self._waiter = None
            if conflict:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure "
                    "that only one bot instance is running",
                )
        return list(itertools.islice(self._polled, limit))

    # -- webhook ------------------------------------------------------------------------------

    def _enqueue_for_webhook(self, hook: _Webhook, update: JSON) -> None:
        key = _chat_key(update)
        hook.queues.setdefault(key, deque()).append(update)
        hook.pending += 1
        if key not in hook.scheduled:
            hook.scheduled.add(key)
            hook.ready.put_nowait(key)

    async def set_webhook(
        self,
        url: str,
        secret_token: str | None,
        max_connections: int,
        allowed_updates: list[str] | None,
        drop_pending: bool,
    ) -> None:
        """setWebhook: start pushing updates (the queued ones first) to ``url``."""
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if secret_token is not None and (
            not 1 <= len(secret_token) <= 256 or not set(secret_token) <= _SECRET_CHARS
        ):
            raise bad_request("secret token contains unallowed characters")
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        waiting = await self._take_all(drop_pending)
        hook = _Webhook(url, secret_token, max_connections, allowed_updates)
        for update in waiting:
            self._enqueue_for_webhook(hook, update)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        hook.workers = [
            asyncio.create_task(self._deliver_forever(hook)) for _ in range(max_connections)
        ]
        self._webhook = hook

    async def delete_webhook(self, drop_pending: bool) -> None:
        """deleteWebhook: stop pushing; undelivered updates become available to getUpdates."""
        self._polled.extend(await self._take_all(drop_pending))

    async def _take_all(self, drop: bool) -> list[JSON]:
        """Remove and return every waiting update (polling or webhook), in update_id order."""
        hook, self._webhook = self._webhook, None
        waiting = list(self._polled)
        self._polled.clear()
        if hook is not None:
            for worker in hook.workers:
                worker.cancel()
            await asyncio.gather(*hook.workers, return_exceptions=True)
            waiting.extend(update for queue in hook.queues.values() for update in queue)
            waiting.sort(key=lambda update: update["update_id"])
        return [] if drop else waiting

    def webhook_info(self) -> JSON:
        """getWebhookInfo's ``WebhookInfo``."""
        hook = self._webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": self.pending_count,
        }
        if hook is not None:
            info.update(max_connections=hook.max_connections, ip_address="127.0.0.1")
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info.update(
                    last_error_date=hook.last_error_date, last_error_message=hook.last_error_message
                )
        return info

    async def _deliver_forever(self, hook: _Webhook) -> None:
        assert self._session is not None
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        )
        while True:
            key = await hook.ready.get()
            queue = hook.queues[key]
            delay = _RETRY_FIRST
            while not await self._post(hook, queue[0], headers):
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX)
            queue.popleft()
            hook.pending -= 1
            if queue:
                hook.ready.put_nowait(key)
            else:
                del hook.queues[key]
                hook.scheduled.discard(key)

    async def _post(self, hook: _Webhook, update: JSON, headers: dict[str, str]) -> bool:
        assert self._session is not None
        try:
            async with self._session.post(
                hook.url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=60)
            ) as response:
                if 200 <= response.status < 300:
                    return True
                reason = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = f"Connection failed: {exc.__class__.__name__}"
        hook.last_error_date, hook.last_error_message = int(time.time()), reason
        return False

    async def close(self) -> None:
        """Stop webhook workers, wake a waiting getUpdates, close the HTTP client."""
        await self._take_all(drop=False)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(False)
        if self._session is not None:
            await self._session.close()
            self._session = None
