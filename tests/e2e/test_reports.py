"""Supervisor reports: periods, aggregates and suppression (domain), the workbook and CSV, the
chart, and /stats, /export and /dashboard end to end as supervisors and other staff use them."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from openpyxl import load_workbook

from bot.domain import reports
from bot.domain.reports import MIN_GROUP, Period, PeriodError, Score, parse_period, suppress
from bot.features.supervisor import supervisor
from bot.i18n import translator
from bot.web.dashboard import LinkError, make_dashboard_app, make_link, verify
from storage.db import Database
from storage.models import (
    Association,
    ServiceRequest,
    SurveyAnswer,
    SurveyInvitation,
    Ticket,
    utcnow,
)
from tests.harness import (
    RESEARCHER,
    STAFF,
    STAFF_CHAT,
    STAFF_PLAIN,
    Person,
    make_settings,
    start_app,
)

TODAY = date(2026, 10, 20)
NOW = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
QUESTIONS = ("overall", "speed", "clarity", "courtesy")


# --------------------------------------------------------------------------------------------
# fixtures: a database with answers seeded directly (the survey itself is tested end to end)
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def db(database_url: str, profile):
    database = Database(database_url)
    await database.migrate()
    async with database.write(unscoped=True) as session:  # two associations
        session.add(Association(id=profile.association.id, name="جمعية"))
        session.add(Association(id="other-association", name="جمعية أخرى"))
    yield database
    await database.dispose()


def responses(
    tenant: str,
    service: str | None,
    channel: str,
    scores: list[int],
    day: datetime,
    comment: str | None = None,
) -> list[SurveyAnswer]:
    """One response per score: that score for every question."""
    rows = []
    for score in scores:
        rows += [
            SurveyAnswer(
                association_id=tenant,
                service_id=service,
                channel=channel,
                staff_user_id=STAFF,
                question_id=q,
                score=score,
                created_at=day,
            )
            for q in QUESTIONS
        ]
    if comment:
        rows.append(
            SurveyAnswer(
                association_id=tenant,
                service_id=service,
                channel=channel,
                question_id="comment",
                score=None,
                comment=comment,
                created_at=day,
            )
        )
    return rows


async def seed(db: Database, tenant: str) -> None:
    sept, octo = datetime(2026, 9, 10, 6, tzinfo=UTC), datetime(2026, 10, 5, 6, tzinfo=UTC)
    async with db.write(unscoped=True) as session:  # rows of two associations
        session.add_all(
            responses(
                tenant,
                "food-support",
                "request",
                [5, 5, 4, 4, 2, 3],
                octo,
                comment="شكرًا، وهذا رقمي 0551234567",
            )
        )
        session.add_all(responses(tenant, "food-support", "request", [4, 4, 5, 5, 5], sept))
        session.add_all(
            responses(tenant, "surplus-pickup", "request", [1, 2], octo)
        )  # a small group
        session.add_all(responses(tenant, None, "complaint", [3, 4, 4, 5, 5, 2], octo))
        session.add_all(
            responses(tenant, "food-support", "request", [1], datetime(2026, 8, 1, tzinfo=UTC))
        )
        session.add_all(responses("other-association", "food-support", "request", [1] * 9, octo))
        for i in range(10):
            session.add(
                SurveyInvitation(
                    association_id=tenant,
                    beneficiary_id=None,
                    subject_kind="request",
                    subject_id=i,
                    sent_at=octo,
                    finished_at=octo if i < 6 else None,
                    skipped=i == 9,
                )
            )
        for hours in (2, 4, 30):
            session.add(
                Ticket(
                    association_id=tenant,
                    reference=f"CMP-1448-{hours:04d}",
                    kind="complaint",
                    status="closed",
                    created_at=octo,
                    first_response_at=octo + timedelta(hours=hours),
                    due_at=octo + timedelta(days=5),
                )
            )
        session.add(
            Ticket(
                association_id=tenant,
                reference="INQ-1448-0001",
                kind="inquiry",
                status="open",
                created_at=octo,
                due_at=octo + timedelta(hours=24),
            )
        )
        for i, (days, due) in enumerate(((3, 14), (10, 14), (20, 14))):
            submitted = octo - timedelta(days=days)
            session.add(
                ServiceRequest(
                    association_id=tenant,
                    reference=f"REQ-1448-{i:04d}",
                    service_id="food-support",
                    status="approved",
                    submitted_at=submitted,
                    decided_at=octo,
                    due_date=(submitted + timedelta(days=due)).date(),
                )
            )
        session.add(
            ServiceRequest(
                association_id=tenant,
                reference="REQ-1448-0099",
                service_id="food-support",
                status="under_review",
                submitted_at=octo,
                due_date=date(2026, 10, 10),
            )
        )


# --------------------------------------------------------------------------------------------
# periods and suppression (pure)
# --------------------------------------------------------------------------------------------


def test_periods() -> None:
    assert parse_period("", TODAY) == Period(date(2026, 9, 21), TODAY)
    assert parse_period("2026-10", TODAY) == Period(date(2026, 10, 1), date(2026, 10, 31))
    assert parse_period("٢٠٢٦-٠٢", TODAY) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("2026-01-01 2026-06-30", TODAY) == Period(
        date(2026, 1, 1), date(2026, 6, 30)
    )
    assert parse_period("2026", TODAY).days == 365
    ramadan = parse_period("١٤٤٨-٠٩", TODAY)  # a Hijri month
    assert ramadan.start == date(2027, 2, 8) and ramadan.days in (29, 30)
    assert parse_period("1448", TODAY).start == date(2026, 6, 16)  # 1 Muharram 1448
    for bad in (
        "2026-13",
        "tomorrow",
        "2026-06-30 2026-01-01",
        "2026-02-30 2026-03-01",
        "1990-01-01 2026-01-01",
    ):
        with pytest.raises(PeriodError):
            parse_period(bad, TODAY)
    months = Period(date(2026, 9, 21), date(2026, 11, 3)).months()
    assert [(m.month, a.day, b.day) for m, a, b in months] == [(9, 21, 30), (10, 1, 31), (11, 1, 3)]
    start, end = Period(date(2026, 10, 1), date(2026, 10, 31)).bounds()
    assert start == datetime(2026, 9, 30, 21, tzinfo=UTC)  # Riyadh midnight
    assert end == datetime(2026, 10, 31, 21, tzinfo=UTC)


def test_small_groups_are_suppressed_with_their_complement() -> None:
    groups = [Score(responses=n, answers=n) for n in (40, 12, 3)]
    suppress(groups)
    assert [g.hidden for g in groups] == [False, True, True]  # 3 alone could be got from the total
    groups = [Score(responses=n, answers=n) for n in (40, 12, 3, 2)]
    suppress(groups)
    assert [g.hidden for g in groups] == [
        False,
        False,
        True,
        True,
    ]  # 3 + 2 ≥ 5: no need to hide more
    groups = [Score(responses=n, answers=n) for n in (40, 12)]
    suppress(groups)
    assert not any(g.hidden for g in groups)
    hidden = Score(responses=MIN_GROUP - 1, answers=4, total=20, satisfied=4)
    suppress([hidden], with_total=False)
    assert hidden.mean is None and hidden.share is None


def test_comments_are_scrubbed() -> None:
    assert reports.scrub("رقمي ٠٥٥١٢٣٤٥٦٧ وهويتي 1012345672") == "رقمي ••• وهويتي •••"
    assert reports.scrub("راسلوني على a.b@mail.com أو @someone") == "راسلوني على ••• أو •••"
    assert reports.scrub("الخدمة ممتازة ٥ نجوم") == "الخدمة ممتازة ٥ نجوم"


# --------------------------------------------------------------------------------------------
# aggregates (SQL)
# --------------------------------------------------------------------------------------------


async def test_report_figures(db: Database, profile) -> None:
    tenant = profile.association.id
    await seed(db, tenant)
    async with db.read(tenant=tenant) as session:
        report = await reports.build_report(
            session, tenant, profile, Period(date(2026, 9, 1), date(2026, 10, 31)), NOW
        )
    o = report.overall
    assert (
        o.responses == 19 and o.answers == 19 * 4
    )  # the August answer and the other association excluded
    assert o.mean == pytest.approx(
        (5 + 5 + 4 + 4 + 2 + 3 + 4 + 4 + 5 + 5 + 5 + 1 + 2 + 3 + 4 + 4 + 5 + 5 + 2) / 19
    )
    assert o.share == pytest.approx(13 / 19)
    services = {g.key: g for g in report.by_service}
    assert (
        services["food-support"].score.responses == 11 and not services["food-support"].score.hidden
    )
    assert services["surplus-pickup"].score.hidden and services["surplus-pickup"].score.mean is None
    # surplus (2) alone could be worked out from the total: the next smallest (6, no service) goes too
    assert services[None].score.hidden
    assert services[None].label == "استفسارات وشكاوى (دون خدمة محددة)"
    months = {g.key: g.score for g in report.by_month}
    assert months[date(2026, 9, 1)].responses == 5 and months[date(2026, 10, 1)].responses == 14
    assert not months[date(2026, 9, 1)].hidden
    assert [g.key for g in report.by_question] == list(QUESTIONS)
    assert (report.sent, report.finished, report.skipped) == (
        10,
        6,
        1,
    ) and report.answer_rate == 0.6
    fr = report.first_response
    assert fr.count == 3 and fr.median == pytest.approx(4) and fr.mean == pytest.approx(12)
    assert report.decision.count == 3 and report.decision.median == pytest.approx(240)
    assert (report.decided, report.decided_in_time) == (3, 2)
    assert (report.open_requests, report.overdue_requests) == (1, 1)
    assert (report.open_tickets, report.overdue_tickets) == (1, 1)

    # a month with fewer than five responses is hidden; an empty one is just empty
    async with db.read(tenant=tenant) as session:
        august = await reports.build_report(
            session, tenant, profile, Period(date(2026, 8, 1), date(2026, 9, 30)), NOW
        )
    months = {g.key: g.score for g in august.by_month}
    assert august.overall.responses == 6 and not august.overall.hidden
    assert (
        months[date(2026, 8, 1)].hidden and months[date(2026, 9, 1)].hidden
    )  # 1 alone → 5 hidden too
    text = reports.stats_text(august, translator("ar"))
    assert "أقل من ٥ تقييمات" in text and "حسب الشهر" in text


async def test_stats_text_and_chart(db: Database, profile) -> None:
    tenant = profile.association.id
    await seed(db, tenant)
    async with db.read(tenant=tenant) as session:
        report = await reports.build_report(
            session, tenant, profile, Period(date(2026, 9, 1), date(2026, 10, 31)), NOW
        )
    text = reports.stats_text(report, translator("ar"))
    assert "تقرير رضا المستفيدين" in text and "هـ" in text  # Hijri dates
    assert "١٩" in text and "٦٠٪" in text  # responses, answer rate, in Arabic-Indic digits
    assert "• " + report.by_service[0].label in text
    assert "REQ-" not in text and "0551234567" not in text
    png = reports.render_chart(report, translator("ar"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


async def test_workbook_and_csv(db: Database, profile, tmp_path: Path) -> None:
    tenant = profile.association.id
    await seed(db, tenant)
    period = Period(date(2026, 9, 1), date(2026, 10, 31))
    async with db.read(tenant=tenant) as session:
        result = await reports.export(
            session, tenant, profile, period, "xlsx", tmp_path / "r.xlsx", now=NOW
        )
    book = load_workbook(result.path)
    assert book.sheetnames == ["الملخص", "حسب الخدمة", "حسب الشهر", "الإجابات"]
    summary = {
        row[0]: row[1:] for row in book["الملخص"].iter_rows(values_only=True) if row and row[0]
    }
    assert summary["الاستبانات المرسلة"][0] == 10 and summary["نسبة الاستجابة"][0] == pytest.approx(
        0.6
    )
    assert summary["عدد التقييمات"][0] == 19
    services = {
        row[0]: row[1:] for row in book["حسب الخدمة"].iter_rows(min_row=2, values_only=True)
    }
    food = profile.service("food-support").title.ar
    assert services[food][0] == 11 and services[food][2] == pytest.approx(9 / 11, abs=1e-4)
    assert services[profile.service("surplus-pickup").title.ar] == ("—", "—", "—")
    months = list(book["حسب الشهر"].iter_rows(min_row=2, values_only=True))
    assert [m[0] for m in months] == ["2026-09", "2026-10"]
    answers = list(book["الإجابات"].iter_rows(values_only=True))
    assert answers[0] == ("الخدمة", "السؤال", "الدرجة", "تعليق")
    body = answers[1:]
    assert len(body) == 11 * 4 + 1  # only the services the by-service sheet shows: food
    assert {row[0] for row in body} == {food}
    assert sorted(row[2] for row in body if row[2] is not None) == sorted(
        [5, 5, 4, 4, 2, 3, 4, 4, 5, 5, 5] * 4
    )
    comment = next(row for row in body if row[1] == "تعليق")
    assert "0551234567" not in comment[3] and "•••" in comment[3]
    flat = str([list(r.iter_rows(values_only=True)) for r in book.worksheets])
    assert str(STAFF) not in flat and "beneficiar" not in flat.lower()

    async with db.read(tenant=tenant) as session:
        result = await reports.export(
            session, tenant, profile, period, "csv", tmp_path / "r.csv", now=NOW
        )
    raw = result.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["# الملخص"] and ["# الإجابات"] in rows
    assert result.answers == 45


async def test_report_command_line(
    db: Database, profile, database_url: str, tmp_path: Path
) -> None:
    await seed(db, profile.association.id)
    out = tmp_path / "report.xlsx"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MUSTAFEED_DATA_DIR": str(tmp_path),
        "MUSTAFEED_SECRET_KEY": "x" * 40,
    }
    proc = await asyncio.create_subprocess_exec(
        str(Path(os.sys.executable)),
        "-m",
        "bot",
        "report",
        "--from",
        "2026-09-01",
        "--to",
        "2026-10-31",
        "--format",
        "xlsx",
        "--out",
        str(out),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await proc.communicate())[0].decode()
    assert proc.returncode == 0, output
    assert "45 anonymised answers" in output
    assert load_workbook(out)["الملخص"]["B1"].value


# --------------------------------------------------------------------------------------------
# signed dashboard links (pure)
# --------------------------------------------------------------------------------------------


def test_dashboard_links_expire_and_refuse_forgery(profile) -> None:
    from bot.settings import Settings
    from tests.harness import SECRET

    settings = Settings(secret_key=SECRET)
    tenant = profile.association.id
    url, expires = make_link(settings, tenant, STAFF, NOW, base="http://h/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert verify(settings, tenant, query, NOW) == STAFF
    with pytest.raises(LinkError) as late:
        verify(settings, tenant, query, expires + timedelta(seconds=1))
    assert late.value.reason == "expired"
    for forged in (
        {**query, "u": str(STAFF_PLAIN)},
        {**query, "exp": str(int(query["exp"]) + 3600)},
        {**query, "sig": "0" * 64},
        {k: v for k, v in query.items() if k != "sig"},
    ):
        with pytest.raises(LinkError) as bad:
            verify(settings, tenant, forged, NOW)
        assert bad.value.reason == "invalid"
    with pytest.raises(LinkError):  # another key
        verify(
            Settings(secret_key="another-secret-key-that-is-long-enough-xyz"), tenant, query, NOW
        )
    with pytest.raises(LinkError):  # another association
        verify(settings, "another-association", query, NOW)


# --------------------------------------------------------------------------------------------
# end to end: the staff group
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def app(emu, database_url: str, profile, tmp_path: Path):
    """The bot with its files (charts, workbooks) under the test's own directory."""
    bot_app = await start_app(emu, make_settings(emu, database_url, data_dir=tmp_path), profile)
    yield bot_app
    await supervisor.wait_background()
    await bot_app.stop()


async def seed_recent(app, profile) -> None:
    """Answers from this week, so the default period (the last 30 days) shows them."""
    day = utcnow() - timedelta(days=2)
    async with app.db.write() as session:
        session.add_all(
            responses(profile.association.id, "food-support", "request", [5, 4, 4, 3, 5, 2], day)
        )
        session.add_all(responses(profile.association.id, "surplus-pickup", "request", [1], day))


async def test_stats_is_for_supervisors(staff: Person, emu, app, profile) -> None:
    await seed_recent(app, profile)
    for user in (STAFF_PLAIN, RESEARCHER):
        other = Person(emu, app, user, chat_id=STAFF_CHAT, seen=staff.seen)
        replies = await other.say("/stats")
        assert len(replies) == 1 and "لمشرفي الجمعية فقط" in replies[0]["text"]
        staff.seen = other.seen
        assert not emu.messages(user)  # nothing sent privately either
    replies = await staff.say("/stats")
    text = replies[0]["text"]
    assert "تقرير رضا المستفيدين" in text and "هـ" in text and "الراضون" in text
    assert "—" in text and "أقل من ٥" in text  # the surplus service's single answer is hidden
    photo = replies[-1]
    assert photo.get("photo") and "نسبة الرضا" in photo.get("caption", "")
    data = emu.download(photo["photo"][-1]["file_id"])
    assert data[:4] == b"\x89PNG"

    replies = await staff.say("/stats 2026-13")
    assert (
        "لم أتمكّن من قراءة الفترة" in replies[0]["text"] and "/stats 2026-10" in replies[0]["text"]
    )
    replies = await staff.say("/stats 2020-01")
    assert "أقل من ٥ تقييمات في هذه الفترة" in replies[0]["text"]


async def test_export_sends_a_workbook_privately(staff: Person, emu, app, profile) -> None:
    await seed_recent(app, profile)
    plain = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    assert "لمشرفي الجمعية فقط" in (await plain.say("/export"))[0]["text"]
    staff.seen = plain.seen
    replies = await staff.say("/export")
    assert "جارٍ إعداد ملف التقرير" in replies[0]["text"]
    await supervisor.wait_background()
    document = await emu.wait_for_message(STAFF, lambda m: "document" in m)
    assert (
        document["document"]["file_name"].endswith(".xlsx") and "تقرير الرضا" in document["caption"]
    )
    book = load_workbook(io.BytesIO(emu.download(document["document"]["file_id"])))
    summary = {
        row[0]: row[1:] for row in book["الملخص"].iter_rows(values_only=True) if row and row[0]
    }
    assert summary["عدد التقييمات"][0] == 7 and summary["متوسط الرضا (من ٥)"][0] == pytest.approx(
        24 / 7, abs=0.01
    )
    services = {
        row[0]: row[1:] for row in book["حسب الخدمة"].iter_rows(min_row=2, values_only=True)
    }
    assert services[profile.service("surplus-pickup").title.ar] == ("—", "—", "—")
    assert services[profile.service("food-support").title.ar] == ("—", "—", "—")  # its complement
    assert len(list(book["الإجابات"].iter_rows())) == 1  # no group big enough: header only
    assert not any("document" in m for m in emu.messages(STAFF_CHAT))  # never in the group


@pytest.fixture
async def dashboard_server(app, monkeypatch: pytest.MonkeyPatch):
    runner = web.AppRunner(make_dashboard_app(app.rt))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    monkeypatch.setenv("MUSTAFEED_DASHBOARD_URL", f"http://127.0.0.1:{port}/")
    yield f"http://127.0.0.1:{port}/"
    await runner.cleanup()


async def test_dashboard_link_and_page(
    staff: Person, emu, app, profile, dashboard_server: str
) -> None:
    await seed_recent(app, profile)
    plain = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    assert "لمشرفي الجمعية فقط" in (await plain.say("/dashboard"))[0]["text"]
    staff.seen = plain.seen
    replies = await staff.say("/dashboard")
    assert "المحادثة الخاصة" in replies[0]["text"]
    private = emu.last_message(STAFF)
    link = next(e["url"] for e in private.get("entities", []) if e.get("type") == "text_link")
    assert link.startswith(dashboard_server) and "لوحة المشرفين" in private["text"]

    async with aiohttp.ClientSession() as http:
        async with http.get(link) as response:
            page = await response.text()
            assert (
                response.status == 200
                and "script" not in response.headers["Content-Security-Policy"]
            )
        assert (
            'dir="rtl"' in page
            and "لوحة المشرفين" in page
            and "<svg" in page
            and "<script" not in page
        )
        assert "نسبة الرضا حسب الخدمة" in page and "هـ" in page
        assert "http://" not in page.replace(dashboard_server, "").replace(
            'xmlns="http://www.w3.org/2000/svg"', ""
        )
        async with http.get(link.replace("&sig=", "&sig=0")) as response:
            assert response.status == 403 and "غير صالح" in await response.text()
        forged = link.replace(f"u={STAFF}", f"u={STAFF_PLAIN}")
        async with http.get(forged) as response:
            assert response.status == 403
        expired, _ = make_link(app.settings, app.rt.tenant, STAFF, utcnow() - timedelta(hours=13))
        async with http.get(expired) as response:
            assert response.status == 403 and "انتهت صلاحية" in await response.text()
        plain_link, _ = make_link(
            app.settings, app.rt.tenant, STAFF_PLAIN
        )  # signed, but not a supervisor
        async with http.get(plain_link) as response:
            assert response.status == 403 and "لمشرفي الجمعية فقط" in await response.text()
        async with http.get(link + "&from=2026-02-30&to=x") as response:
            assert response.status == 200 and "تعذّرت قراءة التاريخين" in await response.text()
        async with http.get(dashboard_server + "font.ttf") as response:
            assert response.status == 200 and len(await response.read()) > 100_000


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
async def test_dashboard_in_a_real_browser(
    staff: Person, emu, app, profile, dashboard_server: str, tmp_path: Path
) -> None:
    await seed_recent(app, profile)
    url, _ = make_link(app.settings, app.rt.tenant, STAFF)
    shot = tmp_path / "dashboard.png"
    with tempfile.TemporaryDirectory() as profile_dir:
        proc = await asyncio.create_subprocess_exec(
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile_dir}",
            f"--screenshot={shot}",
            "--window-size=1280,900",
            url,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await asyncio.wait_for(proc.wait(), 90)
        except TimeoutError:
            proc.kill()
            raise
    assert shot.is_file() and shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
