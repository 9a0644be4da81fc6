"""Several associations in one process: a second association that names only its token must
not silently share the first one's staff group (and so its supervisors and cases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import ROOT
from bot.cli import _apps_settings
from bot.settings import ConfigError, Settings


def profile_file(tmp_path: Path, name: str, deployment: str) -> str:
    path = tmp_path / f"{name}.yaml"
    for extra in (ROOT / "profiles").iterdir():  # the documents the profile points at
        if extra.is_dir() and not (tmp_path / extra.name).exists():
            (tmp_path / extra.name).symlink_to(extra)
    path.write_text(
        (ROOT / "profiles" / f"{name}.yaml").read_text("utf-8") + "\ndeployment:\n" + deployment,
        "utf-8",
    )
    return str(path)


def test_two_associations_may_not_share_a_staff_chat_by_default(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("MAA_TOKEN", "2:B")
    settings = Settings(token="1:A", staff_chat_id=-100123, supervisor_ids=frozenset({7}))
    khairat = profile_file(tmp_path, "khairat", "  share_staff_chat: false\n")
    maa = profile_file(tmp_path, "maa", "  token_env: MAA_TOKEN\n")
    with pytest.raises(ConfigError) as err:
        _apps_settings(settings, [khairat, maa])
    message = str(err.value)
    assert "\n" not in message and "-100123" in message and "deployment.staff_chat_id" in message
    assert "share_staff_chat: true" in message and "khairat" in message and "maa" in message

    # its own staff group: fine
    maa = profile_file(tmp_path, "maa", "  token_env: MAA_TOKEN\n  staff_chat_id: -100999\n")
    pairs = _apps_settings(settings, [khairat, maa])
    assert [s.staff_chat_id for s, _ in pairs] == [-100123, -100999]

    # sharing on purpose, said in both profiles: fine
    khairat = profile_file(tmp_path, "khairat", "  share_staff_chat: true\n")
    maa = profile_file(tmp_path, "maa", "  token_env: MAA_TOKEN\n  share_staff_chat: true\n")
    pairs = _apps_settings(settings, [khairat, maa])
    assert {s.staff_chat_id for s, _ in pairs} == {-100123}
