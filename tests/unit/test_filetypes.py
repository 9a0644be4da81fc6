"""A file's first bytes against the type it claims (bot/domain/filetypes.py) and the refusals
validation gives for them."""

from __future__ import annotations

import pytest

from bot.domain.attachments import validate_document
from bot.domain.errors import Invalid
from bot.domain.filetypes import Head, matches, sniff

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
MIF1 = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (HEIC, "heic"),
        (MIF1, "heic"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"PK\x03\x04\x14\x00", "docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "doc"),
        (b"MZ\x90\x00", None),
        (b"\x7fELF", None),
        (MP4, None),
        (b"", None),
        (b" %PDF-1.4", None),
        (b"<html>", None),
        (b"GIF89a", None),
    ],
)
def test_sniff(head: bytes, found: str | None) -> None:
    assert sniff(head) == found


def test_matches_the_claimed_kind() -> None:
    assert matches("pdf", b"%PDF-1.4") and not matches("pdf", b"\xff\xd8\xff\xe0")
    assert (
        matches("photo", b"\xff\xd8\xff\xe0")
        and matches("photo", HEIC)
        and matches("photo", b"\x89PNG")
    )
    assert not matches("photo", b"%PDF-1.4") and not matches("photo", b"MZ")
    assert matches("word", b"PK\x03\x04") and not matches("word", b"MZ")
    assert not matches("other", b"%PDF-1.4")


def meta(head: Head | None, **kw: object) -> dict:
    return {
        "kind": "document",
        "mime_type": "application/pdf",
        "file_name": "income.pdf",
        "file_size": 100,
        "head": head,
        **kw,
    }


def test_validation_reads_the_contents() -> None:
    assert validate_document(meta(Head(b"%PDF-1.4 x"))).kind == "pdf"
    with pytest.raises(Invalid) as err:
        validate_document(meta(Head(b"MZ\x90\x00program")))
    assert err.value.code == "contents_mismatch"
    with pytest.raises(Invalid) as err:
        validate_document(meta(Head(b""), file_size=None))
    assert err.value.code == "empty_file"
    with pytest.raises(Invalid) as err:
        validate_document(meta(None, file_size=0))
    assert err.value.code == "empty_file"
    with pytest.raises(Invalid) as err:
        validate_document(meta(Head(None)))
    assert err.value.code == "unreadable_file"
    photo = {"kind": "photo", "file_size": 10, "head": Head(HEIC)}
    assert validate_document(photo).kind == "photo"
    assert validate_document(meta(None)).kind == "pdf"  # metadata alone: the rules above only
