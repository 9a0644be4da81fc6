"""WhatsApp's settings, rendering and parsing, without a network (issue #13)."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp import wa_render
from bot.channels.whatsapp.wa_adapter import SELF_CONTACT, parse_message, word_command
from bot.channels.whatsapp.wa_graph import GraphError, classify
from bot.channels.whatsapp.wa_identity import WHATSAPP_BASE, chat_id_for
from bot.channels.whatsapp.wa_webhook import signature, verified
from bot.engine.events import Kind
from bot.engine.keyboards import ask_for, button, cb, inline
from bot.engine.messages import Say
from bot.engine.outbox import BLOCKED, PERMANENT, RETRY, WAIT
from bot.settings import ConfigError, load_settings
from storage.crypto import Vault

SECRET = "x" * 40
BASE = {"MUSTAFEED_SECRET_KEY": SECRET}
FULL = {
    **BASE,
    "WHATSAPP_PHONE_NUMBER_ID": "1065",
    "WHATSAPP_ACCESS_TOKEN": "EAAG",
    "WHATSAPP_APP_SECRET": "s3cret",
    "WHATSAPP_VERIFY_TOKEN": "word",
}


def test_whatsapp_is_off_without_the_phone_number_id() -> None:
    settings = load_settings(BASE, read_dotenv=False)
    assert not settings.whatsapp
    assert settings.whatsapp_api_base_url == "https://graph.facebook.com/v21.0"


def test_whatsapp_on_with_every_companion() -> None:
    settings = load_settings(
        {**FULL, "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9/v21.0/"}, read_dotenv=False
    )
    assert settings.whatsapp and settings.whatsapp_phone_number_id == "1065"
    assert settings.whatsapp_api_base_url == "http://127.0.0.1:9/v21.0"


@pytest.mark.parametrize(
    "missing", ["WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"]
)
def test_a_missing_companion_is_named_in_one_line(missing: str) -> None:
    env = {k: v for k, v in FULL.items() if k != missing}
    with pytest.raises(ConfigError) as caught:
        load_settings(env, read_dotenv=False)
    assert str(caught.value).startswith(missing) and "\n" not in str(caught.value)


def test_signature_is_hmac_of_the_raw_body() -> None:
    body = b'{"entry":[]}'
    good = signature("s3cret", body)
    assert verified("s3cret", body, good)
    assert not verified("s3cret", body + b" ", good)
    assert not verified("other", body, good)
    assert not verified("s3cret", body, "")


def _say(n: int, label: str = "خيار") -> Say:
    return Say(
        WHATSAPP_BASE + 1,
        "<b>اختر</b> &amp; تابع",
        inline([[button(f"{label} {i}", cb("menu", "x", i))] for i in range(n)]),
    )


def test_three_choices_are_reply_buttons_and_html_becomes_whatsapp() -> None:
    method, payload = wa_render.render(_say(3))
    assert method == "messages" and payload["interactive"]["type"] == "button"
    assert payload["interactive"]["body"]["text"] == "*اختر* & تابع"


def test_more_choices_are_lists_of_ten_at_most() -> None:
    method, payload = wa_render.render(_say(23, "خيار طويل جدًا يتجاوز الحد المسموح"))
    parts = wa_render.parts(method, payload)
    assert len(parts) == 3
    for _, part in parts:
        rows = part["interactive"]["action"]["sections"][0]["rows"]
        assert 1 <= len(rows) <= 10
        assert all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)


def test_long_text_is_split_at_4096() -> None:
    text = ("سطر من النص " * 50 + "\n") * 20
    method, payload = wa_render.render(Say(WHATSAPP_BASE + 1, text))
    pieces = wa_render.parts(method, payload)
    assert len(pieces) > 1 and all(len(p["text"]["body"]) <= 4096 for _, p in pieces)


def test_ask_for_contact_is_a_button_that_sends_the_own_number() -> None:
    _, payload = wa_render.render(
        Say(WHATSAPP_BASE + 1, "رقم الجوال؟", ask_for("contact", "استخدم رقمي"))
    )
    assert payload["interactive"]["action"]["buttons"][0]["reply"]["id"] == SELF_CONTACT
    vault = Vault(SECRET)
    raw = {
        "update_id": 1,
        "channel": "whatsapp",
        "contact": {"wa_id": "966551234567"},
        "message": {
            "from": "966551234567",
            "id": "wamid.1",
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": SELF_CONTACT, "title": "x"},
            },
        },
    }
    event = parse_message(raw, vault)
    assert event.kind is Kind.CONTACT and event.contact.phone_number == "+966551234567"
    assert event.contact.user_id == event.user_id == chat_id_for(vault, "966551234567")


def test_words_stand_for_commands() -> None:
    assert word_command("القائمة") == "menu" and word_command(" القائمه ") == "menu"
    assert word_command("طلباتي") == "status" and word_command("إلغاء") == "cancel"
    assert word_command("مرحبا") is None


def test_a_forged_choice_is_no_action() -> None:
    raw = {
        "update_id": 1,
        "channel": "whatsapp",
        "contact": {"wa_id": "966500000001"},
        "message": {
            "from": "966500000001",
            "id": "wamid.2",
            "type": "interactive",
            "interactive": {"type": "list_reply", "list_reply": {"id": "مزور:١"}},
        },
    }
    event = parse_message(raw, Vault(SECRET))
    assert event.kind is Kind.ACTION and event.action is None


def test_sticker_is_other() -> None:
    raw = {
        "update_id": 1,
        "channel": "whatsapp",
        "contact": {"wa_id": "966500000001"},
        "message": {
            "from": "966500000001",
            "id": "wamid.3",
            "type": "sticker",
            "sticker": {"id": "s"},
        },
    }
    assert parse_message(raw, Vault(SECRET)).kind is Kind.OTHER


def test_graph_errors_are_classified() -> None:
    assert classify(GraphError(400, 131026, "x")) == BLOCKED
    assert classify(GraphError(400, 130429, "x")) == WAIT
    assert classify(GraphError(400, 131056, "x")) == WAIT
    assert classify(GraphError(503, None, "x")) == RETRY
    assert classify(GraphError(400, 100, "x")) == PERMANENT
    assert classify(OSError()) == RETRY


def test_check_profile_validates_the_whatsapp_templates(tmp_path) -> None:
    from bot import ROOT
    from bot.profile.loader import check_profile

    text = (ROOT / "profiles" / "khairat.yaml").read_text(encoding="utf-8")
    assert "mustafeed_notice" in text
    bad = text.replace("name: mustafeed_notice", "name: Mustafeed Notice").replace(
        "parameters: [association, text]", "parameters: [association, phone]"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    for folder in ("khairat",):  # documents referenced relative to the profile
        source = ROOT / "profiles" / folder
        if source.is_dir():
            (tmp_path / folder).symlink_to(source)
    problems = "\n".join(check_profile(path))
    assert "whatsapp.templates.notice.name" in problems
    assert "whatsapp.templates.notice.parameters" in problems


def test_a_profile_may_name_its_own_whatsapp_variables() -> None:
    from bot import ROOT
    from bot.app import settings_for
    from bot.profile import load_profile

    profile = load_profile(ROOT / "profiles" / "maa.yaml")
    profile = profile.model_copy(
        update={"deployment": profile.deployment.model_copy(update={"whatsapp_env_prefix": "MAA_"})}
    )
    base = load_settings(FULL, read_dotenv=False)
    env = {
        "MAA_WHATSAPP_PHONE_NUMBER_ID": "2222",
        "MAA_WHATSAPP_ACCESS_TOKEN": "t",
        "MAA_WHATSAPP_APP_SECRET": "s",
        "MAA_WHATSAPP_VERIFY_TOKEN": "v",
    }
    own = settings_for(base, profile, env)
    assert own.whatsapp_phone_number_id == "2222" and own.whatsapp_app_secret == "s"
    with pytest.raises(ConfigError, match=r"^MAA_WHATSAPP_APP_SECRET is not set"):
        settings_for(base, profile, {k: v for k, v in env.items() if "SECRET" not in k})
