"""The reports' running totals (storage/totals.py): after any history of answers, invitations,
first replies, decisions (and changed decisions), erasures, retention and deletions, the counters
equal a full recount from the rows; `mustafeed rebuild-totals` recomputes them idempotently;
a bulk update the counters could not follow is refused."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from bot.domain import privacy, reports, tickets
from storage import totals
from storage.db import Database
from storage.models import (
    Association,
    Beneficiary,
    ServiceRequest,
    SurveyAnswer,
    SurveyInvitation,
    Ticket,
    TotalScore,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
SERVICES = (None, "food-support", "surplus-pickup")
QUESTIONS = ("overall", "speed", "comment")

moment = st.integers(0, 400 * 86400).map(lambda s: START + timedelta(seconds=s))
pick = st.integers(0, 1_000)
step = st.one_of(
    st.tuples(
        st.just("answer"),
        st.sampled_from(SERVICES),
        st.sampled_from(QUESTIONS),
        st.integers(1, 5),
        moment,
        pick,
    ),
    st.tuples(st.just("invite"), moment, pick),
    st.tuples(st.just("finish"), pick, st.booleans()),
    st.tuples(st.just("ticket"), moment, pick),
    st.tuples(st.just("reply"), pick, st.integers(0, 30 * 86400)),
    st.tuples(
        st.just("request"),
        moment,
        st.one_of(st.none(), st.integers(0, 30)),
        pick,
        st.sampled_from(("under_review", "draft")),
    ),
    st.tuples(st.just("decide"), pick, st.integers(0, 60 * 86400)),
    st.tuples(st.just("undecide"), pick),
    st.tuples(st.just("delete_answer"), pick),
    st.tuples(st.just("erase"), pick),
    st.tuples(st.just("retention"), st.integers(0, 400)),
    st.tuples(st.just("commit")),
)


async def _nth(session, model, index: int):
    rows = (await session.scalars(select(model).order_by(model.id))).all()
    return rows[index % len(rows)] if rows else None


async def _run(session, tenant: str, people: list[Beneficiary], op: tuple) -> None:
    kind, *args = op
    person = lambda i: people[i % len(people)] if people else None  # noqa: E731
    if kind == "answer":
        service, question, score, at, _ = args
        session.add(
            SurveyAnswer(
                service_id=service,
                channel="request",
                question_id=question,
                score=None if question == "comment" else score,
                comment="شكرًا" if question == "comment" else None,
                created_at=at.replace(hour=0, minute=0, second=0, microsecond=0)
                - timedelta(hours=3),
            )
        )
    elif kind == "invite":
        at, who = args
        p = person(who)
        session.add(
            SurveyInvitation(
                beneficiary_id=p.id if p else None,
                subject_kind="request",
                subject_id=who,
                sent_at=at,
            )
        )
    elif kind == "finish":
        invitation = await _nth(session, SurveyInvitation, args[0])
        if invitation and invitation.finished_at is None:
            if args[1]:
                invitation.finished_at = invitation.sent_at + timedelta(hours=3)
            else:
                invitation.skipped = True
    elif kind == "ticket":
        at, who = args
        p = person(who)
        session.add(
            Ticket(
                reference=f"T-{next(_REFERENCE)}",
                kind="complaint",
                status="open",
                beneficiary_id=p.id if p else None,
                created_at=at,
                due_at=at + timedelta(days=3),
            )
        )
    elif kind == "reply":
        ticket = await _nth(session, Ticket, args[0])
        if ticket and ticket.first_response_at is None:
            tickets.add_message(session, ticket, "out", text="أهلًا")  # the domain's first reply
            ticket.first_response_at = ticket.created_at + timedelta(seconds=args[1])
    elif kind == "request":
        at, due, who, status = args
        p = person(who)
        session.add(
            ServiceRequest(
                service_id="food-support",
                status=status,
                beneficiary_id=p.id if p else None,
                submitted_at=None if status == "draft" else at,
                due_date=None if due is None else (at + timedelta(days=due)).date(),
            )
        )
    elif kind == "decide":
        request = await _nth(session, ServiceRequest, args[0])
        if request and request.submitted_at is not None:
            request.decided_at = request.submitted_at + timedelta(
                seconds=args[1]
            )  # decided, or decided again
            request.status = "approved"
    elif kind == "undecide":
        request = await _nth(session, ServiceRequest, args[0])
        if request and request.decided_at is not None:
            request.decided_at, request.status = None, "under_review"  # reopened
    elif kind == "delete_answer":
        answer = await _nth(session, SurveyAnswer, args[0])
        if answer:
            await session.delete(answer)
    elif kind == "erase":
        p = person(args[0])
        if p:
            people.remove(p)
            await privacy.erase(session, p)
    elif kind == "retention":
        await privacy.apply_retention(session, args[0], now=START + timedelta(days=500))
    await session.flush()


async def _agree(db: Database, tenant: str) -> dict:
    async with db.read(tenant=tenant) as session:
        stored = await session.run_sync(lambda s: totals.stored(s.connection(), tenant))
        fresh = await session.run_sync(lambda s: totals.recount(s.connection(), tenant))
    assert stored == fresh
    return stored


async def _history(url: str, tenant: str, ops: list[tuple]) -> None:
    db = Database(url)
    try:
        async with db.write(unscoped=True) as session:
            session.add(Association(id=tenant, name="جمعية"))
        async with db.write(tenant=tenant) as session:
            people = [Beneficiary(telegram_user_id=1000 + i) for i in range(4)]
            session.add_all(people)
        session = None
        for op in [*ops, ("commit",)]:
            if session is None:
                writer = db.write(tenant=tenant)
                session = await writer.__aenter__()
                people = list(
                    (await session.scalars(select(Beneficiary).order_by(Beneficiary.id))).all()
                )
            if op[0] == "commit":
                await writer.__aexit__(None, None, None)
                session = None
                continue
            await _run(session, tenant, people, op)
        counters = await _agree(db, tenant)
        async with db.write(tenant=tenant) as session:  # rebuilt from the rows: the same, twice
            await session.run_sync(lambda s: totals.rebuild(s.connection(), tenant))
            await session.run_sync(lambda s: totals.rebuild(s.connection(), tenant))
        assert await _agree(db, tenant) == counters
    finally:
        await db.dispose()


_EXAMPLE = iter(range(1_000_000))
_REFERENCE = iter(range(1_000_000_000))


@settings(
    max_examples=int(os.environ.get("TOTALS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(step, max_size=40))
def test_counters_agree_with_a_recount_after_random_histories(
    migrated_url: str, ops: list[tuple]
) -> None:
    asyncio.run(_history(migrated_url, f"assoc-{next(_EXAMPLE)}", ops))


@pytest.fixture
def migrated_url(database_url: str) -> str:
    async def migrate() -> None:
        db = Database(database_url)
        await db.migrate()
        await db.dispose()

    asyncio.run(migrate())
    return database_url


def test_a_bulk_update_of_a_counted_column_is_refused(migrated_url: str) -> None:
    async def go() -> None:
        db = Database(migrated_url)
        try:
            async with db.write(unscoped=True) as session:
                session.add(Association(id="a", name="جمعية"))
            with pytest.raises(totals.TotalsError):
                async with db.write(tenant="a") as session:
                    await session.execute(update(Ticket).values(first_response_at=None))
            async with db.write(tenant="a") as session:  # columns the totals do not count: fine
                await session.execute(update(Ticket).values(subject=None))
                await session.execute(delete(SurveyAnswer).where(SurveyAnswer.score == 1))
        finally:
            await db.dispose()

    asyncio.run(go())


def test_rebuild_totals_command_and_the_report_it_gives(
    migrated_url: str, profile, tmp_path: Path
) -> None:
    """Rows written behind the ORM's back (raw SQL, as a bulk load does) are not counted until
    `mustafeed rebuild-totals`; after it, the report sees them; a second run changes nothing."""
    tenant = profile.association.id

    async def seed() -> None:
        db = Database(migrated_url)
        try:
            async with db.write(unscoped=True) as session:
                session.add(Association(id=tenant, name="جمعية"))
            async with db.write(tenant=tenant) as session:
                day = datetime(2026, 10, 4, 21, tzinfo=UTC)
                await session.execute(
                    SurveyAnswer.__table__.insert(),
                    [
                        {
                            "association_id": tenant,
                            "service_id": "food-support",
                            "channel": "request",
                            "question_id": "overall",
                            "score": s,
                            "created_at": day,
                        }
                        for s in (5, 5, 4, 4, 3, 2)
                    ],
                )
            async with db.read(tenant=tenant) as session:
                assert not (await session.scalars(select(TotalScore))).all()
        finally:
            await db.dispose()

    async def report():
        db = Database(migrated_url)
        try:
            async with db.read(tenant=tenant) as session:
                return await reports.build_report(
                    session, tenant, profile, reports.Period(date(2026, 10, 1), date(2026, 10, 31))
                )
        finally:
            await db.dispose()

    asyncio.run(seed())
    env = {
        **os.environ,
        "DATABASE_URL": migrated_url,
        "MUSTAFEED_DATA_DIR": str(tmp_path),
        "MUSTAFEED_SECRET_KEY": "x" * 40,
    }
    import subprocess
    import sys

    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "rebuild-totals"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"{tenant}: 8 counter rows" in done.stdout
        overall = asyncio.run(report()).overall
        assert overall.responses == 6 and overall.mean == pytest.approx(23 / 6)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "rebuild-totals", "--association", "nobody"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "no association" in done.stdout


@given(start=st.dates(date(2024, 1, 1), date(2028, 12, 31)), days=st.integers(0, 800))
def test_segments_cover_the_period_exactly(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    covered = []
    for grain, first, last in totals.segments(start, end):
        if grain == totals.MONTH:
            assert first.day == 1 and (last + timedelta(days=1)).day == 1
        covered += [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert covered == [start + timedelta(days=i) for i in range(days + 1)]


async def test_the_bots_own_writes_keep_the_counters(consented, staff, profile, emu, app) -> None:
    """Through the emulator as people use it: a request decided and closed, an inquiry answered,
    the survey rated — each counter moves in the transaction of its row, and /stats shows them."""
    from tests.e2e.test_survey import closed_inquiry, rate
    from tests.flows import fill_form, open_service, submit

    tenant = app.rt.tenant
    await open_service(consented, profile)
    await fill_form(consented, profile)
    await submit(consented)
    staff.seen = 0
    await staff.press("بدء الدراسة")
    await staff.press("✅")  # the decision
    await staff.press("تم تقديم الخدمة")
    await staff.press("إغلاق")
    await rate(consented, 5, 4, 4, 5)  # the survey of the closed request
    await closed_inquiry(consented, staff, emu)  # a first reply by staff

    async with app.db.read() as session:  # the app's database is bound to its association
        stored = await session.run_sync(lambda s: totals.stored(s.connection(), tenant))
        fresh = await session.run_sync(lambda s: totals.recount(s.connection(), tenant))
        today = datetime.now(UTC).date()
        report = await reports.build_report(
            session,
            tenant,
            profile,
            reports.Period(today - timedelta(days=2), today + timedelta(days=2)),
        )
    assert stored == fresh
    assert report.overall.answers == 4 and report.overall.total == 18  # no group of 5: shown hidden
    assert report.decision.count == 1 and report.first_response.count == 1
    assert report.sent >= 1 and report.finished == 1
