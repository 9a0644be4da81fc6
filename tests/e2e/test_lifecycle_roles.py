"""The request table's roles column, end to end: decisions are kept for researchers and
supervisors (a plain member's press on «قبول» or «عدم القبول» is refused with a word, and
nothing changes), unless the association's profile says otherwise (``permissions``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.domain import lifecycle
from storage.models import ServiceRequest
from tests.flows import fill_form, open_service, submit
from tests.harness import STAFF_CHAT, STAFF_PLAIN, Person, buttons

ROLE_REFUSAL = "دورك في فريق الجمعية لا يتيح لك هذا الإجراء"


async def press_as_plain_member(emu, app: BotApp, label: str) -> str:
    card = emu.messages(STAFF_CHAT)[0]
    data = next(d for text, d in buttons(card) if label in text)
    query = emu.press(STAFF_PLAIN, card["message_id"], data, chat_id=STAFF_CHAT)
    await Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT).act(query)
    return emu.callback_answer(query["id"])["text"]


async def status_of(app: BotApp, reference: str) -> str:
    async with app.db.read() as session:
        return await session.scalar(
            select(ServiceRequest.status).where(ServiceRequest.reference == reference)
        )


async def test_a_profile_may_let_any_member_decide(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    """Issue 12: the default keeps decisions for researchers and supervisors; an association's
    profile (``permissions``) may give them to every member of the staff group."""
    from bot.profile.schema import Permissions

    app.rt.profile = profile.model_copy(
        update={"permissions": Permissions(approve=("staff", "researcher", "supervisor"))}
    )
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    await staff.press("بدء الدراسة")
    assert "تم" in await press_as_plain_member(emu, app, "✅ قبول")
    assert await status_of(app, reference) == "approved"
    assert "يسعدنا إبلاغك بقبول طلبك" in consented.last()["text"]


async def test_decisions_kept_for_researchers_and_supervisors(
    consented: Person, staff: Person, profile, emu, app, monkeypatch: pytest.MonkeyPatch
) -> None:
    deciders_only = lifecycle.request_rules(deciders=lifecycle.DECIDERS)
    monkeypatch.setattr(lifecycle, "REQUEST_RULES", deciders_only)
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    await staff.press("بدء الدراسة")  # any member may still start the review
    assert await status_of(app, reference) == "under_review"
    told = consented.last()["text"]

    assert ROLE_REFUSAL in await press_as_plain_member(emu, app, "✅ قبول")
    assert ROLE_REFUSAL in await press_as_plain_member(
        emu, app, "❌ عدم القبول"
    )  # no prompt either
    assert await status_of(app, reference) == "under_review"
    assert consented.last()["text"] == told  # the beneficiary was told nothing

    await staff.press("✅ قبول")  # a supervisor (SUPERVISOR_IDS)
    assert await status_of(app, reference) == "approved"
    assert "يسعدنا إبلاغك بقبول طلبك" in consented.last()["text"]
