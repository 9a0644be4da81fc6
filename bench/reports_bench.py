"""Reports benchmark (issue #5): ``/stats`` and the supervisors' dashboard over 1,000,000 survey
answers, on SQLite.

    .venv/bin/python -m bench.reports_bench                   # 1,000,000 answers, about a minute
    .venv/bin/python -m bench.reports_bench --answers 200000 --runs 3 --keep /tmp/reports.db

Method
------
* The schema comes from the project's migrations (``Database.migrate``), indexes included; the
  rows are then bulk-inserted with ``sqlite3.executemany`` in one transaction per table:
  250,000 responses × 4 questions = 1,000,000 answers (plus one comment in twenty) spread over
  the last 365 days, over the profile's services and "no service", three channels, scores
  skewed towards 4–5; 400,000 invitations; 50,000 decided requests and 50,000 answered
  tickets; a few thousand open ones. Timestamps are written exactly as SQLAlchemy writes them.
* What is timed, each ``--runs`` times after one warm-up run, reporting the median and the
  slowest (wall clock, this process):
  1. ``bot.domain.reports.build_report`` — every figure of ``/stats`` and the dashboard — for the last
     30 days and for the whole year (all 1,000,000 answers);
  2. ``render_chart`` (the PNG) and ``stats_text``;
  3. ``/stats`` end to end: the real bot (``BotApp``) polling the project's Bot API emulator on
     127.0.0.1; a supervisor sends ``/stats <the whole year>`` in the staff group; timed from the
     update's creation to the chart photo's arrival in the group (report, chart, both messages
     through the outbox, the upload included). Telegram's sending limits are lifted as in
     ``bench.load`` — they are Telegram's pacing rules, not a cost;
  4. the dashboard: an HTTP GET of the signed page (``make_dashboard_app``) for the whole year.
* The bulk load writes behind the ORM, so the running totals (``storage/totals.py``, issue #16
  §2) are then recomputed from the rows, as ``mustafeed rebuild-totals`` does (timed).
* Before and after in the same run: 1–4 are timed for the report built from the rows
  (``bench/reports_rows.py``, the code before the running totals; skipped with ``--no-before``)
  and from the counters; end to end, the same bot with ``build_report`` swapped.
* It also prints SQLite's plan for the survey queries (by day; by service) and for the
  counters' queries (primary-key ranges).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.profile import default_profile_path, load_profile

TENANT_NAME = "جمعية خيرات"
GROUP = -100777
SUPERVISOR = 4242
FMT = "%Y-%m-%d %H:%M:%S.%f"


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(FMT)


async def create_schema(path: Path, tenant: str) -> None:
    from storage.db import Database

    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await db.dispose()
    with sqlite3.connect(path) as con:
        con.execute(
            "INSERT INTO associations (id, name, created_at) VALUES (?, ?, ?)",
            (tenant, TENANT_NAME, _ts(datetime.now(UTC))),
        )


def fill(
    path: Path,
    tenant: str,
    services: list[str],
    questions: list[str],
    answers: int,
    now: datetime,
    seed: int = 5,
) -> dict[str, float]:
    """Bulk rows; returns seconds per table."""
    rnd = random.Random(seed)
    timings: dict[str, float] = {}
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")  # 256 MB while filling
    # bulk load: the two survey tables' indexes are dropped, then built again from their own SQL
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('survey_answers', 'survey_invitations')"
    ).fetchall()
    for name, _ in indexes:
        con.execute(f'DROP INDEX "{name}"')
    responses = answers // len(questions)
    channels = ("request", "request", "request", "inquiry", "complaint")
    weights = (1, 2, 5, 15, 20)  # scores 1..5
    day0 = (now - timedelta(days=365)).replace(hour=21, minute=0, second=0, microsecond=0)

    def answer_rows():
        for i in range(responses):
            day = _ts(day0 + timedelta(days=rnd.randrange(365)))
            channel = rnd.choice(channels)
            service = rnd.choice(services) if channel == "request" or rnd.random() < 0.3 else None
            staff = 1000 + rnd.randrange(12)
            base = rnd.choices(range(1, 6), weights)[0]
            for q in questions:
                score = min(5, max(1, base + rnd.choice((-1, 0, 0, 0, 1))))
                yield tenant, service, channel, staff, q, score, None, day
            if i % 20 == 0:
                yield (
                    tenant,
                    service,
                    channel,
                    staff,
                    "comment",
                    None,
                    "الخدمة ممتازة وشكرًا لكم",
                    day,
                )

    t = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO survey_answers (association_id, service_id, channel, staff_user_id, "
            "question_id, score, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            answer_rows(),
        )
    timings["survey_answers"] = time.perf_counter() - t

    def invitation_rows():
        for i in range(int(responses * 1.6)):
            sent = day0 + timedelta(seconds=rnd.randrange(365 * 86400))
            done = rnd.random() < 0.62
            yield (
                tenant,
                None,
                "request" if i % 2 else "ticket",
                i,
                _ts(sent),
                None,
                _ts(sent + timedelta(hours=3)) if done else None,
                int(not done and rnd.random() < 0.2),
            )

    t = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO survey_invitations (association_id, beneficiary_id, subject_kind, subject_id, "
            "sent_at, reminded_at, finished_at, skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            invitation_rows(),
        )
    timings["survey_invitations"] = time.perf_counter() - t

    def request_rows():
        for i in range(50_000 + 2_000):
            submitted = day0 + timedelta(seconds=rnd.randrange(360 * 86400))
            due = (submitted + timedelta(days=14)).date().isoformat()
            decided = submitted + timedelta(hours=rnd.expovariate(1 / 200)) if i < 50_000 else None
            status = rnd.choice(("approved", "rejected", "closed")) if decided else "under_review"
            yield (
                tenant,
                f"REQ-B-{i:06d}",
                None,
                rnd.choice(services),
                status,
                "{}",
                None,
                None,
                None,
                _ts(submitted),
                due,
                _ts(decided) if decided else None,
                None,
                None,
                None,
                _ts(now),
            )

    t = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO service_requests (association_id, reference, beneficiary_id, service_id, status, "
            "answers, national_id_hash, declaration_version, declared_at, submitted_at, due_date, "
            "decided_at, decision_reason, closed_at, anonymised_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            request_rows(),
        )
    timings["service_requests"] = time.perf_counter() - t

    def ticket_rows():
        for i in range(50_000 + 1_000):
            created = day0 + timedelta(seconds=rnd.randrange(364 * 86400))
            answered = created + timedelta(hours=rnd.expovariate(1 / 10)) if i < 50_000 else None
            kind = rnd.choice(("inquiry", "complaint", "suggestion"))
            yield (
                tenant,
                f"TCK-B-{i:06d}",
                None,
                kind,
                None,
                None,
                "closed" if answered else "open",
                None,
                "{}",
                _ts(created),
                _ts(created + timedelta(days=1)),
                _ts(answered) if answered else None,
                None,
                _ts(answered) if answered else None,
                None,
                None,
            )

    t = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO tickets (association_id, reference, beneficiary_id, kind, category, subject, "
            "status, related_request_id, data, created_at, due_at, first_response_at, escalated_at, "
            "closed_at, outcome, anonymised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ticket_rows(),
        )
    timings["tickets"] = time.perf_counter() - t
    t = time.perf_counter()
    with con:
        for _, sql in indexes:
            con.execute(sql)
    timings["indexes"] = time.perf_counter() - t
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return timings


async def rebuild_totals(path: Path, tenant: str) -> float:
    """The bulk load wrote behind the ORM: the counters come from ``storage.totals.rebuild``,
    as ``mustafeed rebuild-totals`` computes them. Returns the seconds it took."""
    from storage.db import Database
    from storage.totals import rebuild

    db = Database(f"sqlite+aiosqlite:///{path}")
    t = time.perf_counter()
    try:
        async with db.write(tenant=tenant) as session:
            await session.run_sync(lambda s: rebuild(s.connection(), tenant))
    finally:
        await db.dispose()
    return time.perf_counter() - t


def query_plans(path: Path, tenant: str) -> list[str]:
    con = sqlite3.connect(path)
    lo, hi = "2000-01-01", "2100-01-01"
    plans = []
    for sql, params in (
        (
            "SELECT created_at, question_id, score, count(*) FROM survey_answers WHERE association_id = ? "
            "AND created_at >= ? AND created_at < ? AND score IS NOT NULL "
            "GROUP BY created_at, question_id, score",
            (tenant, lo, hi),
        ),
        (
            "SELECT service_id, question_id, score, count(*) FROM survey_answers WHERE association_id = ? "
            "AND score IS NOT NULL GROUP BY service_id, question_id, score",
            (tenant,),
        ),
        # the running totals (after)
        (
            "SELECT substr(day, 1, 7), question_id, score, sum(n) FROM totals_scores WHERE "
            "(association_id = ? AND grain = 'd' AND day >= ? AND day <= ?) OR "
            "(association_id = ? AND grain = 'm' AND day >= ? AND day <= ?) "
            "GROUP BY 1, question_id, score",
            (tenant, lo, hi, tenant, lo, hi),
        ),
        (
            "SELECT bucket, sum(n), sum(seconds), sum(with_due), sum(in_time) FROM totals_durations WHERE "
            "(association_id = ? AND kind = 'reply' AND grain = 'd' AND day >= ? AND day <= ?) OR "
            "(association_id = ? AND kind = 'reply' AND grain = 'm' AND day >= ? AND day <= ?) "
            "GROUP BY bucket ORDER BY bucket",
            (tenant, lo, hi, tenant, lo, hi),
        ),
    ):
        rows = con.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        plans.append(" | ".join(r[-1] for r in rows))
    con.close()
    return plans


async def timed(runs: int, fn) -> tuple[float, float, float]:
    """Median and slowest wall-clock seconds, and the median CPU seconds of this process (all its
    threads: SQLite's reader threads, and in the end-to-end runs the bot and the emulator)."""
    await fn()  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        cpu, t = time.process_time(), time.perf_counter()
        await fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), max(walls), statistics.median(cpus)


async def measure(
    path: Path, profile, runs: int, now: datetime, before: bool = True
) -> dict[str, tuple[float, float, float]]:
    import aiohttp
    from aiohttp import web

    from bot.app import BotApp
    from bot.domain import reports
    from bot.domain.dates import today_riyadh
    from bot.emulator.server import Emulator
    from bot.engine.outbox import Limits
    from bot.i18n import translator
    from bot.settings import Settings
    from bot.web.dashboard import make_dashboard_app, make_link
    from storage.db import Database

    tenant = profile.association.id
    url = f"sqlite+aiosqlite:///{path}"
    today = today_riyadh(now)
    year = reports.Period(today - timedelta(days=364), today)
    month = reports.parse_period("", today)
    tr = translator("ar")
    out: dict[str, tuple[float, float, float]] = {}

    from bench import reports_rows

    new_build = reports.build_report
    db = Database(url)
    try:
        for label, period in (("last 30 days", month), ("whole year", year)):
            for how, build_report in (
                ("rows, before", reports_rows.build_report),
                ("totals, after", new_build),
            ):
                if how.startswith("rows") and not before:
                    continue

                async def build(period=period, build_report=build_report) -> None:
                    async with db.read(tenant=tenant) as session:
                        await build_report(session, tenant, profile, period, now)

                out[f"build_report, {label} ({how})"] = await timed(runs, build)
        async with db.read(tenant=tenant) as session:
            report = await reports.build_report(session, tenant, profile, year, now)

        async def chart() -> None:
            await asyncio.to_thread(reports.render_chart, report, tr)

        out["render_chart (PNG)"] = await timed(runs, chart)

        async def text() -> None:
            reports.stats_text(report, tr)

        out["stats_text"] = await timed(runs, text)
    finally:
        await db.dispose()

    with tempfile.TemporaryDirectory() as data_dir:
        emu = Emulator()
        emu.add_user(SUPERVISOR, "مشرف", language_code="ar")
        emu.add_group(GROUP, "فريق الجمعية", members={SUPERVISOR: "creator"})
        await emu.start()
        settings = Settings(
            token="123:ABC",
            api_base_url=emu.base_url,
            staff_chat_id=GROUP,
            database_url=url,
            secret_key="bench-secret-key-that-is-long-enough-0123456789",
            supervisor_ids=frozenset({SUPERVISOR}),
            data_dir=Path(data_dir),
        )
        app = BotApp(
            settings,
            profile,
            limits=Limits(
                per_second=10_000,
                group_per_minute=1_000_000,
                private_burst=10_000,
                private_per_second=10_000,
            ),
            jobs_interval=0,
        )
        await app.start_polling()
        runner = web.AppRunner(make_dashboard_app(app.rt))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        try:
            import bot.web.dashboard as dashboard

            command = f"/stats {year.start.isoformat()} {year.end.isoformat()}"

            async def stats_end_to_end() -> None:
                last = emu.last_message(GROUP)
                after = last["message_id"] if last else 0
                emu.send_text(SUPERVISOR, command, chat_id=GROUP)
                photo = await emu.wait_for_message(
                    GROUP, lambda m: "photo" in m, timeout=60, after_message_id=after
                )
                assert photo["caption"], "no chart"

            link, _ = make_link(settings, tenant, SUPERVISOR, base=base)
            link += f"&from={year.start.isoformat()}&to={year.end.isoformat()}"
            async with aiohttp.ClientSession() as http:

                async def page() -> None:
                    async with http.get(link) as response:
                        body = await response.text()
                        assert response.status == 200 and "لوحة المشرفين" in body, response.status

                # the same bot, reading the rows (before) then the running totals (after)
                for how, build_report in (
                    ("rows, before", reports_rows.build_report),
                    ("totals, after", new_build),
                ):
                    if how.startswith("rows") and not before:
                        continue
                    reports.build_report = dashboard.build_report = build_report
                    try:
                        out[
                            f"/stats whole year end to end, text + chart delivered ({how})"
                        ] = await timed(runs, stats_end_to_end)
                        out[f"dashboard page, whole year, HTTP GET ({how})"] = await timed(
                            runs, page
                        )
                    finally:
                        reports.build_report = dashboard.build_report = new_build
        finally:
            await runner.cleanup()
            await app.stop()
            await emu.stop()
    return out


async def main_async(args: argparse.Namespace) -> None:
    profile = load_profile(Path(args.profile) if args.profile else default_profile_path())
    tenant = profile.association.id
    services = [s.id for s in profile.services]
    questions = [q.id for q in profile.survey.questions]
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.reuse or args.keep or Path(tmp) / "reports.db")
        if args.reuse and path.exists():
            from storage.db import Database

            db = Database(f"sqlite+aiosqlite:///{path}")
            await db.migrate()
            await db.dispose()
            with sqlite3.connect(path) as con:  # a new emulator numbers its updates from 1 again
                con.execute("DELETE FROM inbound_updates")
                con.execute("DELETE FROM outbox")
                con.execute("DELETE FROM staff_message_links")
            print(f"reusing {path} (its answers end where they were written)")
        else:
            path.unlink(missing_ok=True)
            await create_schema(path, tenant)
            t = time.perf_counter()
            timings = fill(path, tenant, services, questions, args.answers, now)
            fill_seconds = time.perf_counter() - t
            print(
                f"filled in {fill_seconds:.1f}s: "
                + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
            )
            print(
                f"running totals rebuilt from the rows (mustafeed rebuild-totals) in "
                f"{await rebuild_totals(path, tenant):.1f}s"
            )
        with sqlite3.connect(path) as con:
            count = con.execute(
                "SELECT count(*) FROM survey_answers WHERE score IS NOT NULL"
            ).fetchone()[0]
        print(f"{count:,} scored answers (+ comments)")
        print(f"database: {path.stat().st_size / 1e6:.0f} MB")
        with sqlite3.connect(path) as con:
            for table in ("totals_scores", "totals_invitations", "totals_durations"):
                print(
                    f"{table}: {con.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:,} rows"
                )
        for plan in query_plans(path, tenant):
            print("plan:", plan)
        results = await measure(path, profile, args.runs, now, before=not args.no_before)
    width = max(len(k) for k in results)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\n{'what':<{width}}  median   slowest   CPU   (runs: {args.runs}; {os.cpu_count()} cores, "
        f"load average {load:.1f})"
    )
    for what, (median, slowest, cpu) in results.items():
        print(
            f"{what:<{width}}  {median * 1000:6.0f} ms {slowest * 1000:6.0f} ms {cpu * 1000:6.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000, help="scored answers to insert")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", help="association profile (default: the bundled example)")
    parser.add_argument("--keep", help="write the database here and keep it")
    parser.add_argument(
        "--reuse", help="time an existing benchmark database instead of filling one"
    )
    parser.add_argument(
        "--no-before",
        action="store_true",
        help="skip the reports built from the rows (bench/reports_rows.py: before the totals)",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
