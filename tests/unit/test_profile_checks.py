"""What check-profile tells an administrator: an example that its own field would refuse, a
staff chat id that is not a group, a profile copied without its documents folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot import ROOT
from bot.profile import ProfileError, check_profile, load_profile
from bot.settings import ConfigError, load_settings


def profile_with(tmp_path: Path, **sections: object) -> Path:
    data = {
        "association": {"id": "demo", "name": "جمعية تجريبية"},
        "channels": {"phone": "0110000000"},
        "services": [
            {
                "id": "aid",
                "title": "دعم",
                "fields": [
                    {"id": "mobile", "type": "mobile", "label": "الجوال", "example": "0501234567"},
                    {
                        "id": "count",
                        "type": "integer",
                        "label": "العدد",
                        "min": 1,
                        "max": 20,
                        "example": "4",
                    },
                    {
                        "id": "size",
                        "type": "choice",
                        "label": "الحجم",
                        "example": {"ar": "كبير", "en": "Large"},
                        "choices": [
                            {"id": "s", "label": {"ar": "صغير", "en": "Small"}},
                            {"id": "l", "label": {"ar": "كبير", "en": "Large"}},
                        ],
                    },
                    {
                        "id": "born",
                        "type": "date",
                        "label": "الميلاد",
                        "calendar": "hijri",
                        "past_only": True,
                        "example": "15/07/1400",
                    },
                ],
            }
        ],
    }
    data.update(sections)
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_examples_that_pass_their_field_are_fine(tmp_path: Path) -> None:
    assert check_profile(profile_with(tmp_path)) == []


@pytest.mark.parametrize(
    ("index", "example", "words"),
    [
        (0, "12345", "mobile"),
        (1, "40", "integer"),  # above max: 20
        (2, {"ar": "متوسط", "en": "Large"}, "choice"),  # not one of the choices
        (3, "1400/99/99", "date"),
    ],
)
def test_an_example_its_own_field_refuses_is_reported(
    tmp_path: Path, index: int, example: object, words: str
) -> None:
    path = profile_with(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["services"][0]["fields"][index]["example"] = example
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = check_profile(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"services[0].fields[{index}].example: the example ")
    assert f"fails the field's own check ({words})" in problems[0]


def test_bundled_examples_pass_their_fields() -> None:
    for path in sorted((ROOT / "profiles").glob("*.yaml")):
        assert check_profile(path) == [], path


def test_a_positive_staff_chat_id_is_refused_in_one_line(tmp_path: Path) -> None:
    problems = check_profile(profile_with(tmp_path, deployment={"staff_chat_id": 123456789}))
    assert problems == [
        "deployment.staff_chat_id: 123456789 is not a group: a Telegram group's chat id is negative "
        "(e.g. -1001234567890; a positive id is a person): copy it with its minus sign"
    ]
    assert check_profile(profile_with(tmp_path, deployment={"staff_chat_id": -1001234567890})) == []
    with pytest.raises(ConfigError) as refused:
        load_settings(
            {"MUSTAFEED_DATA_DIR": str(tmp_path), "STAFF_CHAT_ID": "1001234567890"},
            read_dotenv=False,
        )
    message = str(refused.value)
    assert "\n" not in message and message.startswith(
        "STAFF_CHAT_ID is malformed: 1001234567890 is not a group"
    )
    assert "negative" in message


def test_a_profile_copied_without_its_folder_names_the_folder(tmp_path: Path) -> None:
    shutil.copy(ROOT / "profiles" / "khairat.yaml", tmp_path / "khairat.yaml")
    problems = check_profile(tmp_path / "khairat.yaml")
    assert problems == [
        f"documents[0].file: documents folder {tmp_path / 'khairat'} not found next to the profile: "
        "copy the khairat/ folder too"
    ]
    with pytest.raises(ProfileError, match="copy the khairat/ folder too"):
        load_profile(tmp_path / "khairat.yaml")
    shutil.copytree(ROOT / "profiles" / "khairat", tmp_path / "khairat")
    assert check_profile(tmp_path / "khairat.yaml") == []


def test_permissions_name_the_lifecycle_moves_and_known_roles() -> None:
    """Issue 12: the profile's ``permissions`` section covers every staff move of the lifecycle
    tables (no more, no fewer) and accepts only the three roles."""
    import pydantic

    from bot.domain.case_rules import ANY_STAFF
    from bot.domain.lifecycle import REQUEST_RULES, TICKET_RULES
    from bot.profile.schema import Permissions

    staff_moves = {
        r.action
        for table in (REQUEST_RULES, *TICKET_RULES.values())
        for r in table.rules
        if r.roles & ANY_STAFF
    }
    assert set(Permissions().as_map()) == staff_moves
    with pytest.raises(pydantic.ValidationError):
        Permissions(approve=("director",))
    with pytest.raises(pydantic.ValidationError):
        Permissions(approve=())
    with pytest.raises(pydantic.ValidationError):
        Permissions.model_validate({"approve": ["staff"], "sign_cheque": ["supervisor"]})


def test_allow_address_only_on_a_location_field() -> None:
    from bot.profile.checks import _check_field
    from bot.profile.schema import FormField

    field = FormField.model_validate(
        {"id": "x", "type": "text", "label": {"ar": "س", "en": "x"}, "allow_address": True}
    )
    assert any("allow_address" in msg for _loc, msg in _check_field(field, {}, ("f",)))
