"""The engine, the domain and the features are channel-neutral: only the Telegram adapter (and
the emulator of Telegram) import python-telegram-bot; the engine imports no feature; every
button namespace is declared once and claimed by one feature."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.engine.namespaces import NS

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM_IMPORT = re.compile(r"^\s*(import|from) telegram", re.MULTILINE)
ALLOWED = ("bot/channels/telegram/", "bot/emulator/")


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_only_the_telegram_adapter_imports_telegram() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources("bot", "storage")
        if TELEGRAM_IMPORT.search(p.read_text(encoding="utf-8"))
        and not str(p.relative_to(ROOT)).startswith(ALLOWED)
    ]
    assert offenders == []


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", _sources("bot/engine"), ids=lambda p: p.name)
def test_the_engine_imports_no_feature(path: Path) -> None:
    assert not [m for m in _imports(path) if m.startswith("bot.features")]


def test_each_namespace_is_claimed_by_one_feature() -> None:
    from bot.app import build_router

    router = build_router()
    owners: dict[str, set[str]] = {}
    for table in (router.callbacks, router.staff_callbacks):
        for key, handler in table.items():
            namespace = key[0] if isinstance(key, tuple) else key
            module = handler.__module__
            if namespace == NS.MENU:  # each menu entry is its feature's; the namespace no one's
                continue
            owners.setdefault(namespace, set()).add(module.rsplit(".", 1)[0])
    assert {ns: mods for ns, mods in owners.items() if len(mods) > 1} == {}
    claimed = set(owners) | {NS.MENU.value}
    assert claimed <= {ns.value for ns in NS}
    assert len({ns.value for ns in NS}) == len(NS)


def test_a_button_cannot_be_claimed_twice() -> None:
    from bot.engine.router import Router

    router = Router()

    async def handler(ctx, data) -> None:
        return None

    router.callback(NS.FAQ, "show")(handler)
    router.callback(NS.FAQ)(handler)
    with pytest.raises(ValueError):
        router.callback(NS.FAQ, "show")(handler)
    with pytest.raises(TypeError):
        router.callback("faq")(handler)  # type: ignore[arg-type]


def test_features_register_their_periodic_jobs() -> None:
    from bot.app import build_router

    jobs = [f"{job.__module__}.{job.__name__}" for job in build_router().jobs]
    assert jobs == [
        "bot.features.workspace.waiting.resume_clocks",
        "bot.features.workspace.waiting.document_reminders",
        "bot.features.requests.request_jobs.request_deadlines",
        "bot.features.inquiries.ticket_jobs.overdue_tickets",
        "bot.features.surveys.survey_flow.send_reminders",
        "bot.features.announcements.notices.ask_once",
        "bot.features.announcements.broadcast.resume_pumps",
        "bot.features.appointments.appointments.remind",
        "bot.features.workspace.work.remind_assignees",
    ]


def test_the_apology_offers_the_home_menu() -> None:
    from bot.app import build_router
    from bot.features.home.menus import menu_keyboard_short

    assert build_router().apology_keyboard is menu_keyboard_short
