"""Keep the text catalogs in step with the code.

    python scripts/i18n.py update   # extract msgids from bot/, update locales/*/messages.po,
                                    # fill Arabic from locales/incoming/*.ar.json, keep the rest
    python scripts/i18n.py check    # exit 1 when a catalog is stale or an Arabic text is missing

English msgids are the keys; the English catalog copies them (msgstr = msgid), the Arabic
catalog must translate every one. Plural forms: Arabic has six, in the order of the
Plural-Forms rule babel writes in the header: [0] zero, [1] one, [2] two, [3] 3–10,
[4] 100–102 (n % 100 in 0..2), [5] 11–99. In locales/incoming/*.ar.json a plural's value is
that list of six.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2), "N_plural": (1, 2)}
METHOD_MAP = [("**.py", "python")]


def extract() -> Catalog:
    template = Catalog(project="mustafeed", charset="utf-8")
    for package in ("bot", "storage"):
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / package, METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            template.add(
                message,
                locations=[(f"{package}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def incoming_arabic() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((LOCALES / "incoming").glob("*.ar.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def po_path(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if path.is_file():
        with path.open("rb") as fh:
            return read_po(fh, locale=locale)
    return Catalog(locale=locale, project="mustafeed", charset="utf-8")


def update() -> None:
    template = extract()
    extra = incoming_arabic()
    for locale in ("ar", "en"):
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if locale == "en":
                message.string = message.id
            else:
                key = message.id if isinstance(message.id, str) else message.id[0]
                if key in extra:  # locales/incoming is authoritative for the texts it holds
                    value = extra[key]
                    message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(
                fh, catalog, width=0, omit_header=False, sort_output=False, include_lineno=False
            )
    print("catalogs updated")


def problems() -> list[str]:
    found: list[str] = []
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    for locale in ("ar", "en"):
        catalog = load(locale)
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        for msgid in sorted(wanted - have):
            found.append(
                f"{locale}: not in the catalog (run scripts/i18n.py update): {msgid[:70]!r}"
            )
        for msgid in sorted(have - wanted):
            found.append(f"{locale}: no longer used by the code: {msgid[:70]!r}")
        if locale == "ar":
            for m in catalog:
                if not m.id:
                    continue
                strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
                if not all(strings):
                    found.append(f"ar: missing Arabic text for {str(m.id)[:70]!r}")
    return found


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update()
    elif sys.argv[1:] == ["check"]:
        issues = problems()
        print("\n".join(issues) or "catalogs are complete and current")
        sys.exit(1 if issues else 0)
    else:
        print(__doc__)
        sys.exit(2)
