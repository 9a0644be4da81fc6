"""What a file really is, from its first bytes — not from the name or type its sender gave.

A program named ``income.pdf`` and declared ``application/pdf`` passes every check on the
metadata; its first bytes (``MZ``) give it away. The dispatcher reads the first bytes of a file
a person sends (``bot.channels.telegram.file_head``, before the update's transaction) and the
validation compares them with the type the file claims (``bot.domain.validation``).
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_BYTES = 4096
"""How much of a file is read to recognise it (the signatures below need far fewer)."""

HEIF_BRANDS = frozenset({b"heic", b"heix", b"mif1", b"msf1"})
IMAGES = frozenset({"jpeg", "png", "heic", "webp"})


@dataclass(frozen=True)
class Head:
    """The first bytes of a file a person sent; ``data`` is None when they could not be read
    (Telegram unreachable, the file gone)."""

    data: bytes | None


def sniff(head: bytes) -> str | None:
    """``"pdf"``, ``"jpeg"``, ``"png"``, ``"heic"``, ``"webp"``, ``"docx"`` (a ZIP container),
    ``"doc"`` (an OLE container), or None for anything else."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG"):
        return "png"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    return None


def matches(kind: str, head: bytes) -> bool:
    """Whether the first bytes are those of the kind the file claims to be (the kinds of
    ``bot.domain.validation``: "photo" — any image we accept —, "pdf", "word")."""
    found = sniff(head)
    if kind == "photo":
        return found in IMAGES
    if kind == "pdf":
        return found == "pdf"
    if kind == "word":
        return found in ("docx", "doc")
    return False
