"""Bot API call parameters from any of the encodings Telegram accepts.

Query string, JSON body, urlencoded form and multipart form all end up in one ``Params``.
Form values are strings (python-telegram-bot sends numbers as ``"123"`` and objects such as
``reply_markup`` as JSON text), so the typed accessors convert on access, exactly like the
server does by knowing each parameter's type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.web_request import FileField

from .protocol import bad_request

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent inside a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """The parameters of one call with typed, Telegram-worded accessors."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None):
        self.values = values
        self.uploads = uploads or {}
        self._decoded: dict[str, Any] = {}

    def logged(self) -> dict[str, Any]:
        """Values for the call log: decoded where a method read them, uploads summarized."""
        summary = {
            name: f"<upload {up.filename or name} {len(up.data)} bytes>"
            for name, up in self.uploads.items()
        }
        return {**self.values, **summary, **self._decoded}

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def _keep(self, name: str, value: V) -> V:
        self._decoded[name] = value
        return value

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            raise bad_request(f'field "{name}" must be of type String')
        return self._keep(name, value if isinstance(value, str) else json.dumps(value))

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return self._keep(name, int(value))
        try:
            return self._keep(name, int(value))
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return self._keep(name, float(value))
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return self._keep(name, value.lower() in ("true", "1"))
        return self._keep(name, bool(value))

    def obj(self, name: str) -> Any:
        """A JSON object or array parameter (decoded from text when sent in a form)."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return self._keep(name, value)

    def required_int(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer or an ``@username``."""
        value = self.values.get(name)
        if value in (None, ""):
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            return self._keep(name, str(value))
        try:
            return self._keep(name, int(value))
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def file(self, name: str) -> Upload | str | None:
        """An InputFile: an upload (under this field or via ``attach://``) or a file_id/URL."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.values.get(name)
        return self.attached(value) if isinstance(value, str) else None

    def attached(self, value: str) -> Upload | str:
        """Resolve ``attach://<field>`` to its upload; other strings are file_ids or URLs."""
        if value.startswith("attach://"):
            upload = self.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return upload
        return value


async def read_params(request: web.Request) -> Params:
    """Collect a request's parameters from its query string and body."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON request body must be an object")
            values.update(body)
        else:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, FileField):
                    uploads[name] = Upload(value.file.read(), value.filename, value.content_type)
                else:
                    values[name] = value
    return Params(values, uploads)
