"""Issue #14 item 5: one request takes at most ``deadlines.documents_per_request`` documents
(15 by default), with a clear message when the cap is reached, and one 👁 press sends the
reviewer albums of up to ten, not one message per document."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Document
from tests.flows import fill_form, open_service, submit
from tests.harness import Person


async def test_document_cap_and_reveal_as_albums(
    consented: Person, staff: Person, profile, app, emu
) -> None:
    cap = profile.deadlines.documents_per_request
    assert cap == 15
    await open_service(consented, profile)
    await fill_form(consented, profile)  # three documents in the form
    await submit(consented)
    staff.seen = 0
    await staff.press("بدء الدراسة")
    await staff.press("طلب مستندات")
    await staff.say("كشف حساب آخر ستة أشهر", reply_to_message_id=staff.last()["message_id"])
    await consented.press("إضافة المستندات")
    for i in range(cap - 3):
        await consented.send_photo(b"\x89PNG statement page %d" % i)
    replies = await consented.send_photo(b"\x89PNG one too many")
    assert "الحد الأقصى" in replies[-1]["text"] and "١٥" in replies[-1]["text"]
    await consented.press("انتهيت")
    async with app.db.read() as session:
        assert await session.scalar(select(func.count(Document.id))) == cap

    calls_before = len(emu.calls)
    await staff.press("البيانات الكاملة")
    sends = [
        c
        for c in emu.calls[calls_before:]
        if c.method.lower().startswith("send")
        and str(c.params.get("chat_id")) == str(staff.user_id)
    ]
    assert len(sends) <= 4, [c.method for c in sends]  # the data, then albums of up to ten
    assert any(c.method == "sendMediaGroup" for c in sends)
    private = emu.messages(staff.user_id)
    media = [m for m in private if m.get("photo") or m.get("document")]
    assert len(media) == cap  # every document, none left out


async def test_an_inquiry_takes_at_most_the_cap_of_files(consented: Person, profile, emu) -> None:
    from tests.harness import STAFF_CHAT

    cap = profile.deadlines.documents_per_request
    await consented.press("استفسار")
    await consented.press("التحدث مع فريق الجمعية")
    await consented.say("أرسل لكم صور الفواتير المتأخرة")
    for i in range(cap):
        await consented.send_photo(b"\x89PNG bill %d" % i)
    replies = await consented.send_photo(b"\x89PNG one too many")
    assert "الحد الأقصى من الملفات" in replies[-1]["text"]
    assert len([m for m in emu.messages(STAFF_CHAT) if m.get("photo")]) == cap
