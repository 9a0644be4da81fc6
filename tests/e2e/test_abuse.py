"""Abuse cases end to end: what a person can learn or do with someone else's data or with
hostile input (issue #14), as those people and the staff group see it."""

from __future__ import annotations

from bot.app import BotApp
from tests.harness import OUTSIDER, STAFF_CHAT, Person
from tests.test_e2e_request import VALID_ID, fill_form, open_service, submit


async def test_a_strangers_national_id_reveals_no_reference(consented: Person, staff: Person, profile,  # noqa: ANN001
                                                            emu, app: BotApp) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)

    other = Person(emu, app, OUTSIDER)
    await other.say("/start")
    await other.press("أوافق")
    await open_service(other, profile)
    await other.say("خالد سعد ناصر القحطاني")
    before = len(emu.messages(STAFF_CHAT))
    replies = await other.say(VALID_ID)
    told = "\n".join(m.get("text", "") for m in replies)
    assert reference not in told and "REQ-" not in told
    assert "تواصل مع الجمعية" in told and "/contact" in told
    assert "السؤال ٢" in replies[-1]["text"]  # asked again, as for any refused answer

    alerts = emu.messages(STAFF_CHAT)[before:]
    assert len(alerts) == 1, alerts
    alert = alerts[0]["text"]
    assert "1•••••••08" in alert and VALID_ID not in alert
    assert profile.service("food-support").title.ar in alert
    assert "محمد" not in alert and "خالد" not in alert and "سارة" not in alert

    # the owner of the request is told its reference
    await consented.say("/menu")
    await open_service(consented, profile)
    await consented.say("محمد عبدالله سعيد الحربي")
    before = len(emu.messages(STAFF_CHAT))
    replies = await consented.say(VALID_ID)
    assert reference in replies[0]["text"] and "طلبك رقم" in replies[0]["text"]
    assert len(emu.messages(STAFF_CHAT)) == before  # nothing for staff: it is their own request
