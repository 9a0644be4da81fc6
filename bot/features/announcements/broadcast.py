"""Sending an announcement: a window at a time through the outbox, then the report.

A pump (one background task per announcement under way) runs ``step`` every ``INTERVAL``
seconds, each step one unit of work: it tops the announcement's outstanding outbox rows up to
``WINDOW`` (≈ two seconds of Telegram's 30 a second), taking the next recipients in id order.
Each recipient row moves ``owed`` → ``queued`` in the transaction that writes its outbox row, so a
recipient is owed once and only once, across a crash too (the outbox is at-least-once: a SIGKILL
between Telegram's answer and the bookkeeping repeats at most the few messages in flight). The
rows are ``bulk`` in the sender: they use only the budget people's own conversations leave.

Nobody who stopped the announcements or blocked the assistant since the preview gets one: each
recipient is checked again when their turn comes (``dropped``). Pause stops the topping up (what
the outbox holds, at most ``WINDOW``, still goes); resume starts a pump again; cancel stops for
good. When nothing is owed or outstanding, the supervisor gets the report: delivered, blocked,
failed, not sent. After a restart the job ``resume_pumps`` starts the pumps again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from html import escape

from sqlalchemy import func, select, update

from bot.engine.context import Runtime, UnitOfWork
from bot.engine.dispatch import unit_of_work
from bot.engine.keyboards import Buttons, button, cb, inline
from bot.engine.messages import Notice, Say, SendFile
from bot.engine.namespaces import NS
from bot.engine.owed import bulk
from bot.i18n import N_, translator
from storage.models import Announcement, AnnouncementRecipient, Beneficiary, OutboxMessage, utcnow

log = logging.getLogger(__name__)

LINK = "announce"  # OutboxMessage.link_kind of an announcement's messages
WINDOW = 60  # outbox rows outstanding at most, per announcement
INTERVAL = 0.5  # seconds between two steps
PROGRESS_EVERY = 30.0  # seconds between two updates of the supervisor's status message
AUTOSTART = True  # tests drive ``step`` themselves when False
STOP_LABEL = N_("🔕 Stop announcements")

_pumps: dict[tuple[str, int], asyncio.Task[None]] = {}


# -- the beneficiary's message ----------------------------------------------------------------------


def owe_to(work: UnitOfWork, ann: Announcement, chat_id: int, locale: str | None) -> None:
    tr = translator(locale)
    head = tr.gettext("📢 <b>An announcement from {association}</b>").format(
        association=escape(work.profile.association.name.get(tr.locale))
    )
    text = f"{head}\n\n{ann.text or ''}"
    keyboard = inline([[button(tr.gettext(STOP_LABEL), cb(NS.NOTICES, "off", "a"))]])
    notice = Notice("announcement", text=ann.text or "")  # WhatsApp: the template's words
    message: Say | SendFile
    if ann.file_id and ann.file_kind in ("photo", "document"):
        message = SendFile(
            chat_id,
            ann.file_kind,
            file_id=ann.file_id,
            caption=text,
            markup=keyboard,
            notice=notice,
        )
    else:
        message = Say(chat_id, text, keyboard, notice=notice)
    item = work.owe(message, link=(LINK, ann.id))
    bulk(item)


# -- one step ---------------------------------------------------------------------------------------


async def outstanding(work: UnitOfWork, ann_id: int) -> int:
    return int(
        await work.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.status == "pending",
                OutboxMessage.link_kind == LINK,
                OutboxMessage.link_id == ann_id,
            )
        )
        or 0
    )


async def top_up(work: UnitOfWork, ann: Announcement, room: int) -> int:
    """Queue up to ``room`` more recipients; returns how many rows were taken (queued or
    dropped)."""
    if room <= 0:
        return 0
    query = (
        select(AnnouncementRecipient, Beneficiary)
        .join(Beneficiary, Beneficiary.id == AnnouncementRecipient.beneficiary_id)
        .where(
            AnnouncementRecipient.announcement_id == ann.id,
            AnnouncementRecipient.state == "owed",
        )
        .order_by(AnnouncementRecipient.id)
        .limit(room)
    )
    if (
        await work.session.connection()
    ).dialect.name == "postgresql":  # two pumps never take the same row
        query = query.with_for_update(of=AnnouncementRecipient, skip_locked=True)
    rows = (await work.session.execute(query)).all()
    for recipient, person in rows:
        still = (
            person.notices is True
            and person.unreachable_at is None
            and person.consent_at is not None
            and person.consent_withdrawn_at is None
        )
        recipient.state = "queued" if still else "dropped"
        if still:
            owe_to(work, ann, recipient.chat_id, person.locale)
    return len(rows)


async def step(rt: Runtime, ann_id: int, *, progress: bool = False) -> bool:
    """One step of the pump as its own unit of work; False when the pump should stop;
    ``progress``: also show the supervisor how far it went."""
    async with unit_of_work(rt) as work:
        return await advance(work, ann_id, progress=progress)


async def advance(work: UnitOfWork, ann_id: int, *, progress: bool = False) -> bool:
    ann = await work.session.get(Announcement, ann_id)
    if ann is None or ann.finished_at is not None or ann.status in ("draft", "paused"):
        return False
    waiting = await outstanding(work, ann.id)
    if (
        progress
        and ann.status == "sending"
        and ann.chat_id is not None
        and ann.message_id is not None
    ):
        work.edit(
            ann.chat_id,
            ann.message_id,
            status_text(ann, await figures(work, ann.id)),
            controls(ann),
        )
    if ann.status == "sending":
        if await top_up(work, ann, WINDOW - waiting):
            return True
        if waiting:
            return True
    elif waiting:  # cancelled: what the outbox holds still goes, then the report
        return True
    await finish(work, ann)
    return False


# -- the report -------------------------------------------------------------------------------------


async def figures(work: UnitOfWork, ann_id: int) -> dict[str, int]:
    rows = (
        await work.session.execute(
            select(OutboxMessage.status, Beneficiary.unreachable_at.is_not(None), func.count())
            .select_from(OutboxMessage)
            .outerjoin(
                Beneficiary,
                Beneficiary.telegram_user_id == OutboxMessage.chat_id,
            )
            .where(
                OutboxMessage.link_kind == LINK,
                OutboxMessage.link_id == ann_id,
            )
            .group_by(OutboxMessage.status, Beneficiary.unreachable_at.is_not(None))
        )
    ).all()
    out = {"delivered": 0, "blocked": 0, "failed": 0, "pending": 0}
    for status, unreachable, n in rows:
        if status == "sent":
            out["delivered"] += n
        elif status == "failed":
            out["blocked" if unreachable else "failed"] += n
        else:
            out["pending"] += n
    states = dict(
        (
            await work.session.execute(
                select(AnnouncementRecipient.state, func.count())
                .where(AnnouncementRecipient.announcement_id == ann_id)
                .group_by(AnnouncementRecipient.state)
            )
        ).all()
    )
    out["stopped"] = int(states.get("dropped", 0))
    out["unsent"] = int(states.get("owed", 0))
    return out


def status_text(ann: Announcement, numbers: dict[str, int]) -> str:
    tr = translator("ar")
    sent = numbers["delivered"] + numbers["blocked"] + numbers["failed"]
    state = {
        "sending": N_("⏳ Sending"),
        "paused": N_("⏸ Paused"),
        "cancelled": N_("✖️ Cancelled"),
        "done": N_("✅ Sent"),
    }.get(ann.status, N_("⏳ Sending"))
    return tr.gettext("📢 Announcement #{id} — {state}\n{sent} of {total} handled so far.").format(
        id=ann.id, state=tr.gettext(state), sent=sent, total=ann.total
    )


def controls(ann: Announcement) -> Buttons:
    tr = translator("ar")
    if ann.status == "sending":
        first = button(tr.gettext("⏸ Pause"), cb(NS.ANNOUNCE, "pause", ann.id))
    else:
        first = button(tr.gettext("▶️ Resume"), cb(NS.ANNOUNCE, "resume", ann.id))
    return inline(
        [
            [
                first,
                button(tr.gettext("✖️ Cancel the announcement"), cb(NS.ANNOUNCE, "cancel", ann.id)),
            ]
        ]
    )


async def finish(work: UnitOfWork, ann: Announcement) -> None:
    """Nothing owed or outstanding any more: the supervisor's report."""
    tr = translator("ar")
    if ann.status == "sending":
        ann.status = "done"
    ann.finished_at = utcnow()
    numbers = await figures(work, ann.id)
    if ann.status == "cancelled":  # what was still owed will not be sent
        await work.session.execute(
            update(AnnouncementRecipient)
            .where(
                AnnouncementRecipient.announcement_id == ann.id,
                AnnouncementRecipient.state == "owed",
            )
            .values(state="dropped")
        )
    lines = [
        tr.gettext("📊 <b>Report of announcement #{id}</b>").format(id=ann.id),
        tr.gettext("Recipients: {n}").format(n=ann.total),
        tr.gettext("✅ Delivered: {n}").format(n=numbers["delivered"]),
        tr.gettext("🚫 Blocked the assistant: {n}").format(n=numbers["blocked"]),
        tr.gettext("⚠️ Could not be delivered: {n}").format(n=numbers["failed"]),
    ]
    if numbers["stopped"]:
        lines.append(
            tr.gettext("🔕 Stopped the announcements before their turn: {n}").format(
                n=numbers["stopped"]
            )
        )
    if ann.status == "cancelled":
        lines.append(tr.gettext("✖️ Not sent (cancelled): {n}").format(n=numbers["unsent"]))
    if ann.chat_id is not None and ann.message_id is not None:
        work.edit(ann.chat_id, ann.message_id, status_text(ann, numbers), Buttons(()))
    target = ann.chat_id if ann.chat_id is not None else ann.created_by
    work.send(target, "\n".join(lines), quote=ann.message_id)


# -- the pumps ----------------------------------------------------------------------------------------


def start_pump(rt: Runtime, ann_id: int) -> None:
    """A background pump for ``ann_id`` unless one runs already (in this process)."""
    if not AUTOSTART:
        return
    key = (rt.tenant, ann_id)
    task = _pumps.get(key)
    if task is not None and not task.done():
        return
    _pumps[key] = asyncio.create_task(_pump(rt, ann_id), name=f"announce:{rt.tenant}:{ann_id}")


async def _pump(rt: Runtime, ann_id: int) -> None:
    failures = 0
    shown = time.monotonic()
    while True:
        await asyncio.sleep(INTERVAL)  # the first step after the confirming unit commits
        progress = time.monotonic() - shown >= PROGRESS_EVERY
        if progress:
            shown = time.monotonic()
        try:
            if not await step(rt, ann_id, progress=progress):
                return
            failures = 0
        except asyncio.CancelledError:
            raise
        except Exception:  # the database away a moment: try again, then leave it to the job
            failures += 1
            log.exception("announcement %s: a step failed", ann_id)
            if failures >= 10:
                return


async def wait_pumps(timeout: float = 60.0) -> None:
    """Until every pump of this process has ended (tests)."""
    tasks = [t for t in _pumps.values() if not t.done()]
    if tasks:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)


async def stop_pumps(tenant: str) -> None:
    tasks = [t for (owner, _), t in list(_pumps.items()) if owner == tenant and not t.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for key in [k for k in _pumps if k[0] == tenant]:
        _pumps.pop(key, None)


async def resume_pumps(work: UnitOfWork, now: datetime) -> int:
    """After a restart: the announcements under way (or cancelled, awaiting their report) go on."""
    ids = (
        await work.session.scalars(
            select(Announcement.id).where(
                Announcement.finished_at.is_(None),
                Announcement.status.in_(("sending", "cancelled")),
            )
        )
    ).all()
    for ann_id in ids:
        start_pump(work.rt, ann_id)
    return 0
