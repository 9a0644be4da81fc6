"""Issue 12, item 7: the location question accepts a typed address where the profile allows it
(Telegram Desktop and Web cannot share a location), and the review screen before the
declaration is the summary with «✏️ تعديل إجابة» and «✅ متابعة» — not a button per field."""

from __future__ import annotations

import pytest

from bot import ROOT
from bot.profile import Profile, load_profile
from tests.flows import SERVICE, open_service
from tests.harness import Person, buttons


@pytest.fixture
def profile(tmp_path) -> Profile:
    text = (ROOT / "profiles" / "khairat.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "      - id: home_location\n        type: location\n",
        "      - id: home_location\n        type: location\n        allow_address: true\n",
    )
    path = ROOT / "profiles" / ".test_allow_address.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        return load_profile(path)
    finally:
        path.unlink()


async def answer_to_location(person: Person, profile: Profile) -> None:
    service = profile.service(SERVICE)
    await person.say("محمد عبدالله سعيد الحربي")
    await person.say("١٠٠٠٠٠٠٠٠٨")
    await person.share_contact("966551234567")
    await person.say("١٥/٠٥/١٤٠٠")
    await person.say("٥")
    await person.say("3500")
    await person.press(service.fields[6].choices[1].label.ar)
    await person.press(service.fields[7].choices[0].label.ar)


async def test_a_typed_address_and_the_two_button_review(consented: Person, profile) -> None:
    await open_service(consented, profile)
    await answer_to_location(consented, profile)
    assert "كتابة عنوانك" in consented.text()
    await consented.say("حي النسيم، شارع الأمير سعود")
    assert (
        "الهوية" in consented.text() or "المستند" in consented.text() or "صورة" in consented.text()
    )
    await consented.send_photo()
    await consented.send_document(b"%PDF-1.4 family", "family.pdf", "application/pdf")
    await consented.send_document(b"%PDF-1.4 income", "income.pdf", "application/pdf")
    await consented.press("تخطٍّ")
    await consented.press("تخطٍّ")
    review = consented.last()
    assert "حي النسيم، شارع الأمير سعود" in review["text"]  # the summary shows the address
    labels = [t for t, _ in buttons(review)]
    assert any("تعديل إجابة" in t for t in labels) and any("متابعة" in t for t in labels)
    assert len(labels) <= 3  # not one button per field
    await consented.press("تعديل إجابة")
    fields = [t for t, _ in buttons(consented.last())]
    assert len(fields) > 10 and any("موقع المنزل" in t for t in fields)
    await consented.press("عدد أفراد الأسرة")
    await consented.say("٦")
    back = consented.last()
    assert any("تعديل إجابة" in t for t, _ in buttons(back))  # back on the review screen
    await consented.press("كل شيء صحيح")
    assert "الإقرار" in consented.text() or "أُقِرّ" in consented.text()


# without the option, a typed address is refused: tests/flows.py fill_form («بيتنا قريب من المسجد»)
