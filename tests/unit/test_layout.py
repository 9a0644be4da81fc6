"""The shape of the source tree: every module findable by its name, none too long to read.

A module name that appears twice (``bot/engine/menus.py`` beside ``bot/features/home/menus.py``)
makes tracebacks, logs and ``grep`` ambiguous; a module of more than a few hundred lines usually
holds two things that deserve their own names.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "storage")
MAX_LINES = 600


def _modules() -> list[Path]:
    """Every Python module of the packages, the generated migrations left out."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.parts[:2] == ("storage", "migrations"):
                continue
            found.append(relative)
    return found


def test_the_packages_are_found() -> None:
    modules = _modules()
    assert Path("bot/app.py") in modules
    assert Path("storage/models.py") in modules
    assert not [m for m in modules if m.parts[:2] == ("storage", "migrations")]


def test_no_two_modules_share_a_name() -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for module in _modules():
        if module.stem not in ("__init__", "__main__"):
            by_name[module.stem].append(str(module))
    shared = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert shared == {}, f"modules sharing a name: {shared}"


def test_no_module_is_longer_than_the_limit() -> None:
    lengths = {
        str(module): len((ROOT / module).read_text(encoding="utf-8").splitlines())
        for module in _modules()
    }
    too_long = {path: n for path, n in sorted(lengths.items()) if n > MAX_LINES}
    assert too_long == {}, f"modules over {MAX_LINES} lines: {too_long}"
