"""Load benchmark (issue #7): the REAL bot, driven over HTTP through the project's Bot API
emulator by simulated beneficiaries, measured against a bare python-telegram-bot echo bot.

    .venv/bin/python -m bench.load                       # all scenarios, small, ~3 minutes
    .venv/bin/python -m bench.load --scenario full --users 200 --duration 60
    .venv/bin/python -m bench.load --scenario rss --rss-users 10000
    .venv/bin/python -m bench.load --scenario scaling --plot docs/load-scaling.png
    .venv/bin/python -m bench.load --database-url postgresql+asyncpg://127.0.0.1:5432/test

Method
------
* One process (this one) runs the emulator (aiohttp, 127.0.0.1, random port) and the simulated
  people. The bot runs in a **subprocess**, so its CPU time (``/proc/<pid>/stat``) and its
  resident set (``VmRSS``/``VmHWM``) are its own, not mixed with the emulator's or the load's:
  on two cores the bot gets one and the emulator plus the load the other. The echo reference is
  a subprocess too (``bench/echo_bot.py``), measured the same way against the same emulator.
* Closed loop: each simulated beneficiary does one thing, then waits for the bot's answer in
  its own chat before the next. The wait is woken by the emulator itself (a per-chat event set
  whenever the bot sends, edits or answers a button press there) — no sleeps, no polling.
* A beneficiary goes through the whole request of ``tests/flows.py`` without the
  deliberate mistakes: /start, consent, "apply", the service, "start", every field of the
  profile's form by its type (text, national ID with a valid check digit, the contact button,
  Hijri date, numbers, choice buttons, location, documents as a photo and PDFs, skip the
  optional one), review, declaration, submit; then /status and a free-text FAQ question. Every
  step checks the bot's answer (the next question, the buttons, the reference number), so a
  broken bot cannot look fast. Each virtual user starts a new beneficiary (a new Telegram
  user) after finishing one, so nobody hits the per-person flood limit.
* Latency of an update: from its creation in the emulator (it is queued for getUpdates) to the
  bot's first answer in that chat (message, edit, or callback answer) — ``Emulator.latencies``.
  Throughput and latency come from a steady window: after ``--warmup`` seconds, until the end
  of ``--duration``.
* The bot runs with Telegram's sending limits lifted (``Limits`` of ``bot.engine.outbox``): they are
  Telegram's rules, not a cost (30 messages/s in all would cap any bot at ~20 updates/s), and
  the echo reference has none. ``--telegram-limits`` keeps them. Everything else is exactly
  ``mustafeed run`` (``_serve-bot`` below); the cold start uses ``python -m bot run`` itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123:ABC"
STAFF_CHAT = -100123
STAFF_USER = 2001
SECRET = "bench-secret-key-that-is-long-enough-0123456789abcdef"
SERVICE = "food-support"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PY = sys.executable

TARGETS = {
    "throughput_ratio_min": 0.6,
    "p99_ratio_max": 2.0,
    "rss_mb_max": 200.0,
    "cold_start_s_max": 2.0,
}


# ---------------------------------------------------------------------------------------------
# The emulator, with a per-chat wake-up
# ---------------------------------------------------------------------------------------------


def _emulator_class():
    from bot.emulator.server import Emulator
    from bot.emulator.state import ApiCall

    class BenchEmulator(Emulator):
        """The project's emulator; a simulated person waits on an event of its own chat (set
        whenever the bot acts there), so 1,000 waiting people cost nothing per change. The call
        log is not kept (a long run would hold every payload), only the first time of each
        method (for the cold start) and a count."""

        def __init__(self) -> None:
            super().__init__()
            self._chat_events: dict[int, asyncio.Event] = {}
            self.first_call: dict[str, float] = {}
            self.call_count = 0
            self.by_method: dict[str, int] = {}  # calls by method (--json: what an update costs)
            self.polling = asyncio.Event()

        def record_call(self, method: str, params: dict[str, Any]) -> ApiCall:
            now = time.perf_counter()
            self.call_count += 1
            name = method.lower()
            self.by_method[name] = self.by_method.get(name, 0) + 1
            if name not in self.first_call:
                self.first_call[name] = now
                if name == "getupdates":
                    self.polling.set()
            return ApiCall(method, params, now)

        def answered(self, chat) -> None:
            super().answered(chat)
            event = self._chat_events.get(chat.id)
            if event is not None:
                event.set()

        async def wait_chat(
            self, chat_id: int, condition: Callable[[], Any], timeout: float
        ) -> Any:
            """The first truthy ``condition()``, re-checked whenever the bot acts in the chat."""
            event = self._chat_events.get(chat_id)
            if event is None:
                event = self._chat_events[chat_id] = asyncio.Event()
            async with asyncio.timeout(timeout):
                while True:
                    event.clear()
                    result = condition()
                    if result:
                        return result
                    await event.wait()

        def forget_chat(self, chat_id: int) -> None:
            self._chat_events.pop(chat_id, None)

        def reset_measures(self) -> None:
            self._latencies.clear()
            self.first_call.clear()
            self.polling.clear()

    return BenchEmulator


def make_world(emu) -> None:
    emu.add_user(STAFF_USER, "مشرف", "الجمعية", language_code="ar")
    emu.add_group(STAFF_CHAT, "فريق الجمعية", members={STAFF_USER: "creator"})


# ---------------------------------------------------------------------------------------------
# Processes: the bot, the echo bot; their CPU time and memory from /proc
# ---------------------------------------------------------------------------------------------


def proc_memory_kb(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    started: float
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def memory_mb(self) -> dict[str, float]:
        return {k: v / 1024 for k, v in proc_memory_kb(self.pid).items()}

    def cpu(self) -> float:
        return proc_cpu_seconds(self.pid)

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (a clean stop: the bot finishes its work), then SIGKILL this one process."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.popen.wait, timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                await asyncio.to_thread(self.popen.wait, 5)
        return self.popen.returncode

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


@dataclass
class Processes:
    """Several bot processes on one PostgreSQL database (``--processes``), measured as one:
    CPU and memory summed, the first one's log."""

    members: list[Child]

    def __getattr__(self, name: str) -> Any:  # name, popen, started, log_path, pid: the first's
        return getattr(self.members[0], name)

    def memory_mb(self) -> dict[str, float]:
        total: dict[str, float] = {}
        for member in self.members:
            for key, value in member.memory_mb().items():
                total[key] = total.get(key, 0.0) + value
        return total

    def cpu(self) -> float:
        return sum(member.cpu() for member in self.members)

    async def stop(self, timeout: float = 20.0) -> int | None:
        codes = [await member.stop(timeout) for member in self.members]
        return next((code for code in codes if code not in (0, None)), codes[0])

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(member.log_tail(lines) for member in self.members)


BOT_TREE = ROOT  # --bot-tree: run the bot (and its runner) from another checkout, for A/B runs


def bot_env(emu, database_url: str, data_dir: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE is dropped: a deployed bot has its bytecode cached after the first
    # start, and the cold start is measured on that footing.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MUSTAFEED_", "TELEGRAM_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=emu.base_url,
        STAFF_CHAT_ID=str(STAFF_CHAT),
        DATABASE_URL=database_url,
        MUSTAFEED_SECRET_KEY=SECRET,
        MUSTAFEED_DATA_DIR=str(data_dir),
        MUSTAFEED_PROFILE=str(BOT_TREE / "profiles" / "khairat.yaml"),
        SUPERVISOR_IDS=str(STAFF_USER),
        PYTHONPATH=str(BOT_TREE),
        PYTHONUNBUFFERED="1",
    )
    return env


def spawn(name: str, argv: list[str], env: dict[str, str], run_dir: Path) -> Child:
    log_path = run_dir / f"{name}.log"
    log = log_path.open("ab")
    started = time.perf_counter()
    popen = subprocess.Popen(
        argv, env=env, cwd=run_dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    log.close()
    return Child(name, popen, started, log_path)


def spawn_bot(
    emu,
    database_url: str,
    run_dir: Path,
    *,
    cli: bool = False,
    telegram_limits: bool = False,
    profile: str | None = None,
    name: str = "bot",
) -> Child:
    """``cli``: ``python -m bot run`` exactly. Otherwise the same through ``_serve-bot`` (below),
    with Telegram's sending limits lifted unless ``telegram_limits``."""
    data_dir = run_dir / "data"
    data_dir.mkdir(exist_ok=True)
    if cli:
        argv = [PY, "-m", "bot", "run"]
    else:
        argv = [PY, "-m", "bench.load", "_serve-bot"]
        if telegram_limits:
            argv.append("--telegram-limits")
        if profile == "pyinstrument":
            argv += ["--pyinstrument", str(run_dir / f"{name}-pyinstrument.txt")]
        elif profile == "cprofile":
            argv += ["--cprofile", str(run_dir / f"{name}.prof")]
    return spawn(name, argv, bot_env(emu, database_url, data_dir), run_dir)


def spawn_echo(emu, run_dir: Path, concurrency: int) -> Child:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return spawn(
        "echo",
        [
            PY,
            "-m",
            "bench.echo_bot",
            "--base-url",
            emu.base_url,
            "--token",
            TOKEN,
            "--concurrency",
            str(concurrency),
        ],
        env,
        run_dir,
    )


async def wait_polling(emu, child: Child, timeout: float = 60.0) -> float:
    """Until the child's first getUpdates reaches the emulator; returns the time it took."""
    waiter = asyncio.ensure_future(emu.polling.wait())
    try:
        while not waiter.done():
            if child.popen.poll() is not None:
                raise RuntimeError(
                    f"{child.name} exited with {child.popen.returncode}:\n{child.log_tail()}"
                )
            await asyncio.wait(
                {waiter}, timeout=0.1
            )  # the process check needs a clock; nobody acts on it
            if time.perf_counter() - child.started > timeout:
                raise TimeoutError(
                    f"{child.name} did not poll within {timeout}s:\n{child.log_tail()}"
                )
    finally:
        waiter.cancel()
    return emu.first_call["getupdates"] - child.started


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def fresh_database(url: str | None, run_dir: Path, tag: str) -> str:
    """A new SQLite file per run, or PostgreSQL with its public schema dropped and re-created
    (the database itself is created when missing)."""
    if not url:
        return f"sqlite+aiosqlite:///{run_dir / f'{tag}.db'}"
    if not url.startswith("postgresql"):
        raise SystemExit("--database-url: sqlite is the default; give a postgresql+asyncpg:// URL")
    import asyncpg

    dsn = _pg_dsn(url)
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        base, _, name = dsn.rpartition("/")
        admin = await asyncpg.connect(f"{base}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        await conn.execute("CREATE SCHEMA public")
    finally:
        await conn.close()
    return url if "+asyncpg" in url else url.replace("postgresql://", "postgresql+asyncpg://", 1)


def sqlite_tables(url: str, top: int = 4) -> dict[str, int]:
    """The biggest tables of a SQLite file (dbstat), for the report."""
    import sqlite3

    if not url.startswith("sqlite"):
        return {}
    path = url.split("///", 1)[1]
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT ?", (top,)
            ).fetchall()
    except sqlite3.Error:
        return {}
    return {name: int(size) for name, size in rows}


async def database_bytes(url: str) -> int:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn(url))
    try:
        return int(
            await conn.fetchval(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        )
    finally:
        await conn.close()


def db_label(url: str | None) -> str:
    return "postgresql" if url and url.startswith("postgresql") else "sqlite"


# ---------------------------------------------------------------------------------------------
# Simulated people
# ---------------------------------------------------------------------------------------------


class FlowError(Exception):
    """The bot's answer was not what a person needs to go on (a missing button or question)."""


class Stop(Exception):
    """The run's time is up: do not start another action."""


PDF = b"%PDF-1.4\n% bench document\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PHOTO = b"\x89PNG\r\n\x1a\n bench photo"
REFERENCE = re.compile(r"REQ-\d{4}-\d{4,}")


def national_id(n: int) -> str:
    from bot.domain.validation import national_id_check_digit

    first9 = f"1{n % 100_000_000:08d}"
    return first9 + national_id_check_digit(first9)


class Pacer:
    """Human-paced arrivals (``--rate``): the people's steps, whoever is ready, start at a
    steady mean rate with exponential gaps (a Poisson process), however fast the bot answers.
    Without it the load is a closed loop: each step as soon as the previous one is answered."""

    def __init__(self, rate: float, seed: int = 7) -> None:
        self.rate, self.random = rate, random.Random(seed)
        self.next_at = time.perf_counter()

    async def turn(self) -> None:
        now = time.perf_counter()
        at = max(self.next_at, now)  # nobody waited: no burst to catch up
        self.next_at = at + self.random.expovariate(self.rate)
        await asyncio.sleep(at - now)  # the arrival clock, not a wait for the bot


def pacer_of(args: argparse.Namespace) -> Pacer | None:
    return Pacer(args.rate) if args.rate else None


class Person:
    """One simulated beneficiary in their private chat."""

    def __init__(
        self,
        emu,
        uid: int,
        *,
        timeout: float,
        deadline: float | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.emu, self.uid, self.timeout, self.deadline = emu, uid, timeout, deadline
        self.pacer = pacer
        emu.add_user(uid, "مستفيد", str(uid), language_code="ar")
        self.chat = emu.chats[uid]
        self.steps = 0

    # -- reading the chat (the emulator's records, not copies: this runs after every change) --
    def last_text(self, depth: int = 1) -> str:
        out = []
        for stored in self.chat.bot_messages[-depth:]:
            out.append(stored.api.get("text") or stored.api.get("caption") or "")
        return "\n".join(out)

    def find_button(self, label: str, depth: int = 3) -> tuple[int, str] | None:
        for stored in reversed(self.chat.bot_messages[-depth:]):
            if stored.deleted:
                continue
            for row in (stored.api.get("reply_markup") or {}).get("inline_keyboard") or ():
                for button in row:
                    if label in button.get("text", "") and "callback_data" in button:
                        return stored.message_id, button["callback_data"]
        return None

    def count(self) -> int:
        return len(self.chat.bot_messages)

    # -- acting: one update, then wait for the bot's answer in this chat ----------------------
    async def step(self, action: Callable[[], Any], expect: Callable[[], Any], what: str) -> Any:
        if self.pacer is not None:
            await self.pacer.turn()
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            raise Stop
        action()
        self.steps += 1
        chat = self.chat
        try:
            return await self.emu.wait_chat(
                self.uid, lambda: not chat.unanswered and expect(), self.timeout
            )
        except TimeoutError:
            raise FlowError(
                f"user {self.uid}: no answer to {what} within {self.timeout}s; "
                f"last: {self.last_text(2)[:200]!r}"
            ) from None

    async def say(self, text: str, expect: Callable[[], Any]) -> Any:
        return await self.step(
            lambda: self.emu.send_text(self.uid, text), expect, f"text {text[:20]!r}"
        )

    async def press(self, label: str, expect: Callable[[], Any]) -> Any:
        found = self.find_button(label)
        if found is None:
            raise FlowError(
                f"user {self.uid}: no button {label!r}; last: {self.last_text(2)[:200]!r}"
            )
        message_id, data = found
        return await self.step(
            lambda: self.emu.press(self.uid, message_id, data), expect, f"button {label!r}"
        )

    def has_text(self, text: str) -> Callable[[], bool]:
        return lambda: text in self.last_text()

    def has_button(self, label: str) -> Callable[[], Any]:
        return lambda: self.find_button(label)

    # -- the request flow --------------------------------------------------------------------
    async def open_service(self, plan: Plan) -> None:
        await self.say("/start", self.has_button("أوافق"))
        await self.press("أوافق", self.has_button("طلب خدمة"))
        await self.press("طلب خدمة", self.has_button(plan.title))
        await self.press(plan.title, self.has_button("ابدأ التقديم"))
        await self.press("ابدأ التقديم", self.has_text(plan.questions[0]))

    async def answer(self, plan: Plan, index: int) -> None:
        kind, value = plan.answers[index]
        expect = (
            self.has_text(plan.questions[index + 1])
            if index + 1 < len(plan.questions)
            else self.has_button("كل شيء صحيح")
        )
        emu, uid = self.emu, self.uid
        if kind == "text":
            await self.say(value if value != "$nid" else national_id(uid), expect)
        elif kind == "contact":
            await self.step(lambda: emu.share_contact_from_keyboard(uid, value), expect, "contact")
        elif kind == "location":
            await self.step(lambda: emu.send_location(uid, *value), expect, "location")
        elif kind == "photo":
            await self.step(lambda: emu.send_photo(uid, PHOTO), expect, "photo")
        elif kind == "pdf":
            await self.step(
                lambda: emu.send_document(uid, PDF, value, "application/pdf"), expect, "pdf"
            )
        elif kind == "button":
            await self.press(value, expect)
        else:
            raise AssertionError(kind)

    async def submit(self) -> str:
        await self.press("كل شيء صحيح", self.has_button("أُقِرّ وأرسِل"))
        match = await self.press("أُقِرّ وأرسِل", lambda: REFERENCE.search(self.last_text(2)))
        return match.group(0)

    async def full_flow(self, plan: Plan) -> dict[str, Any]:
        await self.open_service(plan)
        for index in range(len(plan.answers)):
            await self.answer(plan, index)
        reference = await self.submit()
        before = self.count()
        await self.say("/status", lambda: self.count() > before and reference in self.last_text())
        before = self.count()
        await self.say(plan.faq_question, lambda: self.count() > before)
        return {"reference": reference, "faq_answered": plan.faq_title in self.last_text()}

    async def mid_form(self, plan: Plan, answers: int) -> None:
        await self.open_service(plan)
        for index in range(answers):
            await self.answer(plan, index)


@dataclass
class Plan:
    """What a beneficiary answers, derived from the profile's form (so it follows the profile)."""

    title: str
    questions: list[str]
    answers: list[tuple[str, Any]]
    faq_question: str
    faq_title: str

    @classmethod
    def from_profile(cls) -> Plan:
        from bot.profile import load_profile

        profile = load_profile(ROOT / "profiles" / "khairat.yaml")
        service = profile.service(SERVICE)
        questions, answers = [], []
        fields = getattr(
            service, "form_fields", service.fields
        )  # the form may add document questions
        for field_ in fields:
            questions.append((field_.question or field_.label).ar)
            ftype = str(field_.type)
            required = (
                service.field_required(field_)
                if hasattr(service, "field_required")
                else field_.required
            )
            if not required:
                answers.append(("button", "تخطٍّ"))
            elif ftype == "full_name":
                answers.append(("text", "محمد عبدالله سعيد الحربي"))
            elif ftype == "national_id":
                answers.append(("text", "$nid"))  # unique per person: one open request per ID
            elif ftype == "mobile":
                answers.append(("contact", "966551234567"))
            elif ftype == "date":
                answers.append(("text", "١٥/٠٥/١٤٠٠"))
            elif ftype == "integer":
                low = field_.min_value or 0
                answers.append(
                    ("text", "٥" if low <= 5 <= (field_.max_value or 10**9) else str(low))
                )
            elif ftype == "choice":
                answers.append(("button", field_.choices[0].label.ar))
            elif ftype == "location":
                answers.append(("location", (24.7136, 46.6753)))
            elif ftype == "document":
                answers.append(
                    ("photo", None)
                    if not any(a[0] == "photo" for a in answers)
                    else ("pdf", f"{field_.id}.pdf")
                )
            else:
                answers.append(("text", "نص للاختبار"))
        entry = profile.faq.entries[0]
        return cls(
            title=service.title.ar,
            questions=questions,
            answers=answers,
            faq_question=entry.phrasings[0] if entry.phrasings else entry.question.ar,
            faq_title=entry.question.ar,
        )


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


@dataclass
class LoadResult:
    scenario: str
    database: str
    users: int
    duration_s: float
    window_s: float
    updates: int
    updates_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    bot_cpu_s: float
    bot_cpu_ms_per_update: float
    bot_cpu_util: float
    driver_cpu_util: float
    peak_rss_mb: float
    loadavg: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average, before/after
    flows_completed: int = 0
    errors: int = 0
    error_sample: list[str] = field(default_factory=list)
    db_bytes: int | None = None
    beneficiaries: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Sampler:
    """The child's RSS every second (the peak is VmHWM, read at the end)."""

    def __init__(self, child: Child) -> None:
        self.child, self.samples = child, []  # type: list[tuple[float, float]]
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Sampler:
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            mem = self.child.memory_mb()
            if "VmRSS" in mem:
                self.samples.append((time.perf_counter() - self.child.started, mem["VmRSS"]))
            await asyncio.sleep(1.0)  # a measuring clock, not a trigger for anyone's action

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def measure_window(
    emu, child: Child, run: Callable[[float], Any], *, users: int, duration: float, warmup: float
) -> dict[str, Any]:
    """Run the load until ``duration``; measure the steady window [warmup, duration]."""
    t0 = time.perf_counter()
    deadline = t0 + duration
    marks: dict[str, tuple[float, float, float]] = {}
    load_before = os.getloadavg()[0]

    async def mark(name: str, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))  # the measuring clock
        marks[name] = (time.perf_counter(), child.cpu(), self_cpu_seconds())

    markers = [
        asyncio.create_task(mark("start", t0 + warmup)),
        asyncio.create_task(mark("end", deadline)),
    ]
    await run(deadline)
    await asyncio.gather(*markers)
    (w0, c0, d0), (w1, c1, d1) = marks["start"], marks["end"]
    window = w1 - w0
    lats = emu.latencies()
    answered_in = [lat for lat in lats if w0 <= lat.answered <= w1]
    created_in = [lat.seconds * 1000 for lat in lats if w0 <= lat.created <= w1]
    return {
        "window_s": window,
        "updates": len(answered_in),
        "updates_per_s": len(answered_in) / window,
        "p50_ms": percentile(created_in, 50),
        "p95_ms": percentile(created_in, 95),
        "p99_ms": percentile(created_in, 99),
        "max_ms": max(created_in, default=float("nan")),
        "bot_cpu_s": c1 - c0,
        "bot_cpu_ms_per_update": 1000 * (c1 - c0) / max(1, len(answered_in)),
        "bot_cpu_util": (c1 - c0) / window,
        "driver_cpu_util": (d1 - d0) / window,
        "loadavg": (load_before, os.getloadavg()[0]),
    }


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


async def with_emulator():
    emu = _emulator_class()()
    make_world(emu)
    await emu.start()
    return emu


async def scenario_full(
    args: argparse.Namespace, run_dir: Path, users: int, duration: float, tag: str = "full"
) -> LoadResult:
    """N concurrent beneficiaries, each doing the whole request flow, /status and a question."""
    plan = Plan.from_profile()
    emu = await with_emulator()
    url = await fresh_database(args.database_url, run_dir, tag)
    child: Any = spawn_bot(
        emu, url, run_dir, telegram_limits=args.telegram_limits, profile=args.profile, name=tag
    )
    if args.processes > 1:  # a cluster on one PostgreSQL database (docs/scaling.md)
        child = Processes(
            [child]
            + [
                spawn_bot(
                    emu, url, run_dir, telegram_limits=args.telegram_limits, name=f"{tag}-{n}"
                )
                for n in range(2, args.processes + 1)
            ]
        )
    sampler = Sampler(child)
    errors: list[str] = []
    completed: list[dict[str, Any]] = []
    uids = itertools.count(10_000_001)
    people = 0
    spy: subprocess.Popen[bytes] | None = None
    try:
        await wait_polling(emu, child)
        sampler.start()
        warmup = min(args.warmup, duration / 4)
        if args.profile == "py-spy":
            spy = start_py_spy(child, run_dir, tag, seconds=duration - warmup, delay=warmup)

        pacer = pacer_of(args)

        async def virtual_user(deadline: float) -> None:
            nonlocal people
            while time.perf_counter() < deadline:
                person = Person(
                    emu, next(uids), timeout=args.step_timeout, deadline=deadline, pacer=pacer
                )
                people += 1
                try:
                    completed.append(await person.full_flow(plan))
                except Stop:
                    return
                except FlowError as exc:
                    errors.append(str(exc))
                finally:
                    emu.forget_chat(person.uid)

        async def run(deadline: float) -> None:
            await asyncio.gather(*(virtual_user(deadline) for _ in range(users)))

        figures = await measure_window(
            emu, child, run, users=users, duration=duration, warmup=warmup
        )
        memory = child.memory_mb()
    finally:
        await sampler.stop()
        if spy is not None:
            await finish_py_spy(spy, run_dir, tag)
        code = await child.stop()
        await emu.stop()
    db_bytes = await database_bytes(url)
    if code not in (0, None):
        errors.append(f"bot exited with {code}: {child.log_tail(5)}")
    return LoadResult(
        scenario=tag,
        database=db_label(args.database_url),
        users=users,
        duration_s=duration,
        peak_rss_mb=memory.get("VmHWM", float("nan")),
        flows_completed=len(completed),
        errors=len(errors),
        error_sample=errors[:3],
        db_bytes=db_bytes,
        beneficiaries=people,
        extra={
            "processes": args.processes,
            "faq_answered": sum(c["faq_answered"] for c in completed),
            "api_calls": dict(sorted(emu.by_method.items())),  # Bot API calls by method
            "rss_samples_mb": [round(m, 1) for _, m in sampler.samples[-5:]],
            "tables_bytes": sqlite_tables(url),
        },
        **figures,
    )


async def scenario_echo(
    args: argparse.Namespace, run_dir: Path, users: int, duration: float
) -> LoadResult:
    """The reference: the same number of closed-loop people, each sending a text and waiting
    for its echo, against a bare python-telegram-bot echo bot."""
    emu = await with_emulator()
    child = spawn_echo(emu, run_dir, args.echo_concurrency)
    errors: list[str] = []
    try:
        await wait_polling(emu, child)
        base = 20_000_001
        pacer = pacer_of(args)

        async def virtual_user(index: int, deadline: float) -> None:
            uid = base + index
            emu.add_user(uid, "مستفيد", str(uid), language_code="ar")
            chat = emu.chats[uid]
            for n in itertools.count():
                if time.perf_counter() >= deadline:
                    return
                if pacer is not None:
                    await pacer.turn()
                    if time.perf_counter() >= deadline:
                        return
                before = len(chat.bot_messages)
                emu.send_text(uid, f"سلام عليكم {n}")
                try:
                    await emu.wait_chat(
                        uid,
                        lambda before=before: len(chat.bot_messages) > before,
                        args.step_timeout,
                    )
                except TimeoutError:
                    errors.append(f"echo user {uid}: no echo within {args.step_timeout}s")
                    return

        async def run(deadline: float) -> None:
            await asyncio.gather(*(virtual_user(i, deadline) for i in range(users)))

        warmup = min(args.warmup, duration / 4)
        figures = await measure_window(
            emu, child, run, users=users, duration=duration, warmup=warmup
        )
        memory = child.memory_mb()
    finally:
        await child.stop()
        await emu.stop()
    return LoadResult(
        scenario="echo",
        database="-",
        users=users,
        duration_s=duration,
        peak_rss_mb=memory.get("VmHWM", float("nan")),
        errors=len(errors),
        error_sample=errors[:3],
        extra={"echo_concurrency": args.echo_concurrency},
        **figures,
    )


async def scenario_cold(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    """``python -m bot run`` from process start to its answer to a /start already waiting:
    first start on an empty database (migrations included), then restarts on the same one."""
    emu = await with_emulator()
    uid = 30_000_001
    emu.add_user(uid, "مستفيد", "بارد", language_code="ar")
    chat = emu.chats[uid]
    runs: list[dict[str, Any]] = []
    try:
        for attempt in range(args.cold_repeats):
            url = await fresh_database(args.database_url, run_dir, f"cold-{attempt}")
            for kind in ("first start", "restart"):
                emu.reset_measures()
                before = len(chat.bot_messages)
                emu.send_text(uid, "/start")  # waiting in getUpdates before the process exists
                child = spawn_bot(emu, url, run_dir, cli=True, name=f"cold-{attempt}")
                try:
                    await emu.wait_chat(
                        uid, lambda before=before: len(chat.bot_messages) > before, 60
                    )
                    answered = chat.bot_messages[before].sent_at
                    runs.append(
                        {
                            "kind": kind,
                            "to_answer_s": answered - child.started,
                            "to_get_me_s": emu.first_call.get("getme", answered) - child.started,
                            "to_polling_s": emu.first_call.get("getupdates", answered)
                            - child.started,
                            "rss_mb": child.memory_mb().get("VmRSS"),
                        }
                    )
                finally:
                    await child.stop()
    finally:
        await emu.stop()
    summary: dict[str, Any] = {"runs": runs, "database": db_label(args.database_url)}
    for kind in ("first start", "restart"):
        values = sorted(r["to_answer_s"] for r in runs if r["kind"] == kind)
        summary[kind] = {
            "median_s": percentile(values, 50),
            "max_s": max(values),
            "to_get_me_s": percentile([r["to_get_me_s"] for r in runs if r["kind"] == kind], 50),
            "to_polling_s": percentile([r["to_polling_s"] for r in runs if r["kind"] == kind], 50),
        }
    return summary


async def scenario_rss(args: argparse.Namespace, run_dir: Path, count: int) -> dict[str, Any]:
    """``count`` beneficiaries who started the form and answered a few questions, seeded
    through the bot at low concurrency; the bot's resident set along the way and its peak."""
    plan = Plan.from_profile()
    emu = await with_emulator()
    url = await fresh_database(args.database_url, run_dir, "rss")
    child = spawn_bot(emu, url, run_dir, telegram_limits=args.telegram_limits, name="rss")
    errors: list[str] = []
    curve: list[tuple[int, float]] = []
    done = 0
    uids = itertools.count(40_000_001)
    started = time.perf_counter()
    try:
        await wait_polling(emu, child)
        curve.append((0, child.memory_mb().get("VmRSS", float("nan"))))
        step = max(1, count // 10)

        async def worker() -> None:
            nonlocal done
            while True:
                uid = next(uids)
                if uid - 40_000_001 >= count:
                    return
                person = Person(emu, uid, timeout=args.step_timeout)
                try:
                    await person.mid_form(plan, args.rss_answers)
                except FlowError as exc:
                    errors.append(str(exc))
                finally:
                    emu.forget_chat(uid)
                done += 1
                if done % step == 0:
                    curve.append((done, child.memory_mb().get("VmRSS", float("nan"))))
                    print(
                        f"         {done} beneficiaries mid-form, bot RSS {curve[-1][1]:.1f} MB, "
                        f"{time.perf_counter() - started:.0f} s",
                        flush=True,
                    )

        await asyncio.gather(*(worker() for _ in range(args.rss_concurrency)))
        elapsed = time.perf_counter() - started
        memory = child.memory_mb()
        updates = len(emu.latencies())
    finally:
        await child.stop()
        await emu.stop()
    return {
        "beneficiaries": count,
        "answers_each": args.rss_answers,
        "concurrency": args.rss_concurrency,
        "database": db_label(args.database_url),
        "seconds": elapsed,
        "updates": updates,
        "updates_per_s": updates / elapsed,
        "rss_mb": memory.get("VmRSS"),
        "peak_rss_mb": memory.get("VmHWM"),
        "curve": curve,
        "db_bytes": await database_bytes(url),
        "tables_bytes": sqlite_tables(url),
        "errors": len(errors),
        "error_sample": errors[:3],
    }


# ---------------------------------------------------------------------------------------------
# Profiling (py-spy attaches to the bot's pid for the steady window)
# ---------------------------------------------------------------------------------------------


def start_py_spy(
    child: Child, run_dir: Path, tag: str, *, seconds: float, delay: float
) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy", path=str(Path(PY).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile py-spy: pip install py-spy (the bench extra)")
    raw = run_dir / f"{tag}-py-spy.txt"
    # py-spy's own --delay does not exist: sleep in a shell so the window matches the measure.
    # --gil: only the thread holding the GIL is sampled, i.e. where the Python CPU goes (SQLite's
    # own C work in aiosqlite's thread runs without the GIL and shows as that thread's share).
    cmd = (
        f"sleep {delay:.1f}; exec {spy} record --pid {child.pid} --duration {int(seconds)} --rate 200 "
        f"--format raw --nonblocking --threads --gil -o {raw}"
    )
    return subprocess.Popen(["sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def finish_py_spy(spy: subprocess.Popen[bytes], run_dir: Path, tag: str) -> None:
    try:
        await asyncio.to_thread(spy.wait, 60)
    except subprocess.TimeoutExpired:
        spy.kill()
    raw = run_dir / f"{tag}-py-spy.txt"
    if raw.exists():
        (run_dir / f"{tag}-py-spy-summary.txt").write_text(summarise_collapsed(raw))


def summarise_collapsed(path: Path, top: int = 40) -> str:
    """Self and inclusive time per function from py-spy's collapsed stacks (threads apart)."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    by_file: dict[str, int] = {}
    threads: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = stack.split(";")
        if frames[0].startswith(("thread", "process")):
            thread = frames[0] if frames[0].startswith("thread") else frames[1]
            frames = [f for f in frames if not f.startswith(("thread", "process"))]
            kind = "main" if any("run_forever" in f for f in frames) else ";".join(frames[:2])[:90]
            threads[f"{thread} {kind}"] = threads.get(f"{thread} {kind}", 0) + count
        if not frames:
            continue
        for frame in set(frames):
            incl[frame] = incl.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        leaf_file = re.sub(r".*\((.*?):\d+\)$", r"\1", frames[-1])
        by_file[leaf_file] = by_file.get(leaf_file, 0) + count
    lines = [f"{total} samples"]
    for title, table in (
        ("threads", threads),
        ("self", own),
        ("inclusive", incl),
        ("self by file", by_file),
    ):
        lines.append(f"\n== {title} ==")
        for frame, count in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"{100 * count / max(1, total):6.1f}%  {frame}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
    }


def fmt_bytes(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024 / 1024:.1f} MB"


def print_load(result: LoadResult) -> None:
    print(
        f"  {result.scenario:<6} {result.database:<10} users={result.users:<5} "
        f"{result.updates_per_s:8.1f} upd/s  p50={result.p50_ms:7.1f} ms  p95={result.p95_ms:7.1f} ms  "
        f"p99={result.p99_ms:7.1f} ms  cpu/upd={result.bot_cpu_ms_per_update:5.2f} ms  "
        f"bot cpu={100 * result.bot_cpu_util:3.0f}%  driver cpu={100 * result.driver_cpu_util:3.0f}%  "
        f"peak RSS={result.peak_rss_mb:6.1f} MB  load={result.loadavg[0]:.1f}"
        + (
            f"  flows={result.flows_completed}  db={fmt_bytes(result.db_bytes)}"
            if result.scenario != "echo"
            else ""
        )
        + (f"  ERRORS={result.errors} {result.error_sample[:1]}" if result.errors else ""),
        flush=True,
    )
    if result.driver_cpu_util > 0.85:
        print(
            "         warning: the load generator itself used most of a core; figures may be capped by it"
        )


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def median_of(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds' median of every number (the rest from the first round)."""
    merged = dict(results[0])
    for key, value in results[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            merged[key] = statistics.median(r[key] for r in results)
    return merged


def summary_table(report: dict[str, Any]) -> list[str]:
    lines = ["", "== against the targets =="]
    full, echo = report.get("full"), report.get("echo")
    for number, pair in enumerate(report.get("rounds") or (), 1):
        if "echo" in pair:
            lines.append(
                f"  round {number}: throughput ratio {pair['full']['updates_per_s'] / pair['echo']['updates_per_s']:.2f}, "
                f"p99 ratio {pair['full']['p99_ms'] / pair['echo']['p99_ms']:.2f}, "
                f"CPU per update ratio "
                f"{pair['full']['bot_cpu_ms_per_update'] / pair['echo']['bot_cpu_ms_per_update']:.2f}"
            )
    if report.get("rounds"):
        lines.append(f"  medians of {len(report['rounds'])} rounds:")
    if full and echo:
        t_ratio = full["updates_per_s"] / echo["updates_per_s"]
        p_ratio = full["p99_ms"] / echo["p99_ms"]
        report["ratios"] = {"throughput": t_ratio, "p99": p_ratio}
        lines.append(
            f"  throughput  ours/echo = {full['updates_per_s']:.1f}/{echo['updates_per_s']:.1f} = "
            f"{t_ratio:.2f}  (target >= {TARGETS['throughput_ratio_min']})  "
            f"{verdict(t_ratio >= TARGETS['throughput_ratio_min'])}"
        )
        lines.append(
            f"  p99 at {full['users']} users  ours/echo = {full['p99_ms']:.0f}/{echo['p99_ms']:.0f} ms = "
            f"{p_ratio:.2f}  (target <= {TARGETS['p99_ratio_max']})  "
            f"{verdict(p_ratio <= TARGETS['p99_ratio_max'])}"
        )
        lines.append(
            f"  CPU per update  ours/echo = {full['bot_cpu_ms_per_update']:.2f}/"
            f"{echo['bot_cpu_ms_per_update']:.2f} ms = "
            f"{full['bot_cpu_ms_per_update'] / echo['bot_cpu_ms_per_update']:.1f}x"
        )
    rss = report.get("rss")
    if rss:
        ok = rss["peak_rss_mb"] <= TARGETS["rss_mb_max"]
        lines.append(
            f"  peak RSS with {rss['beneficiaries']} beneficiaries mid-form = {rss['peak_rss_mb']:.1f} MB "
            f"(target <= {TARGETS['rss_mb_max']:.0f} MB at 10,000)  "
            f"{verdict(ok) if rss['beneficiaries'] >= 10_000 else verdict(ok) + ' at this size'}"
        )
    cold = report.get("cold")
    if cold:
        value = cold["first start"]["median_s"]
        lines.append(
            f"  cold start to first answer = {value:.2f} s first start, "
            f"{cold['restart']['median_s']:.2f} s restart (target <= {TARGETS['cold_start_s_max']} s)  "
            f"{verdict(max(value, cold['restart']['median_s']) <= TARGETS['cold_start_s_max'])}"
        )
    return lines


def plot_scaling(series: dict[str, list[dict[str, Any]]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax_t, ax_l, ax_c, ax_m = axes.flat
    for index, (name, rows) in enumerate(series.items()):
        rows = sorted(rows, key=lambda r: r["users"])
        users = [r["users"] for r in rows]
        look = {"linestyle": "--" if name.startswith("echo") else "-", "color": f"C{index}"}
        ax_t.plot(users, [r["updates_per_s"] for r in rows], marker="o", label=name, **look)
        ax_l.plot(users, [r["p50_ms"] for r in rows], marker="o", label=f"{name} p50", **look)
        ax_l.plot(
            users, [r["p99_ms"] for r in rows], marker="^", alpha=0.6, label=f"{name} p99", **look
        )
        ax_c.plot(users, [r["bot_cpu_ms_per_update"] for r in rows], marker="o", label=name, **look)
        ax_m.plot(users, [r["peak_rss_mb"] for r in rows], marker="o", label=name, **look)
    for ax, title, ylabel in (
        (ax_t, "Throughput", "updates / s"),
        (ax_l, "Latency (update → answer)", "ms"),
        (ax_c, "Bot CPU per update", "ms"),
        (ax_m, "Bot peak RSS", "MB"),
    ):
        ax.set_xscale("log")
        ax.set_xlabel("concurrent beneficiaries (closed loop)")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    ax_l.set_yscale("log")
    for ax in (ax_t, ax_c, ax_m):
        ax.set_ylim(bottom=0)
    fig.suptitle(
        f"Mustafeed full request flow vs bare PTB echo — {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.load", description="Load benchmark of the real bot (issue #7)"
    )
    p.add_argument(
        "--scenario",
        default="all",
        choices=["all", "full", "echo", "rss", "cold", "scaling"],
        help="all (default): cold, full, echo and a small rss; scaling: 10..1000 users",
    )
    p.add_argument(
        "--users", type=int, default=200, help="concurrent beneficiaries (full and echo)"
    )
    p.add_argument(
        "--duration",
        type=float,
        default=90.0,
        help="seconds of load per full run (a whole flow takes ~80 s at 200 users on 2 cores, "
        "so the window holds every kind of step)",
    )
    p.add_argument(
        "--echo-duration",
        type=float,
        default=25.0,
        help="seconds for the echo run (it settles at once)",
    )
    p.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="full, echo: human-paced arrivals, this many updates a second in all (Poisson), "
        "spread over --users people; 0 (default): closed loop, each step as soon as answered",
    )
    p.add_argument("--warmup", type=float, default=10.0, help="seconds before the measured window")
    p.add_argument(
        "--database-url",
        help="postgresql+asyncpg://… (schema reset first); default a fresh SQLite file",
    )
    p.add_argument(
        "--rss-users",
        type=int,
        default=None,
        help="beneficiaries mid-form (default 10000 for --scenario rss, 300 in all)",
    )
    p.add_argument("--rss-answers", type=int, default=3, help="questions each of them answered")
    p.add_argument("--rss-concurrency", type=int, default=20)
    p.add_argument("--cold-repeats", type=int, default=2)
    p.add_argument("--scaling-users", default="10,30,100,300,1000")
    p.add_argument(
        "--echo-concurrency",
        type=int,
        default=0,
        help="the echo bot's concurrent_updates; 0 (default): PTB's default, one update at a "
        "time — the stronger reference here (see docs/benchmarks.md)",
    )
    p.add_argument("--step-timeout", type=float, default=60.0, help="longest wait for one answer")
    p.add_argument(
        "--telegram-limits", action="store_true", help="keep Telegram's sending limits in the bot"
    )
    p.add_argument(
        "--profile",
        choices=["py-spy", "pyinstrument", "cprofile"],
        help="profile the bot in the full run (cprofile: on CPU time, a .prof in the run dir)",
    )
    p.add_argument("--json", type=Path, help="write every figure here")
    p.add_argument("--plot", type=Path, help="scaling: draw the figures to this PNG")
    p.add_argument(
        "--plot-with",
        type=Path,
        nargs="*",
        default=[],
        help="scaling JSONs of earlier runs to draw too",
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the run directory (logs, databases, profiles)"
    )
    p.add_argument("--no-echo", action="store_true", help="full, scaling: skip the echo reference")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="full, all: alternate ours and the echo this many times; figures are medians",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="full: this many bot processes on the one PostgreSQL database (a cluster)",
    )
    p.add_argument(
        "--bot-tree",
        type=Path,
        help="run the bot from this checkout (A/B comparisons of revisions)",
    )
    return p.parse_args(argv)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    run_dir = Path(tempfile.mkdtemp(prefix="mustafeed-load-"))
    report: dict[str, Any] = {
        "machine": machine(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "run_dir": str(run_dir),
    }
    info = report["machine"]
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, "
        f"load average {info['loadavg_at_start'][0]:.2f}; run dir {run_dir}",
        flush=True,
    )
    scenario = args.scenario
    try:
        if scenario in ("all", "cold"):
            report["cold"] = cold = await scenario_cold(args, run_dir)
            print(
                f"  cold   {cold['database']:<10} first start {cold['first start']['median_s']:.2f} s "
                f"(getMe at {cold['first start']['to_get_me_s']:.2f} s, polling at "
                f"{cold['first start']['to_polling_s']:.2f} s); restart {cold['restart']['median_s']:.2f} s",
                flush=True,
            )
        with_echo = scenario in ("all", "echo", "full") and not (
            scenario == "full" and (args.profile or args.no_echo)
        )
        if scenario in ("all", "full"):
            # rounds alternate ours and the echo, so that a shared machine's drift (its speed
            # moved by ±30% within minutes) falls on both; the figures are the rounds' medians
            rounds: list[dict[str, Any]] = []
            for number in range(args.rounds):  # a fresh database each round
                result = await scenario_full(
                    args,
                    run_dir,
                    args.users,
                    args.duration,
                    tag="full" if number == 0 else f"full{number + 1}",
                )
                print_load(result)
                rounds.append({"full": asdict(result)})
                if with_echo:
                    echo = await scenario_echo(args, run_dir, args.users, args.echo_duration)
                    print_load(echo)
                    rounds[-1]["echo"] = asdict(echo)
            report["full"] = median_of([r["full"] for r in rounds])
            if with_echo:
                report["echo"] = median_of([r["echo"] for r in rounds])
            if args.rounds > 1:
                report["rounds"] = rounds
        elif with_echo:
            result = await scenario_echo(args, run_dir, args.users, args.echo_duration)
            print_load(result)
            report["echo"] = asdict(result)
        if scenario in ("all", "rss"):
            count = args.rss_users or (10_000 if scenario == "rss" else 300)
            report["rss"] = rss = await scenario_rss(args, run_dir, count)
            print(
                f"  rss    {rss['database']:<10} {count} beneficiaries mid-form ({rss['answers_each']} answers "
                f"each, {rss['updates']} updates in {rss['seconds']:.0f} s): RSS {rss['rss_mb']:.1f} MB, "
                f"peak {rss['peak_rss_mb']:.1f} MB, db {fmt_bytes(rss['db_bytes'])}"
                + (f"  ERRORS={rss['errors']}" if rss["errors"] else ""),
                flush=True,
            )
            print(
                "         RSS along the way: "
                + ", ".join(f"{n}: {m:.0f} MB" for n, m in rss["curve"])
            )
        if scenario == "scaling":
            label = db_label(args.database_url)
            rows: dict[str, list[dict[str, Any]]] = {f"ours ({label})": [], "echo (PTB)": []}
            for users in [int(u) for u in args.scaling_users.split(",")]:
                result = await scenario_full(
                    args, run_dir, users, args.duration, tag=f"full{users}"
                )
                print_load(result)
                rows[f"ours ({label})"].append(asdict(result))
                if args.no_echo:  # e.g. the PostgreSQL sweep, drawn with the SQLite run's echo
                    continue
                echo = await scenario_echo(args, run_dir, users, args.echo_duration)
                print_load(echo)
                rows["echo (PTB)"].append(asdict(echo))
            if not rows["echo (PTB)"]:
                del rows["echo (PTB)"]
            report["scaling"] = rows
            if args.plot:
                series = dict(rows)
                for extra in args.plot_with:
                    for name, values in json.loads(extra.read_text())["scaling"].items():
                        if name not in series:
                            series[name] = values
                plot_scaling(series, args.plot)
                print(f"plot written to {args.plot}")
    finally:
        if not args.keep and not args.profile:
            shutil.rmtree(run_dir, ignore_errors=True)
        elif args.profile:
            print(f"profiles and logs kept in {run_dir}")
    for line in summary_table(report):
        print(line)
    report["machine"]["loadavg_at_end"] = os.getloadavg()
    return report


def serve_bot(argv: list[str]) -> None:
    """The bot exactly as ``mustafeed run`` starts it (settings from the environment), with
    Telegram's sending limits lifted unless ``--telegram-limits``; optionally under pyinstrument."""
    p = argparse.ArgumentParser(prog="bench.load _serve-bot")
    p.add_argument("--telegram-limits", action="store_true")
    p.add_argument("--pyinstrument", type=Path)
    p.add_argument("--cprofile", type=Path)
    args = p.parse_args(argv)

    from bot.app import BotApp
    from bot.engine.outbox import Limits
    from bot.engine.service import (
        profile_from_settings,
        run_service,
        settle_memory,
        setup_logging,
        until_signalled,
    )
    from bot.settings import load_settings

    setup_logging()
    settings = load_settings().require_bot()
    unlimited = Limits(
        per_second=1e9, group_per_minute=1e11, private_burst=1e9, private_per_second=1e9
    )

    async def run() -> None:
        app = BotApp(
            settings,
            profile_from_settings(settings),
            limits=None if args.telegram_limits else unlimited,
        )
        await app.start_polling()
        settle_memory()
        try:
            await until_signalled()
        finally:
            await app.stop()

    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001, async_mode="disabled")
        profiler.start()
        try:
            run_service(run())
        finally:
            profiler.stop()
            args.pyinstrument.write_text(profiler.output_text(unicode=True, show_all=False))
            args.pyinstrument.with_suffix(".html").write_text(profiler.output_html())
    elif args.cprofile:  # deterministic, on CPU time (not wall time: waits would dominate)
        import cProfile

        prof = cProfile.Profile(time.process_time)
        prof.enable()
        try:
            run_service(run())
        finally:
            prof.disable()
            prof.dump_stats(args.cprofile)
    else:
        run_service(run())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_serve-bot"]:
        serve_bot(argv[1:])
        return 0
    args = arguments(argv)
    if args.bot_tree:
        global BOT_TREE
        BOT_TREE = args.bot_tree.resolve()
    report = asyncio.run(main_async(args))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
