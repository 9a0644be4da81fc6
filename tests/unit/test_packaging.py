"""The wheel carries what the bot reads at run time (issue #14, item 15): the text catalogs, the
example profiles with their documents, the emulator's page and the migrations; installed from it
(no checkout on the path) the bot finds them inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from bot import ROOT


def build_wheel(tmp_path: Path) -> Path:
    """``pip wheel .`` on a copy of the tracked files (the checkout itself stays untouched)."""
    source = tmp_path / "source"
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    return next((tmp_path / "dist").glob("mustafeed-*.whl"))


def test_the_wheel_carries_the_data_and_the_package_finds_it(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "bot/bundled/locales/ar/LC_MESSAGES/messages.po",
        "bot/bundled/locales/en/LC_MESSAGES/messages.po",
        "bot/bundled/profiles/khairat.yaml",
        "bot/bundled/profiles/maa.yaml",
        "bot/bundled/profiles/khairat/bylaws.md",
        "bot/emulator/static/index.html",
        "storage/migrations/env.py",
        "storage/migrations/versions/0001_initial_schema.py",
    ):
        assert needed in names, needed

    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import bot, bot.i18n as i, bot.profile as p\n"
        "print(bot.ROOT)\n"
        "print(i.translator('ar').gettext('Main menu'))\n"
        "profile = p.load_profile(p.default_profile_path())\n"
        "print(profile.association.id, len(profile.documents))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    root, menu, profile = run.stdout.splitlines()
    assert Path(root) == installed / "bot" / "bundled"
    assert menu != "Main menu"  # the Arabic catalog was found
    association, documents = profile.split()
    assert association == "khairat" and int(documents) > 0
