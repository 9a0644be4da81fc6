"""Several associations on one database, one process: neither sees the other's beneficiaries,
requests, tickets or staff cards (issue 7). Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot import ROOT
from bot.app import BotApp, settings_for
from bot.profile import load_profile
from storage.db import Database
from storage.models import Beneficiary, ServiceRequest, Ticket
from tests.flows import fill_form, open_service, submit
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
