"""Issue #14 item 4: one beneficiary cannot starve the staff group. With an inquiry open, every
message is relayed; the group takes about 20 messages a minute. A person's follow-ups are
merged into one message per interval, and new cases go ahead of waiting follow-ups."""

from __future__ import annotations

import re

from bot.engine.outbox import Limits
from tests.flows import about_the_case
from tests.harness import STAFF_CHAT, Person, make_settings, settle, start_app

SECOND = 1002


async def test_sixty_follow_ups_do_not_hold_a_new_case(emu, database_url, profile) -> None:
    emu.add_user(SECOND, "نورة", "القحطاني", language_code="ar")
    app = await start_app(
        emu, make_settings(emu, database_url), profile, limits=Limits(followup_interval=3.0)
    )
    try:
        first, second = Person(emu, app, 1001), Person(emu, app, SECOND)
        for person in (first, second):
            await person.say("/start")
            await person.press("أوافق")
            await person.press("استفسار")
            await person.press("التحدث مع فريق الجمعية")
        await first.say("متى يبدأ توزيع السلال الغذائية في حي النسيم؟")
        assert re.search(r"INQ-\d{4}-\d{4}", first.text())
        await first.say("متابعة رقم 0 من الأسرة")  # issue 12: said once to be about the case
        await about_the_case(first)
        before = len(emu.messages(STAFF_CHAT))

        for i in range(1, 61):  # as fast as a phone sends them, no waiting for the bot
            emu.send_text(first.user_id, f"متابعة رقم {i} من الأسرة")
        emu.send_text(SECOND, "هل تقبل الجمعية متطوعات في عطلة نهاية الأسبوع؟")
        await settle(emu, app, timeout=60)

        seen = emu.messages(STAFF_CHAT)[before:]
        texts = [m.get("text") or "" for m in seen]
        card = next(i for i, t in enumerate(texts) if "متطوعات" in t)
        follow_ups = [i for i, t in enumerate(texts) if "متابعة رقم" in t]
        assert card < follow_ups[-1], "the new case waited behind the follow-ups"
        shown = "\n".join(texts)
        assert all(f"متابعة رقم {i} من الأسرة" in shown for i in range(1, 61))  # nothing lost
        assert len(follow_ups) <= 10, len(follow_ups)  # merged, not 60 messages
        # the person was told "added" (once the team had it), not sixty times
        added = [
            m
            for m in emu.messages(first.user_id)
            if "أُضيف" in (m.get("text") or "") or "أضيف" in (m.get("text") or "")
        ]
        assert 1 <= len(added) <= 10
    finally:
        await app.stop()
