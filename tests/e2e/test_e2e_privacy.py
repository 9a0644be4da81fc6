"""The beneficiary's rights (PDPL): consent withdrawn, a copy of the data, erasure, retention,
flood control, the audit log."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.domain.privacy import apply_retention
from bot.engine.jobs import prune_journals
from storage.models import (
    AuditLog,
    Beneficiary,
    Document,
    InboundUpdate,
    OutboxMessage,
    ServiceRequest,
    utcnow,
)
from tests.flows import fill_form, open_service, submit
from tests.harness import Person

ROOT = str(Path(__file__).resolve().parents[2])


async def test_my_data_is_a_readable_file_with_my_answers(consented: Person, profile, emu) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    replies = await consented.say("/mydata")
    document = replies[-1]["document"]
    content = emu.download(document["file_id"]).decode("utf-8")
    assert (
        reference in content and "1000000008" in content and "محمد عبدالله سعيد الحربي" in content
    )
    assert "مجهولة الهوية" in content


async def test_erase_withdraws_anonymises_and_forgets(consented: Person, profile, app) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    await consented.say("/deletemydata")
    await consented.press("نعم، احذف بياناتي")
    text = consented.text()
    assert "تم حذف بياناتك" in text and "أُلغي طلب مفتوح واحد" in text
    async with app.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Beneficiary)) == 0
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )
        assert (
            request.status == "withdrawn"
            and request.answers == {}
            and request.beneficiary_id is None
        )
        assert request.national_id_hash is None
        assert await session.scalar(select(func.count()).select_from(Document)) == 0
        raw = (await session.scalars(select(InboundUpdate.raw))).all()
        assert not any("1000000008" in str(r) for r in raw)
        assert await session.scalar(select(AuditLog).where(AuditLog.action == "beneficiary_erased"))
    replies = await consented.say("/start")
    assert "خصوصيتك" in replies[-1]["text"]  # a stranger again: consent first


async def test_consent_can_be_withdrawn(consented: Person) -> None:
    await consented.say("/privacy")
    await consented.press("سحب موافقتي")
    assert "تم سحب موافقتك" in consented.text()
    replies = await consented.say("/apply")
    assert "خصوصيتك" in replies[-1]["text"]


async def test_retention_anonymises_old_closed_cases(
    consented: Person, staff: Person, profile, app
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    staff.seen = 0
    await staff.press("عدم القبول")
    await staff.say("الدخل أعلى من الحد", reply_to_message_id=staff.last()["message_id"])
    later = utcnow() + timedelta(days=400)
    async with app.db.write() as session:
        assert await apply_retention(session, 365) == 0  # not old yet
        done = await apply_retention(session, 365, now=later)
    assert done == 1
    await prune_journals(app.db, app.rt.tenant, later, app.rt.settings.journal_days)  # daily
    async with app.db.read() as session:
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )
        assert (
            request.answers == {}
            and request.anonymised_at is not None
            and request.status == "rejected"
        )
        assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_sent_messages_are_not_kept(consented: Person, app) -> None:
    async with app.db.read() as session:
        payloads = (
            await session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.status == "sent")
            )
        ).all()
    assert payloads and all(p == {} for p in payloads)


async def test_flood_gets_one_calm_answer(consented: Person, emu, app) -> None:
    app.rt.flood_burst = 10
    for i in range(30):
        emu.send_text(consented.user_id, f"رسالة {i}")
    replies = await consented.say("رسالة أخيرة")
    calm = [m for m in replies if "رسائل كثيرة" in (m.get("text") or "")]
    assert len(calm) == 1
    assert len(replies) < 31


async def test_audit_command_prints_views_and_decisions(
    consented: Person, staff: Person, profile, app, database_url, tmp_path
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    await submit(consented)
    staff.seen = 0
    await staff.press("البيانات الكاملة")
    await staff.press("بدء الدراسة")
    await staff.press("قبول")
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "MUSTAFEED_DATA_DIR": str(tmp_path),
        "PYTHONPATH": ROOT,
    }  # this checkout's code (and migrations), not the venv's install
    result = subprocess.run(
        [sys.executable, "-m", "bot", "audit"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "view_personal_data request:" in result.stdout and "decision:approve" in result.stdout


import pytest  # noqa: E402


@pytest.mark.sqlite_only
async def test_online_backup_while_the_bot_runs(
    consented: Person, app, database_url, tmp_path
) -> None:
    """`mustafeed backup FILE` copies the live SQLite database; the copy opens and holds the data."""
    import sqlite3

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only (PostgreSQL: pg_dump)")
    target = tmp_path / "backup.db"
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "MUSTAFEED_DATA_DIR": str(tmp_path),
        "PYTHONPATH": ROOT,
    }  # this checkout's code (and migrations), not the venv's install
    result = subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(target)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM beneficiaries").fetchone()[0] == 1
        assert copy.execute("SELECT count(*) FROM consent_events").fetchone()[0] == 1


async def test_the_same_service_on_ptbs_default_http_client(emu, database_url, profile) -> None:
    """MUSTAFEED_HTTP_CLIENT=httpx (bot/channels/telegram/transport.py): the bot as a whole — polling, messages,
    buttons and an uploaded file from the outbox — works on PTB's own HTTPXRequest too."""
    from tests.harness import BENEFICIARY, make_settings, start_app

    app = await start_app(emu, make_settings(emu, database_url, http_client="httpx"), profile)
    try:
        person = Person(emu, app, BENEFICIARY)
        await person.say("/start")
        await person.press("أوافق")
        replies = await person.say("/mydata")
        document = replies[-1]["document"]
        content = emu.download(document["file_id"]).decode("utf-8")
        assert document["file_name"] == "mydata.txt"
        assert str(BENEFICIARY) in content and "الموافقة: مُنحت" in content
    finally:
        await app.stop()
