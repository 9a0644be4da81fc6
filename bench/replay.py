"""One update's cost, replayed: the updates of a ``bench.load`` run, through the real dispatcher.

``python -m bench.replay record RUN_DIR updates.json`` takes the updates a kept run stored
(``bench.load --keep``: its ``full.db``), decrypted; ``python -m bench.replay play updates.json``
starts the bot in process (``tests.harness.start_app``, the emulator beside it) and hands them
to ``Intake.store`` and ``Dispatcher.handle``, 50 at a time, one after another, on a fresh
database each repeat. The sender, the callback answers, the staff check and the file heads are
stubbed: what is measured is the intake's store and the unit of work — the part of an update
that one transaction per update costs. The same updates give the same work in every tree, so:

* ``--count``: statements and PostgreSQL round trips (BEGIN, COMMIT, pre-ping) per update,
  which no other process can disturb;
* ``--calls``: Python function calls per update (cProfile), a stand-in for CPU on a busy
  machine;
* always: the CPU per update of each repeat (``time.process_time``; take the least of several,
  alternating trees: ``PYTHONPATH=<tree> python bench/replay.py …``) and its wall time (the
  updates go one after the other: on PostgreSQL, mostly the round trips' latency).

docs/benchmarks.md, "Session 5", has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import pstats
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import empty_schema

ROOT = Path(__file__).resolve().parent.parent
PROFILE_OUT = ""  # --calls: also keep the profile here (``--profile-out``)
SECRET = "bench-secret-key-that-is-long-enough-0123456789abcdef"  # bench.load's


def record(run_dir: Path, out: Path) -> int:
    from bot.engine.intake import unseal
    from storage.crypto import Vault

    vault = Vault(SECRET)
    with sqlite3.connect(run_dir / "full.db") as conn:
        rows = conn.execute(
            "SELECT association_id, update_id, raw FROM inbound_updates WHERE raw IS NOT NULL"
            " ORDER BY update_id"
        ).fetchall()
    raws = [unseal(vault, tenant, uid, json.loads(raw)) for tenant, uid, raw in rows]
    out.write_text(json.dumps(raws))
    return len(raws)


class Counter:
    """Statements, and on PostgreSQL the adapter's BEGIN, COMMIT and pre-ping (three trips)."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.n: collections.Counter[str] = collections.Counter()
        event.listen(Engine, "before_cursor_execute", self._statement)
        try:
            from sqlalchemy.dialects.postgresql import asyncpg as pg
        except ImportError:
            return
        adapter: Any = pg.AsyncAdapt_asyncpg_connection
        for name in ("ping", "_start_transaction", "commit"):
            setattr(adapter, name, self._counting(getattr(adapter, name), name))

    def _statement(self, *args: Any) -> None:
        self.n["statement"] += 1

    def _counting(self, method: Any, name: str) -> Any:
        def counted(adapter: Any, *args: Any, **kwargs: Any) -> Any:
            self.n[name] += 1
            return method(adapter, *args, **kwargs)

        return counted

    def per_update(self, updates: int) -> dict[str, float]:
        n = self.n
        trips = n["statement"] + n["_start_transaction"] + n["commit"] + 3 * n["ping"]
        return {
            "statements": round(n["statement"] / updates, 2),
            "trips": round(trips / updates, 2),
            "pre_pings": round(n["ping"] / updates, 2),
        }


async def play_once(
    raws: list[dict[str, Any]], url: str | None, counter: Counter | None, calls: bool
) -> dict[str, float]:
    from bot.emulator.server import Emulator
    from bot.profile import load_profile
    from tests.harness import make_settings, populate, start_app

    emu = Emulator()
    populate(emu)
    await emu.start()
    url = url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/replay.db"
    await empty_schema(url)
    app = await start_app(
        emu, make_settings(emu, url), load_profile(ROOT / "profiles" / "khairat.yaml")
    )
    app.rt.flood_burst = 1e9
    app.sender.enqueue = lambda items: None  # type: ignore[method-assign]
    channel: Any = app.rt.channel

    async def nothing(*_: Any) -> None:
        return None

    async def member(*_: Any) -> bool:
        return True

    async def pdf_head(*_: Any) -> bytes:
        return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"

    channel.answer_action, channel.is_member, channel.file_head = nothing, member, pdf_head
    await asyncio.sleep(0.5)  # the start's own jobs
    if counter is not None:
        counter.n.clear()
    profile = cProfile.Profile() if calls else None
    if profile:
        profile.enable()
    began, wall = time.process_time(), time.perf_counter()
    for i in range(0, len(raws), 50):
        for raw in await app.intake.store(raws[i : i + 50]):
            await app.dispatcher.handle(raw["update_id"], raw)
    cpu, wall = time.process_time() - began, time.perf_counter() - wall
    result = {  # wall: one update after the other, so on PostgreSQL mostly its round trips
        "cpu_ms": round(cpu / len(raws) * 1000, 4),
        "wall_ms": round(wall / len(raws) * 1000, 4),
    }
    if profile:
        profile.disable()
        result["calls"] = round(pstats.Stats(profile).total_calls / len(raws), 1)  # type: ignore[attr-defined]
        if PROFILE_OUT:
            profile.dump_stats(PROFILE_OUT)
    if counter is not None:
        result.update(counter.per_update(len(raws)))
    await app.stop()
    await emu.stop()
    return result


def main() -> None:
    p = argparse.ArgumentParser(prog="bench.replay")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("record")
    r.add_argument("run_dir", type=Path)
    r.add_argument("out", type=Path)
    q = sub.add_parser("play")
    q.add_argument("updates", type=Path)
    q.add_argument("--database-url")
    q.add_argument("--repeats", type=int, default=2)
    q.add_argument("--count", action="store_true")
    q.add_argument("--calls", action="store_true")
    q.add_argument("--profile-out", help="with --calls: write the cProfile stats here")
    args = p.parse_args()
    if args.command == "record":
        print(record(args.run_dir, args.out), "updates")
        return
    raws = json.loads(args.updates.read_text())
    global PROFILE_OUT
    PROFILE_OUT = args.profile_out or ""
    counter = Counter() if args.count else None
    for _ in range(args.repeats):
        result = asyncio.run(play_once(raws, args.database_url, counter, args.calls))
        print(json.dumps({"updates": len(raws), **result}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
