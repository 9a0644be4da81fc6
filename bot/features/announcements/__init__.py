"""Announcements: a supervisor's message to many beneficiaries (issue #16, section 3)."""

from __future__ import annotations

from bot.engine.router import Router


def register(router: Router) -> None:
    from bot.features.announcements import compose, delivery, notices

    compose.register(router)
    notices.register(router)
    router.job(delivery.resume_pumps)  # after a restart, the announcements under way go on
