"""Validators for what beneficiaries send with the attachment button (📎): a location, a document.

``validate_location`` takes a shared location (or typed coordinates, or with ``allow_address`` a
typed address); ``validate_document`` takes an uploaded file's metadata and its first bytes. Both
raise :class:`~bot.domain.errors.Invalid` as the other validators do (see
:mod:`bot.domain.validation`, whose ``validate`` dispatches to them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain import filetypes
from bot.domain.errors import Invalid
from bot.domain.filetypes import Head
from bot.domain.identity import validate_text
from bot.domain.textutil import Num, clean_input, to_ascii_digits
from bot.i18n import N_, Text

# --------------------------------------------------------------------------------------------
# location
# --------------------------------------------------------------------------------------------

# Saudi Arabia's rough bounding box (it includes slivers of the neighbours; that is fine).
SAUDI_BBOX = (16.0, 32.3, 34.4, 55.8)  # lat min, lat max, lon min, lon max
_LATLON_RE = re.compile(r"([+-]?\d{1,3}(?:\.\d+)?)\s*[,،;\s]\s*([+-]?\d{1,3}(?:\.\d+)?)")


def _coords(raw: Any) -> tuple[float, float] | None:
    if raw is None:
        return None
    if hasattr(raw, "location") and not hasattr(raw, "latitude"):  # Telegram Venue
        raw = raw.location
    if hasattr(raw, "latitude") and hasattr(raw, "longitude"):
        lat, lon = raw.latitude, raw.longitude
    elif isinstance(raw, Mapping):
        lat, lon = raw.get("latitude"), raw.get("longitude")
    elif isinstance(raw, (tuple, list)) and len(raw) == 2:
        lat, lon = raw
    elif isinstance(raw, str):
        m = _LATLON_RE.fullmatch(to_ascii_digits(clean_input(raw)))
        if not m:
            return None
        lat, lon = m.group(1), m.group(2)
    else:
        return None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


class Address(str):
    """A typed address or district, accepted for a location where the profile allows it."""


def validate_location(raw: Any, allow_address: bool = False) -> tuple[float, float] | Address:
    """``(latitude, longitude)`` (or a Telegram ``Location``/``Venue``, a dict, or "24.7, 46.7")
    inside Saudi Arabia → ``(lat, lon)`` floats; with ``allow_address``, a typed address or
    district (a few words with letters) → ``Address``."""
    coords = _coords(raw)
    if coords is None and allow_address and isinstance(raw, str):
        text = validate_text(raw, max_length=200)
        if len(text) < 3 or not any(ch.isalpha() for ch in text):
            raise Invalid(
                Text(
                    N_(
                        "Please type your address or district in a few words (for example: Al-Naseem "
                        "district, Riyadh), or share the location with the button."
                    )
                ),
                "no_location",
            )
        return Address(text)
    if coords is None:
        raise Invalid(
            Text(
                N_(
                    "Please share the location using the attachment button (📎), then choose "
                    '"Location".'
                )
            ),
            "no_location",
        )
    lat, lon = coords
    lat_min, lat_max, lon_min, lon_max = SAUDI_BBOX
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        raise Invalid(
            Text(
                N_(
                    "This location seems to be outside Saudi Arabia. Please share a location inside the "
                    'Kingdom using the attachment button (📎), then choose "Location".'
                )
            ),
            "outside_saudi",
        )
    return lat, lon


# --------------------------------------------------------------------------------------------
# document
# --------------------------------------------------------------------------------------------

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB  # what the Bot API lets a bot download

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp")
_WORD_MIMES = (
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)


@dataclass(frozen=True)
class DocumentFile:
    kind: str  # "photo" (a photo or an image file), "pdf", "word" or "other"
    mime_type: str | None
    file_size: int | None
    file_name: str | None
    file_id: str | None = None
    file_unique_id: str | None = None


def _meta_get(meta: Any, name: str) -> Any:
    if isinstance(meta, Mapping):
        return meta.get(name)
    return getattr(meta, name, None)


def _kind_of_mime(mime: str) -> str | None:
    if not mime or mime == "application/octet-stream":
        return None  # says nothing
    if mime.startswith("image/"):
        return "photo"
    if mime == "application/pdf":
        return "pdf"
    if mime in _WORD_MIMES:
        return "word"
    return "other"


def _kind_of_name(name: str) -> str | None:
    if "." not in name:
        return None
    if name.endswith(_IMAGE_EXTENSIONS):
        return "photo"
    if name.endswith(".pdf"):
        return "pdf"
    if name.endswith((".doc", ".docx")):
        return "word"
    return "other"


def _classify(mime: str | None, name: str | None, kind: str | None) -> str:
    """What a file is, from Telegram's kind, its MIME type and its name. When the MIME type and
    the name disagree (``id.pdf`` sent as a program), it is neither: "other"."""
    if kind == "photo":
        return "photo"
    by_mime = _kind_of_mime((mime or "").lower())
    by_name = _kind_of_name((name or "").lower())
    if by_mime and by_name and by_mime != by_name:
        return "other"
    return by_mime or by_name or "other"


def _accepted_text(accept: Sequence[str]) -> Text:
    kinds = {("photo" if a == "image" else a) for a in accept}
    if kinds == {"photo"}:
        return Text(N_("a clear photo of the document"))
    if kinds == {"pdf"}:
        return Text(N_("a PDF file"))
    if kinds == {"photo", "pdf"}:
        return Text(N_("a clear photo of the document or a PDF file"))
    return Text(N_("a photo of the document or a file of an accepted type"))


def _accepts(accept: Sequence[str], kind: str, mime: str | None) -> bool:
    mime = (mime or "").lower()
    for a in accept:
        a = a.lower()
        if a in ("photo", "image") and kind == "photo":
            return True
        if a == kind:
            return True
        if "/" in a and mime and (a == mime or (a.endswith("/*") and mime.startswith(a[:-1]))):
            return True
    return False


def _check_contents(head: Head | None, kind: str, size: int | None, accepted: Text) -> None:
    """The file's first bytes against the type it claims (``head`` is None when they were not
    read: metadata alone, as in the unit tests of the rules above)."""
    if size == 0 or (head is not None and head.data == b""):
        raise Invalid(
            Text(
                N_("This file is empty. Please send {accepted} using the attachment button (📎)."),
                accepted=accepted,
            ),
            "empty_file",
        )
    if head is None:
        return
    if head.data is None:
        raise Invalid(
            Text(
                N_(
                    "I could not open this file. Please send it again using the "
                    "attachment button (📎)."
                )
            ),
            "unreadable_file",
        )
    if not filetypes.matches(kind, head.data):
        raise Invalid(
            Text(
                N_(
                    "The contents of this file do not match its type, so it cannot be "
                    "accepted. Please send {accepted} using the attachment button (📎)."
                ),
                accepted=accepted,
            ),
            "contents_mismatch",
        )


def validate_document(
    raw: Any, *, accept: Sequence[str] = ("photo", "pdf"), max_bytes: int = DEFAULT_MAX_BYTES
) -> DocumentFile:
    """An uploaded file's metadata (a dict or an object with ``mime_type``, ``file_size``,
    ``file_name``, ``kind`` "photo"|"document", optional ``file_id``) → :class:`DocumentFile`.

    ``accept`` holds kinds ("photo"/"image", "pdf", "word") or MIME types ("image/*"); an image
    sent as a file counts as a photo.
    """
    accepted = _accepted_text(accept)
    if raw is None or isinstance(raw, str):
        raise Invalid(
            Text(N_("Please send {accepted} using the attachment button (📎)."), accepted=accepted),
            "no_document",
        )
    mime = _meta_get(raw, "mime_type")
    name = _meta_get(raw, "file_name")
    size = _meta_get(raw, "file_size")
    kind_hint = _meta_get(raw, "kind")
    if kind_hint is None and mime is None and name is None and hasattr(raw, "width"):
        kind_hint = "photo"  # a Telegram PhotoSize
    kind = _classify(mime, name, kind_hint)
    if kind == "photo" and not mime:
        mime = "image/jpeg"  # Telegram re-encodes photos as JPEG
    if not _accepts(accept, kind, mime):
        raise Invalid(
            Text(
                N_(
                    "This type of file cannot be accepted here. Please send {accepted} using the "
                    "attachment button (📎)."
                ),
                accepted=accepted,
            ),
            "wrong_type",
        )
    try:
        size = int(size) if size is not None else None
    except (TypeError, ValueError):
        size = None
    if size is not None and size > max_bytes:
        raise Invalid(
            Text(
                N_(
                    "This file is {size} MB, and the limit is {limit} MB. Please send a smaller file, "
                    "for example a photo of the document taken with the phone camera."
                ),
                size=Num(math.ceil(size / MB * 10) / 10),
                limit=Num(round(max_bytes / MB, 1)),
            ),
            "too_large",
        )
    _check_contents(_meta_get(raw, "head"), kind, size, accepted)
    return DocumentFile(
        kind=kind,
        mime_type=mime or None,
        file_size=size,
        file_name=name,
        file_id=_meta_get(raw, "file_id"),
        file_unique_id=_meta_get(raw, "file_unique_id"),
    )


__all__ = [
    "DEFAULT_MAX_BYTES",
    "MB",
    "SAUDI_BBOX",
    "Address",
    "DocumentFile",
    "validate_document",
    "validate_location",
]
