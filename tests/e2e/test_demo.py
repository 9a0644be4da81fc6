"""The demo as a visitor uses it: ``start_demo`` (the emulator, its WhatsApp side, the bot with
WhatsApp on) and its page — the WhatsApp phone, the staff workspace, the tabs on a phone."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.emulator.browser import Chromium
from bot.emulator.demo_page import Demo
from bot.web.demo import DemoRun, start_demo
from tests.flows import fill_form, open_service, submit
from tests.harness import Person

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed"
)


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[DemoRun]:
    demo = await start_demo("127.0.0.1", 0, data_dir=tmp_path)
    try:
        yield demo
    finally:
        await demo.stop()


async def settle(run: DemoRun) -> None:
    for _ in range(3):
        await run.emu.wait_until(lambda: run.emu.updates.pending_count == 0, 10)
        await run.app.idle(10)
        await run.wa.drain()


async def state(http: aiohttp.ClientSession) -> dict[str, dict[str, Any]]:
    async with http.get("/demo/api/state", params={"since": "-1"}) as response:
        assert response.status == 200
        return {panel["key"]: panel for panel in (await response.json())["panels"]}


def choice(panel: dict[str, Any], title: str) -> tuple[str, str]:
    """(message id, choice id) of the newest reply button or list row titled ``title``."""
    for message in reversed(panel["messages"]):
        rows = [r for s in (message.get("list") or {}).get("sections", []) for r in s["rows"]]
        for offered in (message.get("buttons") or []) + rows:
            if title in offered["title"]:
                return message["id"], offered["id"]
    raise AssertionError(f"no choice {title!r} on the WhatsApp phone")


async def post(http: aiohttp.ClientSession, path: str, **body: Any) -> aiohttp.ClientResponse:
    async with http.post(path, json=body) as response:
        await response.read()
        return response


async def test_whatsapp_phone_and_staff_workspace_through_the_page_api(run: DemoRun) -> None:
    async with aiohttp.ClientSession(run.emu.url) as http:
        async with http.get("/") as page:
            html = await page.text()
        assert 'id="tabs"' in html and "acting-choices" in html and "sheet-body" in html
        panels = await state(http)
        assert list(panels) == ["beneficiary", "staff", "whatsapp"]
        assert panels["whatsapp"]["kind"] == "whatsapp"
        assert panels["whatsapp"]["title"] == run.app.profile.association.name.ar
        assert [(m["name"], m["role"]) for m in panels["staff"]["members"]] == [
            ("خالد الزهراني", "مشرف"),
            ("فهد الدوسري", "موظف"),
        ]

        # a first «مرحبا» on WhatsApp: consent offered as a list, then the menu as a list
        assert (await post(http, "/demo/api/send", panel="whatsapp", text="مرحبا")).status == 200
        await settle(run)
        panels = await state(http)
        assert panels["whatsapp"]["messages"][0] == {
            **panels["whatsapp"]["messages"][0],
            "out": True,
        }
        message_id, consent = choice(panels["whatsapp"], "أوافق")
        forged = await post(
            http, "/demo/api/press", panel="whatsapp", message_id=message_id, data="x"
        )
        assert forged.status == 400
        await post(http, "/demo/api/press", panel="whatsapp", message_id=message_id, data=consent)
        await settle(run)
        menu = (await state(http))["whatsapp"]["messages"][-1]
        rows = [row["title"] for row in menu["list"]["sections"][0]["rows"]]
        assert any("طلب خدمة" in title for title in rows) and menu["list"]["button"]

        # a question nobody answered, handed over: its card in the staff group
        question = "هل يمكن تأجيل موعد المقابلة لأن زوجي في المستشفى هذا الأسبوع؟"
        await post(http, "/demo/api/send", panel="whatsapp", text=question)
        await settle(run)
        message_id, hand_over = choice((await state(http))["whatsapp"], "مرِّر")
        await post(http, "/demo/api/press", panel="whatsapp", message_id=message_id, data=hand_over)
        await settle(run)
        staff = (await state(http))["staff"]
        card = next(
            m for m in reversed(staff["messages"]) if m["inline_keyboard"] and "INQ-" in m["text"]
        )

        # someone outside the group cannot act through the page
        stranger = await post(
            http, "/demo/api/send", panel="staff", text="تم", reply_to=card["id"], **{"as": 9}
        )
        assert stranger.status == 400

        # a note (never sent) and a reply (sent) typed by the colleague, replying to the card
        before = len(run.wa.world.messages("966551234567"))
        for text in ("# اتصلتُ بالمستشفى", "نعم، أجّلنا موعدك إلى يوم الأحد."):
            await post(
                http,
                "/demo/api/send",
                panel="staff",
                text=text,
                reply_to=card["id"],
                **{"as": Demo.COLLEAGUE_ID},
            )
            await settle(run)
        sent = [m for m in run.wa.world.messages("966551234567")[before:] if m["type"] == "text"]
        assert len(sent) == 1 and "أجّلنا موعدك" in sent[0]["text"]["body"]
        assert "المستشفى" not in sent[0]["text"]["body"]
        panels = await state(http)
        staff_texts = [
            m for m in panels["staff"]["messages"] if m["sender_id"] == Demo.COLLEAGUE_ID
        ]
        assert [m["text"] for m in staff_texts][-1] == "نعم، أجّلنا موعدك إلى يوم الأحد."
        assert "أجّلنا موعدك" in panels["whatsapp"]["messages"][-1]["text"]

        # /queue typed in the staff group lists the open inquiry
        await post(http, "/demo/api/send", panel="staff", text="/queue")
        await settle(run)
        assert "INQ-" in (await state(http))["staff"]["messages"][-1]["text"]

        # a file from the WhatsApp phone is served back to the page, only as its own type
        form = aiohttp.FormData()
        form.add_field("panel", "whatsapp")
        form.add_field(
            "file", b"<script>alert(1)</script>", filename="x.html", content_type="text/html"
        )
        async with http.post("/demo/api/upload", data=form) as uploaded:
            assert uploaded.status == 200
        mine = (await state(http))["whatsapp"]["messages"]
        url = next(m["media"]["url"] for m in reversed(mine) if m.get("media"))
        async with http.get(url) as media:
            assert media.headers["Content-Type"] == "application/octet-stream"
            assert media.headers["Content-Disposition"] == "attachment"
        await settle(run)


async def wait_for(browser: Chromium, expression: str, what: str, timeout: float = 20.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := await browser.evaluate(expression)):
        if loop.time() > deadline:
            raise AssertionError(f"not seen on the page: {what}")
        await asyncio.sleep(0.1)
    return value


TYPE_AND_SEND = """((text) => {{
  const panel = document.querySelector('.panel.shown');
  panel.querySelector('.text-input').value = text;
  panel.querySelector('.composer').requestSubmit();
  return true;
}})({text!r})"""


@needs_chromium
async def test_a_visitor_on_a_phone_starts_on_whatsapp_and_answers_from_the_staff_group(
    run: DemoRun,
) -> None:
    async with Chromium(390, 844) as browser:
        await browser.open(run.emu.url + "/", "document.querySelectorAll('.tab').length === 3")
        layout = await browser.evaluate(
            "({mode: document.body.dataset.mode,"
            " shown: [...document.querySelectorAll('.panel.shown')].map(p => p.dataset.panel),"
            " width: document.documentElement.scrollWidth})"
        )
        assert layout == {"mode": "narrow", "shown": ["beneficiary"], "width": 390}

        # WhatsApp: type «مرحبا», open the list, pick «أوافق», send: the menu arrives as a list
        await browser.evaluate("document.querySelector('.tab[data-tab=whatsapp]').click()")
        await browser.evaluate(TYPE_AND_SEND.format(text="مرحبا"))
        await wait_for(browser, "!!document.querySelector('.panel.shown .wa-list-button')", "list")
        await browser.evaluate("document.querySelector('.panel.shown .wa-list-button').click()")
        rows = await browser.evaluate(
            "[...document.querySelectorAll('.panel.shown .sheet-row-title')].map(r => r.textContent)"
        )
        assert any("أوافق" in row for row in rows), rows
        await browser.evaluate(
            "[...document.querySelectorAll('.panel.shown .sheet-row')]"
            ".find(r => r.textContent.includes('أوافق')).click();"
            "document.querySelector('.panel.shown .sheet-send').click()"
        )
        await wait_for(
            browser,
            "document.querySelectorAll('.panel.shown .wa-list-button').length >= 2",
            "the menu as a list",
        )
        await browser.evaluate(
            "[...document.querySelectorAll('.panel.shown .wa-list-button')].pop().click()"
        )
        menu = await browser.evaluate(
            "[...document.querySelectorAll('.panel.shown .sheet-row-title')].map(r => r.textContent)"
        )
        assert any("طلب خدمة" in row for row in menu), menu
        await browser.evaluate("document.querySelector('.panel.shown .sheet-close').click()")

        # a question the FAQ answers: three reply buttons under the answer, pressed like WhatsApp's
        await browser.evaluate(TYPE_AND_SEND.format(text="ما هي أوقات الدوام؟"))
        buttons = await wait_for(
            browser,
            "(() => { const last = [...document.querySelectorAll('.panel.shown .msg.in')].pop();"
            " const b = [...last.querySelectorAll('.wa-buttons button')].map(n => n.textContent);"
            " return b.length ? b : null; })()",
            "the answer's reply buttons",
        )
        assert len(buttons) == 3 and any("نعم" in b for b in buttons), buttons
        await browser.evaluate(
            "[...document.querySelectorAll('.panel.shown .msg.in')].pop()"
            ".querySelector('.wa-buttons button').click()"
        )
        await wait_for(
            browser,
            "[...document.querySelectorAll('.panel.shown .msg.in')]"
            ".some(m => m.textContent.includes('يسعدنا أننا أفدناك'))",
            "the thanks after «نعم»",
        )

        # a question handed over to staff; the staff tab shows a badge for the new card
        question = "هل يمكن تأجيل موعد المقابلة لأن زوجي في المستشفى هذا الأسبوع؟"
        await browser.evaluate(TYPE_AND_SEND.format(text=question))
        await wait_for(
            browser,
            "[...document.querySelectorAll('.panel.shown .wa-list-button')].length >= 3",
            "the offer to hand the question over",
        )
        await browser.evaluate(
            "[...document.querySelectorAll('.panel.shown .wa-list-button')].pop().click();"
            "[...document.querySelectorAll('.panel.shown .sheet-row')]"
            ".find(r => r.textContent.includes('مرِّر')).click();"
            "document.querySelector('.panel.shown .sheet-send').click()"
        )
        await wait_for(
            browser,
            "document.querySelector('.tab[data-tab=staff] .badge').textContent !== ''",
            "the staff tab's badge",
        )

        # the staff member replies to the card on the page: the WhatsApp phone gets it
        await browser.evaluate("document.querySelector('.tab[data-tab=staff]').click()")
        await browser.evaluate(
            "[...document.querySelectorAll('.panel.shown .msg')]"
            ".filter(m => m.querySelector('.inline-kb') && m.textContent.includes('INQ-'))"
            ".pop().querySelector('.reply-btn').click()"
        )
        hint = await browser.evaluate("document.querySelector('.panel.shown .reply-hint').hidden")
        assert hint is False
        await browser.evaluate(TYPE_AND_SEND.format(text="نعم، أجّلنا موعدك إلى يوم الأحد."))
        await wait_for(
            browser,
            "[...document.querySelectorAll('#panel-whatsapp .msg.in')]"
            ".some(m => m.textContent.includes('أجّلنا موعدك'))",
            "the staff reply on the WhatsApp phone",
        )
        await settle(run)
    texts = [
        m["text"]["body"] for m in run.wa.world.messages("966551234567") if m["type"] == "text"
    ]
    assert any("أجّلنا موعدك" in text for text in texts)


PRESS_ON_CARD = """((label) => {{
  const card = [...document.querySelectorAll('#panel-staff .msg')]
    .filter(m => m.textContent.includes('REQ-') && m.querySelector('.inline-kb')).pop();
  [...card.querySelectorAll('.inline-kb button')].find(b => b.textContent.includes(label)).click();
  return true;
}})({label!r})"""


@needs_chromium
async def test_on_the_page_a_plain_staff_member_is_refused_a_decision_the_supervisor_takes(
    run: DemoRun,
) -> None:
    """The demo's two members: the colleague («موظف») pressing «قبول» on a request's card sees
    the refusal and the beneficiary hears nothing; the supervisor's press decides."""
    person = Person(run.emu, run.app, Demo.USER_ID)
    await person.say("/start")
    await person.press("أوافق")
    await open_service(person, run.app.profile)
    await fill_form(person, run.app.profile)
    await submit(person)
    async with Chromium(1400, 900) as browser:
        await browser.open(
            run.emu.url + "/", "document.querySelectorAll('.panel.shown').length === 3"
        )
        assert await browser.evaluate("document.getElementById('tabs').hidden") is True
        await wait_for(browser, "!!document.querySelector('#panel-staff .inline-kb')", "the card")
        await browser.evaluate(PRESS_ON_CARD.format(label="بدء الدراسة"))
        await wait_for(
            browser,
            "[...document.querySelectorAll('#panel-staff .msg')].some(m =>"
            " m.textContent.includes('الحالة: قيد الدراسة') && m.textContent.includes('✅ قبول'))",
            "the card under review",
        )
        await settle(run)
        told = len(run.emu.messages(Demo.USER_ID))
        await browser.evaluate(
            "document.querySelector('#panel-staff .acting-choice[data-member=\"2003\"]').click()"
        )
        await browser.evaluate(PRESS_ON_CARD.format(label="✅ قبول"))
        refusal = await wait_for(
            browser,
            "[...document.querySelectorAll('#panel-staff .toast, #panel-staff .alert-backdrop')]"
            ".filter(n => !n.hidden).map(n => n.textContent).find(t => t.includes('دورك'))",
            "the refusal shown to the colleague",
        )
        assert "لا يتيح" in refusal
        await settle(run)
        assert len(run.emu.messages(Demo.USER_ID)) == told
        await browser.evaluate(
            "document.querySelector('#panel-staff .acting-choice[data-member=\"2002\"]').click()"
        )
        await browser.evaluate(PRESS_ON_CARD.format(label="✅ قبول"))
        await wait_for(
            browser,
            "[...document.querySelectorAll('#panel-beneficiary .msg.in')]"
            ".some(m => m.textContent.includes('يسعدنا إبلاغك بقبول طلبك'))",
            "the decision on the beneficiary's phone",
        )
        await settle(run)


async def test_the_demo_started_again_in_the_same_folder_answers_again(tmp_path: Path) -> None:
    """The emulator's ids start at 1 on every run: a database kept from the previous run would
    take the new /start and «مرحبا» for redeliveries and drop them."""
    for _ in range(2):
        demo = await start_demo("127.0.0.1", 0, data_dir=tmp_path)
        try:
            demo.emu.send_text(Demo.USER_ID, "/start")
            assert demo.emu.demo is not None and demo.emu.demo.whatsapp is not None
            await demo.emu.demo.whatsapp.say("مرحبا")
            await settle(demo)
            assert demo.emu.messages(Demo.USER_ID)
            assert demo.wa.world.messages(demo.emu.demo.whatsapp.wa_id)
        finally:
            await demo.stop()
