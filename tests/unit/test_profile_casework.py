"""check-profile on the staff workspace's sections: ready replies and appointments."""

from __future__ import annotations

from pathlib import Path

from bot.profile import check_profile
from tests.unit.test_profile_checks import profile_with

REPLY = {"id": "thanks", "title": "شكرًا", "text": "شكرًا لتواصلك.", "kinds": ["inquiry"]}


def test_ready_replies_are_checked(tmp_path: Path) -> None:
    assert check_profile(profile_with(tmp_path, canned_replies=[REPLY])) == []
    twice = check_profile(profile_with(tmp_path, canned_replies=[REPLY, REPLY]))
    assert len(twice) == 1 and "canned_replies" in twice[0] and "used twice" in twice[0]
    wrong_kind = check_profile(
        profile_with(tmp_path, canned_replies=[{**REPLY, "kinds": ["loans"]}])
    )
    assert wrong_kind and "canned_replies" in wrong_kind[0]
    no_text = check_profile(profile_with(tmp_path, canned_replies=[{"id": "x", "title": "عنوان"}]))
    assert no_text and "text" in no_text[0]


def test_appointment_times_and_criteria(tmp_path: Path) -> None:
    fine = {"times": ["08:30", "16:00"], "criteria": [{"id": "need", "title": "ثبوت الحاجة"}]}
    assert check_profile(profile_with(tmp_path, appointments=fine)) == []
    late = check_profile(profile_with(tmp_path, appointments={"times": ["25:00"]}))
    assert late and "appointments.times" in late[0]
