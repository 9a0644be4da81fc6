"""``mustafeed faq-export``: learned phrasings written into the profile's YAML text.

Line-based, so the file keeps its comments and layout: under each entry (``- id: X`` in
``faq.entries``) the learned phrasings missing from its ``phrasings:`` list are appended to
that list (the list is created after the entry's ``question:`` line when it has none). Each
phrasing is written as a double-quoted YAML scalar. The caller reloads the result through the
profile loader before writing it anywhere. Entries drafted by staff and approved
(``faq_drafts``) are appended at the end of ``faq.entries`` by :func:`add_entries`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["NewEntry", "add_entries", "add_phrasings"]

_ID_RE = re.compile(r"^(\s*)-\s+id:\s*['\"]?([\w-]+)['\"]?\s*$")
_KEY_RE = re.compile(r"^(\s*)([A-Za-z_]+):")
_ITEM_RE = re.compile(r"^(\s*)-\s+(.*)$")


def _scalar(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def add_phrasings(
    yaml_text: str, learned: Mapping[str, Sequence[str]], existing: Mapping[str, Sequence[str]]
) -> tuple[str, int]:
    """``yaml_text`` with every phrasing of ``learned`` (per entry id) that ``existing`` (the
    entry's question texts and phrasings, per entry id) lacks; and how many were added.
    Entries the YAML does not have in block style are left alone."""
    lines = yaml_text.split("\n")
    out: list[str] = []
    added = 0
    i = 0
    in_entries = False
    while i < len(lines):
        line = lines[i]
        if re.match(r"^\s*entries:\s*$", line):
            in_entries = True
        m = _ID_RE.match(line) if in_entries else None
        todo = []
        if m:
            entry_id = m.group(2)
            have = set(existing.get(entry_id, ()))
            todo = [t for t in dict.fromkeys(learned.get(entry_id, ())) if t not in have]
        if not todo:
            out.append(line)
            i += 1
            continue
        assert m is not None  # the entry's "- id:" line matched above
        key_indent = len(m.group(1)) + 2
        # the entry's lines: until a line indented at most as much as "- id" (not blank)
        j = i + 1
        while j < len(lines) and (
            not lines[j].strip()
            or lines[j].lstrip().startswith("#")
            or len(lines[j]) - len(lines[j].lstrip()) >= key_indent
        ):
            j += 1
        block = lines[i:j]
        while block and not block[-1].strip():
            j -= 1
            block.pop()
        p = next(
            (
                k
                for k, b in enumerate(block)
                if (km := _KEY_RE.match(b))
                and km.group(2) == "phrasings"
                and len(km.group(1)) == key_indent
            ),
            None,
        )
        if p is not None:
            q = p + 1
            item_indent = key_indent + 2
            while (
                q < len(block)
                and (im := _ITEM_RE.match(block[q]))
                and len(im.group(1)) >= key_indent
            ):
                item_indent = len(im.group(1))
                q += 1
            new = [" " * item_indent + "- " + _scalar(t) for t in todo]
            block[q:q] = new
        else:
            qk = next(
                (
                    k
                    for k, b in enumerate(block)
                    if (km := _KEY_RE.match(b)) and km.group(2) == "question"
                ),
                0,
            )
            new = [
                " " * key_indent + "phrasings:",
                *(" " * (key_indent + 2) + "- " + _scalar(t) for t in todo),
            ]
            block[qk + 1 : qk + 1] = new
        added += len(todo)
        out.extend(block)
        i = j
    return "\n".join(out), added


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry drafted by staff, as written into the profile."""

    id: str
    category: str
    question: str
    answer: str
    phrasings: Sequence[str] = ()


def add_entries(yaml_text: str, entries: Sequence[NewEntry], existing: set[str]) -> tuple[str, int]:
    """``yaml_text`` with every entry of ``entries`` whose id is not in ``existing`` appended
    at the end of the ``entries:`` list under ``faq:``, in the layout of the entries above it;
    and how many were added. Nothing is added when the list is not in block style."""
    todo = [e for e in entries if e.id not in existing]
    lines = yaml_text.split("\n")
    in_faq = False
    start = None
    for k, line in enumerate(lines):
        if re.match(r"^faq:\s*$", line):
            in_faq = True
        elif in_faq and re.match(r"^\S", line) and not line.startswith("#"):
            in_faq = False
        if in_faq and re.match(r"^\s+entries:\s*$", line):
            start = k
            break
    if not todo or start is None:
        return yaml_text, 0
    base = len(lines[start]) - len(lines[start].lstrip())
    item = next((m for m in (_ID_RE.match(b) for b in lines[start + 1 :]) if m is not None), None)
    if item is None:
        return yaml_text, 0
    indent = len(item.group(1))
    end = start + 1
    for k in range(start + 1, len(lines)):
        b = lines[k]
        if b.strip() and not b.lstrip().startswith("#") and len(b) - len(b.lstrip()) <= base:
            break
        if b.strip():
            end = k + 1
    pad, key = " " * indent, " " * (indent + 2)
    new: list[str] = []
    for e in todo:
        new += [
            f"{pad}- id: {e.id}",
            f"{key}category: {e.category}",
            f"{key}question: {{ar: {_scalar(e.question)}}}",
        ]
        if e.phrasings:
            new.append(f"{key}phrasings:")
            new += [f"{key}  - {_scalar(p)}" for p in e.phrasings]
        new.append(f"{key}answer: {{ar: {_scalar(e.answer)}}}")
    lines[end:end] = new
    return "\n".join(lines), len(todo)
