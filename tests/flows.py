"""The steps several end-to-end tests share: open the food-support service, answer its form (each
field type also given a wrong answer first) and submit it, as the beneficiary does."""

from __future__ import annotations

import re

from tests.harness import Person, buttons

SERVICE = "food-support"
VALID_ID = "1000000008"  # a national ID with a valid check digit


async def open_service(person: Person, profile) -> None:
    await person.press("طلب خدمة")
    await person.press(profile.service(SERVICE).title.ar)
    text = person.text()
    assert "من يحق له التقديم" in text and "المستندات المطلوبة" in text
    await person.press("ابدأ التقديم")


async def fill_form(person: Person, profile, *, national_id: str = "١٠٠٠٠٠٠٠٠٨") -> None:
    """Answer every question; each field type also gets a wrong answer first."""
    service = profile.service(SERVICE)
    assert "السؤال ١ من" in person.text() or "السؤال 1 من" in person.text()
    replies = await person.say("محمد")  # one name part
    assert "الاسم" in replies[0]["text"] and "السؤال" in replies[-1]["text"]
    await person.say("محمد عبدالله سعيد الحربي")
    replies = await person.say("1234567890")  # bad check digit
    assert "رقم الهوية" in replies[0]["text"]
    await person.say(national_id)
    replies = await person.say("0112345678")  # a landline
    assert "جوال" in replies[0]["text"]
    await person.share_contact("966551234567")
    replies = await person.say("30/01/1448")  # Muharram 1448 has 29 days
    assert "٢٩" in replies[0]["text"] or "29" in replies[0]["text"]
    await person.say("١٥/٠٥/١٤٠٠")
    replies = await person.say("٤٠")  # family size above the range
    assert "٣٠" in replies[0]["text"] or "30" in replies[0]["text"]
    await person.say("٥")
    await person.say("3٬500")
    housing = service.fields[6].choices[1].label.ar
    await person.press(housing)
    district = service.fields[7].choices[0].label.ar
    await person.press(district)
    replies = await person.say("بيتنا قريب من المسجد")  # a location is needed
    assert "الموقع" in replies[0]["text"]
    await person.share_location()
    await person.send_photo()
    await person.send_document(b"%PDF-1.4 family", "family.pdf", "application/pdf")
    replies = await person.send_document(b"MZ program", "setup.exe", "application/octet-stream")
    assert "لا يمكن قبول" in replies[0]["text"] or "نوع" in replies[0]["text"]
    await person.send_document(b"%PDF-1.4 income", "income.pdf", "application/pdf")
    await person.press("تخطٍّ")  # the optional notes
    await person.press("تخطٍّ")  # the optional lease contract (a document no field asks for)


async def submit(person: Person) -> str:
    await person.press("كل شيء صحيح")
    assert "أُقِرّ بأن جميع البيانات" in person.text() or "الإقرار" in person.text()
    replies = await person.press("أُقِرّ وأرسِل")
    text = (replies[-1] if replies else person.last())["text"]
    assert "لجنة البحث" in text and "هـ" in text  # the Hijri due date
    match = re.search(r"REQ-\d{4}-\d{4}", text)
    assert match, text
    return match.group(0)


def reference_in(text: str, prefix: str) -> str:
    """The case reference (``REQ-1448-0001``, ``INQ-…``, ``CMP-…``) a message names."""
    match = re.search(rf"{prefix}-\d{{4}}-\d{{4}}", text)
    assert match, text
    return match.group(0)


async def about_the_case(person: Person) -> None:
    """Issue 12: a text that is not a reply while a case is open is met with «هل رسالتك بخصوص
    …، أم سؤال جديد؟»; answer that it is about the case (then the text joins it)."""
    if any("بخصوصه" in label for label, _ in buttons(person.last())):
        await person.press("بخصوصه")
