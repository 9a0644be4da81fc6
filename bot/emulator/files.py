"""In-memory file storage: file_id / file_unique_id / file_path like Telegram's, and the media
objects (PhotoSize, Document, Voice, ...) that describe a stored file inside a Message."""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
import struct
from dataclasses import dataclass
from typing import Any

from .protocol import bad_request

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""getFile refuses larger files, like the cloud Bot API."""

_PREFIX = {
    "photo": "AgAC",
    "document": "BQAC",
    "voice": "AwAC",
    "audio": "CQAC",
    "video": "BAAC",
    "animation": "CgAC",
    "video_note": "DQAC",
    "sticker": "CAAC",
}
_DIRECTORY = {
    "photo": "photos",
    "document": "documents",
    "voice": "voice",
    "audio": "music",
    "video": "videos",
    "animation": "animations",
    "video_note": "video_notes",
    "sticker": "stickers",
}
_DEFAULT_MIME = {
    "photo": "image/jpeg",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "animation": "video/mp4",
    "video_note": "video/mp4",
    "sticker": "image/webp",
    "document": "application/octet-stream",
}
PHOTO_SIDES = (90, 320, 800)
"""Longest side of the thumbnails Telegram makes of a photo (the original is the last size)."""


@dataclass(slots=True)
class StoredFile:
    """One file the bot can use by ``file_id``."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_name: str | None
    mime_type: str
    file_path: str
    width: int = 0
    height: int = 0
    sizes: list[dict[str, Any]] | None = None  # the PhotoSize array, once made

    @property
    def size(self) -> int:
        return len(self.data)

    def as_file(self) -> dict[str, Any]:
        """The ``File`` object getFile returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG image; (800, 600) when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data) and data[index] == 0xFF:
            marker = data[index + 1]
            length = struct.unpack(">H", data[index + 2 : index + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return width, height
            index += 2 + length
    return 800, 600


class FileStore:
    """Files of one bot, by file_id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def add(
        self,
        data: bytes,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        variant: str = "",
    ) -> StoredFile:
        """Store bytes as a new file of ``kind`` (photo, document, voice, ...)."""
        guessed = mimetypes.guess_type(file_name)[0] if file_name else None
        mime = mime_type or guessed or _DEFAULT_MIME[kind]
        extension = (
            file_name.rpartition(".")[2]
            if file_name and "." in file_name
            else (mimetypes.guess_extension(mime) or ".bin").lstrip(".")
        )
        number = len(self._by_id)
        digest = hashlib.sha1(data + variant.encode()).hexdigest()
        stored = StoredFile(
            file_id=f"{_PREFIX[kind]}{secrets.token_urlsafe(30)}",
            file_unique_id=f"AQAD{digest[:12]}",
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime,
            file_path=f"{_DIRECTORY[kind]}/file_{number}.{extension}",
        )
        if kind in ("photo", "video", "animation", "sticker"):
            stored.width, stored.height = image_size(data) if kind != "sticker" else (512, 512)
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def require(self, file_id: str) -> StoredFile:
        """The file with this id, or 400 like Telegram for an unknown id."""
        stored = self._by_id.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def photo_sizes(self, original: StoredFile) -> list[dict[str, Any]]:
        """A PhotoSize array: scaled-down sizes, then the original (same bytes, own ids)."""
        if original.sizes is not None:
            return original.sizes
        longest = max(original.width, original.height, 1)
        sizes: list[dict[str, Any]] = []
        for side in PHOTO_SIDES:
            if side >= longest:
                break
            thumb = self.add(
                original.data, "photo", original.file_name, original.mime_type, variant=str(side)
            )
            thumb.width = max(1, original.width * side // longest)
            thumb.height = max(1, original.height * side // longest)
            sizes.append(media_object(thumb))
        sizes.append(media_object(original))
        original.sizes = sizes
        return sizes


def media_object(stored: StoredFile, kind: str | None = None, **extra: Any) -> dict[str, Any]:
    """The Bot API object describing ``stored`` as a ``kind`` (PhotoSize, Document, Voice, ...;
    by default the kind it was stored as)."""
    body: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    kind = kind or stored.kind
    if kind in ("photo", "video", "animation", "sticker"):
        body.update(width=stored.width, height=stored.height)
    if kind in ("voice", "audio", "video", "animation", "video_note"):
        body["duration"] = extra.pop("duration", 1)
    if kind == "video_note":
        body["length"] = extra.pop("length", 240)
    if kind == "sticker":
        body.update(type="regular", is_animated=False, is_video=False)
    if kind not in ("photo", "sticker", "video_note"):
        body["mime_type"] = stored.mime_type
        if stored.file_name:
            body["file_name"] = stored.file_name
    body.update({key: value for key, value in extra.items() if value is not None})
    return body
