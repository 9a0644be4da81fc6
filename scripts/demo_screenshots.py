"""Screenshots of the demo page for docs/: drives the real demo (emulator, its WhatsApp side and
the bot) as people would, then asks headless Chromium for pictures.

    .venv/bin/python scripts/demo_screenshots.py      # writes docs/demo-*.png

Wide (1400×1000, every phone side by side): the Arabic welcome on Telegram and WhatsApp; a
request submitted beside its staff card; the card after «بدء الدراسة». Phone-sized (390×844,
one chat behind the tabs): the WhatsApp phone, and the staff workspace (a card, a reply that
reached the beneficiary, an internal note, /queue). ``--phone DIR`` also writes the three
phone-sized views (Telegram, WhatsApp, staff) to DIR, to look at them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator.browser import Chromium  # noqa: E402
from bot.emulator.demo_page import Demo  # noqa: E402
from bot.web.demo import DemoRun, start_demo  # noqa: E402

WIDE, PHONE = (1400, 1000), (390, 844)
READY = "document.querySelectorAll('.panel.shown .msg').length >= {count}"
DOCS = ROOT / "docs"
CARD_ON_TOP = """[...document.querySelectorAll('.panel.shown .msg')]
    .filter((m) => m.querySelector('.inline-kb') && m.textContent.includes('INQ-'))
    .pop().scrollIntoView({block: 'start'})"""


class Visitor:
    """The demo's people, acting through the same objects the page's routes use."""

    def __init__(self, run: DemoRun) -> None:
        self.run = run
        self.emu = run.emu
        assert run.emu.demo is not None and run.emu.demo.whatsapp is not None
        self.phone = run.emu.demo.whatsapp

    async def settle(self) -> None:
        for _ in range(3):
            await self.emu.wait_until(lambda: self.emu.updates.pending_count == 0, 10)
            await self.run.app.idle(10)
            await self.run.wa.drain()

    def find(self, chat: int, label: str) -> tuple[int, str]:
        for message in reversed(self.emu.messages(chat)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    if label in b["text"]:
                        return message["message_id"], b["callback_data"]
        raise LookupError(label)

    async def say(self, text: str) -> None:
        self.emu.send_text(Demo.USER_ID, text)
        await self.settle()

    async def press(self, label: str, chat: int = Demo.USER_ID, who: int = Demo.USER_ID) -> None:
        message_id, data = self.find(chat, label)
        self.emu.press(who, message_id, data, chat_id=None if chat == Demo.USER_ID else chat)
        await self.settle()

    async def staff_says(self, text: str, reply_to: int | None = None) -> None:
        self.emu.send_text(Demo.STAFF_USER_ID, text, Demo.STAFF_CHAT_ID, reply_to)
        await self.settle()

    async def wa_says(self, text: str) -> None:
        await self.phone.say(text)
        await self.settle()

    async def wa_choose(self, label: str) -> None:
        for message in reversed(self.run.wa.world.messages(self.phone.wa_id)):
            for title, data in self.run.wa.choices(message):
                if label in title:
                    await self.phone.choose(message["id"], data)
                    await self.settle()
                    return
        raise LookupError(label)

    def staff_card(self, reference: str) -> int:
        for message in reversed(self.emu.messages(Demo.STAFF_CHAT_ID)):
            if reference in (message.get("text") or "") and message.get("reply_markup"):
                return int(message["message_id"])
        raise LookupError(reference)

    def shown(self) -> int:
        return len(self.emu.history(Demo.USER_ID)) + len(self.emu.history(Demo.STAFF_CHAT_ID))


async def shoot(
    url: str, out: Path, messages: int, size: tuple[int, int] = WIDE, then: str = ""
) -> None:
    """The page once the shown phones have drawn ``messages`` bubbles; ``then`` is run before
    the picture (a click, say)."""
    async with Chromium(*size) as browser:
        await browser.open(url, READY.format(count=messages))
        if then:
            await browser.evaluate(then)
        await asyncio.sleep(0.4)  # let the scroll to the newest message finish
        await browser.screenshot(out)
    print("wrote", out.relative_to(ROOT) if out.is_relative_to(ROOT) else out)


async def request_on_telegram(v: Visitor) -> None:
    service = v.run.app.profile.service("food-support")
    await v.press("طلب خدمة")
    await v.press(service.title.ar)
    await v.press("ابدأ التقديم")
    for answer in ("نورة عبدالله محمد العتيبي", "١٠٠٠٠٠٠٠٠٨"):
        await v.say(answer)
    v.emu.share_contact_from_keyboard(Demo.USER_ID, "+966551234567")
    await v.settle()
    for answer in ("١٥/٠٥/١٤٠٥", "٦", "4200"):
        await v.say(answer)
    await v.press(service.fields[6].choices[1].label.ar)
    await v.press(service.fields[7].choices[0].label.ar)
    v.emu.send_location(Demo.USER_ID, 24.7136, 46.6753)
    await v.settle()
    for name in ("id.pdf", "family.pdf", "income.pdf"):
        v.emu.send_document(Demo.USER_ID, b"%PDF-1.4 demo", name, "application/pdf")
        await v.settle()
    await v.press("تخطٍّ")
    await v.press("تخطٍّ")
    await v.press("كل شيء صحيح")
    await v.press("أُقِرّ وأرسِل")


async def main(phone_dir: Path | None) -> None:
    with tempfile.TemporaryDirectory() as data:
        run = await start_demo("127.0.0.1", 0, data_dir=Path(data))
        v = Visitor(run)
        url = run.emu.url + "/"
        try:
            await v.say("/start")
            await v.press("أوافق")
            await v.wa_says("مرحبا")
            await v.wa_choose("أوافق")
            await shoot(url, DOCS / "demo-welcome.png", 4)

            await request_on_telegram(v)
            await shoot(url, DOCS / "demo-request.png", 10)
            await v.press("بدء الدراسة", chat=Demo.STAFF_CHAT_ID, who=Demo.STAFF_USER_ID)
            await shoot(url, DOCS / "demo-staff-review.png", 10)

            # WhatsApp: a question the FAQ answers, then one it cannot, handed over to staff
            await v.wa_says("ما هي أوقات الدوام؟")
            await v.wa_choose("نعم")
            await v.wa_says("هل يمكن تأجيل موعد المقابلة لأن زوجي في المستشفى هذا الأسبوع؟")
            await v.wa_choose("مرِّر")
            card = v.staff_card("INQ-")
            await v.press("أتولّى", chat=Demo.STAFF_CHAT_ID, who=Demo.STAFF_USER_ID)
            await v.staff_says("# اتصلتُ بالمستشفى، والموعد الجديد يوم الأحد", card)
            await v.staff_says(
                "نعم، أجّلنا موعدك إلى يوم الأحد القادم الساعة ١٠ صباحًا. نسأل الله الشفاء لزوجك.",
                card,
            )
            await shoot(url + "?view=whatsapp", DOCS / "demo-whatsapp.png", 6, PHONE)
            await shoot(
                url + "?view=staff", DOCS / "demo-staff-workspace.png", 6, PHONE, CARD_ON_TOP
            )
            if phone_dir is not None:
                for view in ("beneficiary", "whatsapp", "staff"):
                    await shoot(f"{url}?view={view}", phone_dir / f"phone-{view}.png", 4, PHONE)
                await shoot(
                    f"{url}?view=whatsapp",
                    phone_dir / "phone-whatsapp-list.png",
                    4,
                    PHONE,
                    "[...document.querySelectorAll('.panel.shown .wa-list-button')].pop().click()",
                )
                await shoot(url, phone_dir / "wide.png", 4)
        finally:
            await run.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phone", type=Path, help="also write phone-sized views here")
    phone = parser.parse_args().phone
    if phone is not None:
        phone.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(phone))
