"""The Bot API's JSON envelope: ``{"ok": true, "result": ...}`` or an error worded like the
real Telegram server, and the one function that writes JSON HTTP responses."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class ApiError(Exception):
    """A failed Bot API call: HTTP status == ``error_code``, plus Telegram's ``description``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    """400 ``Bad Request: <reason>``."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """403 ``Forbidden: <reason>``."""
    return ApiError(403, f"Forbidden: {reason}")


def json_response(payload: Any, status: int = 200) -> web.Response:
    """A UTF-8 JSON response (all JSON the emulator serves goes through here)."""
    return web.Response(
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
    )


def ok_response(result: Any) -> web.Response:
    return json_response({"ok": True, "result": result})


def error_response(error: ApiError) -> web.Response:
    return json_response(error.payload(), status=error.code)
