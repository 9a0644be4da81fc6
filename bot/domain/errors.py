"""The one error a person's input can raise: ``Invalid``, carrying the message to send back.

Its own module so that the parsers (``validation``, ``attachments``, ``dateparse``) can share it without importing
each other.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import Text


class Invalid(Exception):
    """A user-facing validation failure; ``text`` is the message to send back."""

    def __init__(self, text: Text, code: str = "invalid") -> None:
        super().__init__(code, text.msgid)
        self.text = text
        self.code = code

    def render(self, tr: Any) -> str:
        return self.text.render(tr)

    def __reduce__(self):  # picklable despite the custom __init__
        return (self.__class__, (self.text, self.code))

    def __str__(self) -> str:
        return f"{self.code}: {self.text.msgid}"
