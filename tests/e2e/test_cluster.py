"""Issue #16, section 1: several ``python -m bot run`` processes on one PostgreSQL database are
one service (``bot.engine.cluster``, ``bot.engine.lease``).

* A burst from 200 people over three processes, the one polling Telegram killed with SIGKILL
  in the middle: every person gets every answer, in order; a message is repeated at most once
  per chat (the one in flight when the process died); every update is handled, none failed;
  and no chat's updates were ever handled by two processes at once — each process writes when
  it began and ended each update (``MUSTAFEED_HANDLING_LOG``, the system-wide monotonic clock),
  and the intervals of one chat never overlap. (A process killed in the middle of an update
  writes no line for it: its transaction was rolled back, or committed as it died.)
* Polling: one process polls at a time; when it dies another takes the lease within 10 s and
  the bot answers again.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator.server import Emulator
from storage.db import Database
from storage.models import InboundUpdate, Lease
from tests.conftest import ON_POSTGRES
from tests.subprocess_bot import BotProcess, counts, eventually

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="a cluster runs on PostgreSQL only")

SCRIPT = ("/start", "/help", "/privacy", "/language")  # one answer each, all different
PEOPLE = range(70_001, 70_201)  # 200 beneficiaries
CONTROL = 70_000


class ClusterProcess(BotProcess):
    def __init__(self, emu: Emulator, workdir: Path, database_url: str, trace: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(emu, workdir, database_url)
        self.trace = trace

    def env(self) -> dict[str, str]:
        return {**super().env(), "MUSTAFEED_HANDLING_LOG": str(self.trace)}


async def poller_pid(db: Database) -> int | None:
    async with db.read() as session:
        holder = await session.scalar(select(Lease.holder).where(Lease.name == "poll"))
    return int(holder.split(":")[1]) if holder else None


async def settled(emu: Emulator, db: Database, procs: list[ClusterProcess]) -> None:
    async def idle() -> bool:
        if emu.updates.pending_count:
            return False
        state = await counts(db)
        return not state.get("in_pending") and not state.get("out_pending")

    try:
        await eventually(idle, 120, "the cluster idle", interval=0.2)
    except TimeoutError as exc:
        logs = "\n".join(p.output() for p in procs)
        raise TimeoutError(f"{exc}: {await counts(db)}\n{logs}") from None


def overlaps(trace: Path) -> list[str]:
    """Pairs of updates of one chat whose handling overlapped in time."""
    by_chat: dict[str, list[tuple[int, int, str, str]]] = {}
    for line in trace.read_text().splitlines():
        pid, chat, update_id, began, ended = line.split()
        by_chat.setdefault(chat, []).append((int(began), int(ended), pid, update_id))
    found = []
    for chat, spans in by_chat.items():
        spans.sort()
        for (_, end, pid, uid), (start, _, pid2, uid2) in itertools.pairwise(spans):
            if start < end:
                found.append(f"chat {chat}: {uid} in {pid} and {uid2} in {pid2}")
    return found


async def test_three_processes_a_burst_and_a_kill(
    emu: Emulator, database_url: str, tmp_path: Path, profile
) -> None:
    trace = tmp_path / "handling.log"
    for uid in (CONTROL, *PEOPLE):
        emu.add_user(uid, "ريم", language_code="ar")  # one name: the same words owed to each
    procs = [ClusterProcess(emu, tmp_path / f"p{n}", database_url, trace) for n in range(1, 4)]
    db = Database(database_url).scoped(profile.association.id)
    try:
        for proc in procs:
            proc.start()
        for n, text in enumerate(SCRIPT, 1):  # the reference, one update at a time
            emu.send_text(CONTROL, text)
            await emu.wait_until(lambda n=n: len(emu.messages(CONTROL)) >= n, 60)
        reference = [m["text"] for m in emu.messages(CONTROL)]
        assert len(reference) == len(SCRIPT) and len(set(reference)) == len(SCRIPT)

        for text in SCRIPT:  # everybody at once
            for uid in PEOPLE:
                emu.send_text(uid, text)

        def answered() -> int:
            return sum(len(emu.messages(uid)) for uid in PEOPLE)

        total = len(PEOPLE) * len(SCRIPT)
        await emu.wait_until(lambda: answered() >= total // 5, 120)
        polling = await poller_pid(db)
        victim = next(p for p in procs if p.proc is not None and p.pid == polling)
        victim.kill()  # the poller, in the middle of the burst
        assert answered() < total, "the kill must land while answers are still owed"
        await settled(emu, db, procs)

        assert set(await counts(db)) <= {"in_done", "out_sent"}, await counts(db)
        repeated = 0
        for uid in PEOPLE:
            texts = [m["text"] for m in emu.messages(uid)]
            kept = [t for i, t in enumerate(texts) if i == 0 or texts[i - 1] != t]
            assert kept == reference, (uid, texts)
            assert len(texts) - len(kept) <= 1, (uid, "repeated beyond the one in flight")
            repeated += len(texts) - len(kept)
        assert not (found := overlaps(trace)), found[:5]
        async with db.read() as session:
            stored = (await session.scalars(select(InboundUpdate.update_id))).all()
        assert len(stored) == total + len(SCRIPT)
        for proc in procs:
            if proc is not victim:
                assert proc.proc is not None and proc.proc.poll() is None, proc.output()
                proc.stop()
                assert "Traceback" not in proc.output(10**7), proc.output()
    finally:
        for proc in procs:
            proc.stop()
        await db.dispose()


async def test_the_poller_dies_and_another_takes_over(
    emu: Emulator, database_url: str, tmp_path: Path, profile
) -> None:
    emu.add_user(CONTROL, "ريم", language_code="ar")
    trace = tmp_path / "handling.log"
    procs = [ClusterProcess(emu, tmp_path / f"p{n}", database_url, trace) for n in (1, 2)]
    db = Database(database_url).scoped(profile.association.id)
    try:
        for proc in procs:
            proc.start()
        emu.send_text(CONTROL, "/help")
        await emu.wait_until(lambda: len(emu.messages(CONTROL)) == 1, 60)
        first = await poller_pid(db)
        holder = next(p for p in procs if p.pid == first)
        other = next(p for p in procs if p is not holder)
        holder.kill()

        async def taken() -> bool:
            return await poller_pid(db) == other.pid

        await eventually(taken, 10, "another process holding the poll lease")
        emu.send_text(CONTROL, "/privacy")
        await emu.wait_until(lambda: len(emu.messages(CONTROL)) == 2, 10)
        # the new poller confirms the update with its next getUpdates, just after the answer
        await emu.wait_until(lambda: emu.updates.pending_count == 0, 10)
    finally:
        for proc in procs:
            proc.stop()
        await db.dispose()
