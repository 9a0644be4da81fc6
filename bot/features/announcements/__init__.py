"""Announcements: a supervisor's message to many beneficiaries (issue #16, section 3)."""

from __future__ import annotations

from bot.engine.router import Router


def register(router: Router) -> None:
    from bot.features.announcements import broadcast, compose, notices

    compose.register(router)
    notices.register(router)
    router.job(broadcast.resume_pumps)  # after a restart, the announcements under way go on
