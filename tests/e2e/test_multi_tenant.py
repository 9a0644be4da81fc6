"""Several associations on one database, one process: neither sees the other's beneficiaries,
requests, tickets or staff cards (issue 7). Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot import ROOT
from bot.app import BotApp, settings_for
from bot.engine.jobs import run_jobs
from bot.profile import load_profile
from storage.db import Database
from storage.models import (
    AuditLog,
    Beneficiary,
    InboundUpdate,
    OutboxMessage,
    ServiceRequest,
    Ticket,
    utcnow,
)
from tests.flows import fill_form, open_service, reference_in, submit
from tests.harness import BENEFICIARY, STAFF, STAFF_CHAT, Person, make_settings, populate

MAA_TOKEN = "456:DEF"
MAA_STAFF_CHAT = -100456


async def test_two_associations_share_a_database_but_nothing_else(
    emu, database_url, profile
) -> None:
    maa_world = emu.add_bot(MAA_TOKEN, "maa_bot")
    populate(maa_world)
    maa_world.add_group(MAA_STAFF_CHAT, "فريق جمعية ماء", members={STAFF: "creator"})
    maa = load_profile(ROOT / "profiles" / "maa.yaml")
    db = Database(database_url)
    base = make_settings(emu, database_url)
    khairat_app = BotApp(base, profile, db=db)
    maa_app = BotApp(
        settings_for(base.with_(token=MAA_TOKEN, staff_chat_id=MAA_STAFF_CHAT), maa), maa, db=db
    )
    for app in (khairat_app, maa_app):
        app.rt.flood_burst = 500
        await app.start_polling()
    try:
        sara_k = Person(emu, khairat_app, BENEFICIARY)
        sara_m = Person(maa_world, maa_app, BENEFICIARY)  # the same person, with both associations
        for person in (sara_k, sara_m):
            await person.say("/start")
            await person.press("أوافق")
        await open_service(sara_k, profile)
        await fill_form(sara_k, profile)
        reference = await submit(sara_k)
        await sara_m.press("استفسار")
        await sara_m.press("التحدث مع فريق الجمعية")
        await sara_m.say("متى تبدأ صيانة خزانات المياه في حينا؟")
        await sara_m.say("/status")
        # issue 12: every case is listed — Maa's inquiry, and not Khairat's request
        assert "INQ-" in sara_m.text() and reference not in sara_m.text()
        await sara_k.say("/status")
        assert reference in sara_k.text()

        assert all("صيانة خزانات" not in (m.get("text") or "") for m in emu.messages(STAFF_CHAT))
        assert all(
            reference not in (m.get("text") or "") for m in maa_world.messages(MAA_STAFF_CHAT)
        )
        assert any(
            "صيانة خزانات" in (m.get("text") or "") for m in maa_world.messages(MAA_STAFF_CHAT)
        )

        async with db.read(unscoped=True) as session:  # both associations
            people = (
                await session.execute(
                    select(Beneficiary.association_id, Beneficiary.telegram_user_id)
                )
            ).all()
            requests = (await session.scalars(select(ServiceRequest.association_id))).all()
            tickets = (await session.scalars(select(Ticket.association_id))).all()
        assert sorted(people) == [("khairat", BENEFICIARY), ("maa", BENEFICIARY)]
        assert set(requests) == {"khairat"} and set(tickets) == {"maa"}

        # The queries below name no association: the scope of each app's sessions
        # (storage.scope) is all that keeps the other association's rows out.
        inquiry = reference_in(sara_m.text(), "INQ")
        staff_k = Person(emu, khairat_app, STAFF, chat_id=STAFF_CHAT)
        staff_m = Person(maa_world, maa_app, STAFF, chat_id=MAA_STAFF_CHAT)
        await staff_k.say("/queue")
        assert reference in staff_k.text() and inquiry not in staff_k.text()
        await staff_m.say("/queue")
        assert inquiry in staff_m.text() and reference not in staff_m.text()
        for staff, other in ((staff_k, inquiry), (staff_m, reference)):
            await staff.say(f"/find {other}")
            assert "لا توجد هنا حالة بهذا الرقم" in staff.text()
        replies = await sara_m.say("/mydata")
        content = maa_world.download(replies[-1]["document"]["file_id"]).decode("utf-8")
        assert inquiry in content and reference not in content

        async def khairats_rows() -> tuple[int, int, int, int]:
            """Khairat's rows about Sara that Maa's erasure and retention match by her
            Telegram id (the same person in both), counted across associations."""
            async with db.read(unscoped=True) as session:
                mine = Beneficiary.association_id == "khairat"
                people = await session.scalar(
                    select(func.count()).select_from(Beneficiary).where(mine)
                )
                sent = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(
                        OutboxMessage.association_id == "khairat",
                        OutboxMessage.chat_id == BENEFICIARY,
                    )
                )
                kept_raw = await session.scalar(
                    select(func.count())
                    .select_from(InboundUpdate)
                    .where(
                        InboundUpdate.association_id == "khairat",
                        InboundUpdate.chat_id == BENEFICIARY,
                        InboundUpdate.raw.is_not(None),
                    )
                )
                acted = await session.scalar(
                    select(func.count())
                    .select_from(AuditLog)
                    .where(AuditLog.association_id == "khairat", AuditLog.actor_id == BENEFICIARY)
                )
            return people, sent, kept_raw, acted

        await sara_k.say("/privacy")
        await sara_k.press("استلام الإعلانات")  # audited, with her as the actor
        before = await khairats_rows()
        assert all(before), before
        await sara_m.say("/deletemydata")
        await sara_m.press("نعم، احذف بياناتي")
        assert "تم حذف بياناتك" in sara_m.text()
        await run_jobs(maa_app.rt, now=utcnow() + timedelta(days=3))  # Maa's jobs and retention
        await maa_app.idle()
        assert await khairats_rows() == before
        async with db.read(unscoped=True) as session:
            left = (
                await session.execute(
                    select(Beneficiary.association_id, ServiceRequest.answers).join(
                        ServiceRequest, ServiceRequest.beneficiary_id == Beneficiary.id
                    )
                )
            ).all()
        assert [tenant for tenant, _ in left] == ["khairat"] and left[0][1]  # answers kept
        await sara_k.say("/status")
        assert reference in sara_k.text()
    finally:
        for app in (khairat_app, maa_app):
            await app.stop()
        await db.dispose()


def test_each_association_needs_its_own_token(tmp_path) -> None:
    import pytest

    from bot.settings import ConfigError, Settings

    maa = load_profile(ROOT / "profiles" / "maa.yaml")
    maa_with_env = maa.model_copy(
        update={"deployment": maa.deployment.model_copy(update={"token_env": "MAA_TOKEN"})}
    )
    with pytest.raises(ConfigError, match="MAA_TOKEN"):
        settings_for(Settings(token="1:A"), maa_with_env, env={})
    assert (
        settings_for(Settings(token="1:A"), maa_with_env, env={"MAA_TOKEN": "2:B"}).token == "2:B"
    )
