"""Screenshots of the demo page for docs/: the Arabic welcome and menu, and a submitted request
beside its staff card. Drives the real demo (emulator + bot) as a person would, then asks
headless Chromium for a picture.

    .venv/bin/python scripts/demo_screenshots.py      # writes docs/demo-*.png
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator.browser import Chromium  # noqa: E402
from bot.emulator.demo_page import Demo  # noqa: E402
from bot.web.demo import start_demo  # noqa: E402

READY = "document.querySelectorAll('.msg').length >= {count}"


async def shoot(url: str, out: Path, messages: int) -> None:
    """The page after its live view has drawn ``messages`` bubbles (both panels)."""
    async with Chromium(1400, 1000) as browser:
        await browser.open(url, READY.format(count=messages))
        await asyncio.sleep(0.3)  # let the scroll to the newest message finish
        await browser.screenshot(out)
    print("wrote", out.relative_to(ROOT))


def count(emu) -> int:
    return len(emu.history(Demo.USER_ID)) + len(emu.history(Demo.STAFF_CHAT_ID))


async def settle(emu, app) -> None:
    await emu.wait_until(lambda: emu.updates.pending_count == 0, 10)
    await app.idle(10)


def find(emu, chat: int, label: str) -> tuple[int, str]:
    for message in reversed(emu.messages(chat)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if label in b["text"]:
                    return message["message_id"], b["callback_data"]
    raise LookupError(label)


async def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        emu, app = await start_demo("127.0.0.1", 0, data_dir=Path(data))
        user = Demo.USER_ID
        try:

            async def say(text: str) -> None:
                emu.send_text(user, text)
                await settle(emu, app)

            async def press(label: str, chat: int = user, who: int = user) -> None:
                message_id, data_ = find(emu, chat, label)
                emu.press(who, message_id, data_, chat_id=None if chat == user else chat)
                await settle(emu, app)

            await say("/start")
            await press("أوافق")
            await shoot(emu.url + "/", ROOT / "docs" / "demo-welcome.png", count(emu))

            profile = app.profile
            service = profile.service("food-support")
            await press("طلب خدمة")
            await press(service.title.ar)
            await press("ابدأ التقديم")
            for answer in ("نورة عبدالله محمد العتيبي", "١٠٠٠٠٠٠٠٠٨"):
                await say(answer)
            emu.share_contact_from_keyboard(user, "+966551234567")
            await settle(emu, app)
            for answer in ("١٥/٠٥/١٤٠٥", "٦", "4200"):
                await say(answer)
            await press(service.fields[6].choices[1].label.ar)
            await press(service.fields[7].choices[0].label.ar)
            emu.send_location(user, 24.7136, 46.6753)
            await settle(emu, app)
            for name in ("id.pdf", "family.pdf", "income.pdf"):
                emu.send_document(user, b"%PDF-1.4 demo", name, "application/pdf")
                await settle(emu, app)
            await press("تخطٍّ")
            await press("تخطٍّ")
            await press("كل شيء صحيح")
            await press("أُقِرّ وأرسِل")
            await shoot(emu.url + "/", ROOT / "docs" / "demo-request.png", count(emu))
            await press("بدء الدراسة", chat=Demo.STAFF_CHAT_ID, who=Demo.STAFF_USER_ID)
            await shoot(emu.url + "/", ROOT / "docs" / "demo-staff-review.png", count(emu))
        finally:
            await app.stop()
            await emu.stop()


if __name__ == "__main__":
    asyncio.run(main())
