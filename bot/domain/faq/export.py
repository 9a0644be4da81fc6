"""``mustafeed faq-export``: learned phrasings written into the profile's YAML text.

Line-based, so the file keeps its comments and layout: under each entry (``- id: X`` in
``faq.entries``) the learned phrasings missing from its ``phrasings:`` list are appended to
that list (the list is created after the entry's ``question:`` line when it has none). Each
phrasing is written as a double-quoted YAML scalar. The caller reloads the result through the
profile loader before writing it anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

__all__ = ["add_phrasings"]

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
