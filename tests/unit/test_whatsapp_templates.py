"""WhatsApp's templates per kind, the profile's checks of them, the list button's label and the
rate limits' back-off, without a network (issue #13, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.whatsapp import wa_render, wa_templates
from bot.channels.whatsapp.wa_adapter import parse_message, word_action
from bot.channels.whatsapp.wa_graph import GraphError, WhatsAppChannel
from bot.channels.whatsapp.wa_identity import WHATSAPP_BASE
from bot.engine.events import Kind
from bot.engine.keyboards import button, cb, inline
from bot.engine.messages import Notice, Say
from bot.profile.whatsapp_section import (
    WhatsAppTemplate,
    WhatsAppTemplates,
    template_problems,
)
from bot.settings import load_settings
from storage.crypto import Vault

CHAT = WHATSAPP_BASE + 7
NOTICE = WhatsAppTemplate(
    name="n", parameters=("association", "text"), body="رسالة من {{1}}: {{2}} — أرسل «القائمة»."
)
STATUS = WhatsAppTemplate(
    name="s",
    parameters=("association", "case", "status"),
    body="من {{1}}: حالة {{2}} الآن «{{3}}».",
)
ANNOUNCE = WhatsAppTemplate(
    name="a", parameters=("association", "text"), body="📢 {{1}}: {{2}}", buttons=("🔕 إيقاف",)
)


def _call(message: Say) -> dict:
    method, payload = wa_render.render(message)
    return wa_render.parts(method, payload)[0][1]


def _build(templates: WhatsAppTemplates, message: Say) -> dict | None:
    payload = dict(_call(message))
    notice = payload.pop(wa_render.NOTICE_KEY, None)
    choices = payload.pop(wa_render.CHOICES_KEY, None)
    return wa_templates.build(templates, payload, notice, "جمعية خيرات", choices)


def test_each_kind_takes_its_own_template_and_the_rest_the_notice() -> None:
    templates = WhatsAppTemplates(notice=NOTICE, status=STATUS)
    notice = Notice(
        "status", reference="REQ-1448-0042", case="طلبك رقم REQ-1448-0042", status="مقبول"
    )
    built = _build(templates, Say(CHAT, "<b>تم قبول</b> طلبك", notice=notice))
    assert built is not None and built["template"]["name"] == "s"
    values = [p["text"] for p in built["template"]["components"][0]["parameters"]]
    assert values == ["جمعية خيرات", "طلبك رقم REQ-1448-0042", "مقبول"]
    reminder = _build(templates, Say(CHAT, "نذكّرك\nبموعدك", notice=Notice("reminder")))
    assert reminder is not None and reminder["template"]["name"] == "n"  # no reminder template
    values = [p["text"] for p in reminder["template"]["components"][0]["parameters"]]
    assert values == ["جمعية خيرات", "نذكّرك · بموعدك"]  # on one line
    plain = _build(templates, Say(CHAT, "ردّ فريق الجمعية"))  # a staff reply: no kind
    assert plain is not None and plain["template"]["name"] == "n"
    assert _build(WhatsAppTemplates(), Say(CHAT, "x", notice=notice)) is None


def test_the_text_is_cut_to_what_the_body_leaves_and_empty_values_are_a_dash() -> None:
    templates = WhatsAppTemplates(notice=NOTICE)
    long = "كلمة " * 400  # 2,000 characters
    built = _build(templates, Say(CHAT, long))
    assert built is not None
    association, text = [p["text"] for p in built["template"]["components"][0]["parameters"]]
    assert text.endswith("…") and " " not in text[-2:]
    filled = NOTICE.body.replace("{{1}}", association).replace("{{2}}", text)
    assert 1000 <= len(filled) <= 1024
    status = WhatsAppTemplates(notice=NOTICE, status=STATUS)
    built = _build(status, Say(CHAT, "x", notice=Notice("status")))
    assert built is not None
    assert [p["text"] for p in built["template"]["components"][0]["parameters"]][1:] == ["—", "—"]
    assert wa_templates.one_line("a\t b      c\n\n d") == "a b c · d"


def test_a_quick_reply_answers_as_the_message_button_of_the_same_title() -> None:
    stop = inline([[button("🔕 إيقاف", cb("ntc", "off", "a"))]])
    message = Say(CHAT, "📢 إعلان", stop, notice=Notice("announcement", text="<b>موعد</b> التوزيع"))
    built = _build(WhatsAppTemplates(notice=NOTICE, announcement=ANNOUNCE), message)
    assert built is not None
    body, quick = built["template"]["components"]
    assert [p["text"] for p in body["parameters"]] == ["جمعية خيرات", "*موعد* التوزيع"]
    assert quick == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "ntc:off:a"}],
    }


def test_check_profile_explains_the_fallback_and_the_parameters() -> None:
    only_status = WhatsAppTemplates(status=STATUS)
    found = dict(template_problems(only_status))
    why = found[("whatsapp", "templates", "notice")]
    assert "fallback" in why and "status" in why
    wrong = WhatsAppTemplates(
        notice=WhatsAppTemplate(name="n", parameters=("association", "status")),
        announcement=WhatsAppTemplate(name="a", parameters=("reference",)),
        survey=WhatsAppTemplate(name="v", parameters=("text",), body="{{1}} و {{2}}"),
    )
    found = dict(template_problems(wrong))
    assert "only what all carry" in found[("whatsapp", "templates", "notice", "parameters", 1)]
    assert (
        "announcement messages carry only association, text"
        in found[("whatsapp", "templates", "announcement", "parameters", 0)]
    )
    assert "expected {{1}}" in found[("whatsapp", "templates", "survey", "body")]
    assert template_problems(WhatsAppTemplates(notice=NOTICE, status=STATUS)) == []


def test_check_profile_reports_the_section_in_a_profile_file(tmp_path: Path) -> None:
    from bot import ROOT
    from bot.profile.loader import check_profile

    text = (ROOT / "profiles" / "khairat.yaml").read_text(encoding="utf-8")
    bad = text.replace("parameters: [association, case, status]", "parameters: [association, date]")
    assert bad != text
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    (tmp_path / "khairat").symlink_to(ROOT / "profiles" / "khairat")
    problems = "\n".join(check_profile(path))
    assert "whatsapp.templates.status.parameters[1]: 'date': status messages carry only" in problems
    assert "whatsapp.templates.status.body" in problems  # three placeholders, two parameters


def test_the_list_button_comes_from_the_catalogs() -> None:
    many = inline([[button(f"خيار {i}", cb("menu", "x", i))] for i in range(5)])
    arabic = _call(Say(CHAT, "اختر من القائمة", many))
    assert arabic["interactive"]["action"]["button"] == "الخيارات"
    english = _call(Say(CHAT, "Choose one", many))
    assert english["interactive"]["action"]["button"] == "Options"


def test_a_file_with_buttons_goes_then_its_buttons_and_later_parts_are_marked() -> None:
    from bot.engine.messages import SendFile

    stop = inline([[button("🔕 إيقاف", cb("ntc", "off", "a"))]])
    method, payload = wa_render.render(
        SendFile(
            CHAT,
            "photo",
            file_id="wa:m1",
            caption="إعلان",
            markup=stop,
            notice=Notice("announcement"),
        )
    )
    calls = wa_render.parts(method, payload)
    assert [c[1]["type"] for c in calls] == ["image", "interactive"]
    assert calls[0][1][wa_render.NOTICE_KEY]["kind"] == "announcement"
    assert calls[1][1][wa_render.PART_KEY] == 1 and wa_render.NOTICE_KEY not in calls[1][1]


def test_the_words_stand_for_the_stop_button() -> None:
    assert word_action("🔕 إيقاف الإعلانات") == "ntc:off"
    assert word_action("ايقاف الاعلانات") == "ntc:off"
    assert word_action("إيقاف") is None
    raw = {
        "update_id": 1,
        "channel": "whatsapp",
        "contact": {"wa_id": "966500000001"},
        "message": {
            "from": "966500000001",
            "id": "wamid.9",
            "timestamp": "1764460800",
            "type": "text",
            "text": {"body": "إيقاف الإعلانات"},
        },
    }
    event = parse_message(raw, Vault("x" * 40))
    assert event.kind is Kind.ACTION and event.action is not None
    assert (event.action.namespace, event.action.action) == ("ntc", "off")
    assert event.sent_at == 1764460800.0


@pytest.mark.parametrize(("code", "first", "second"), [(130429, 2.0, 4.0), (131056, 6.0, 12.0)])
def test_rate_limits_back_off_doubling(code: int, first: float, second: float) -> None:
    settings = load_settings(
        {
            "MUSTAFEED_SECRET_KEY": "x" * 40,
            "WHATSAPP_PHONE_NUMBER_ID": "1",
            "WHATSAPP_ACCESS_TOKEN": "t",
            "WHATSAPP_APP_SECRET": "s",
            "WHATSAPP_VERIFY_TOKEN": "v",
        },
        read_dotenv=False,
    )
    channel = WhatsAppChannel(settings, Vault("x" * 40), None, "khairat")  # type: ignore[arg-type]
    pauses = []
    for _ in range(2):
        exc = GraphError(400, code, "limit")
        channel._limited(exc, CHAT)
        pauses.append(channel.retry_seconds(exc))
    assert pauses == [first, second]
    assert (channel._hold_until > 0) == (code == 130429)  # the whole number waits, not one chat
