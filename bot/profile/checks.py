"""Checks that span several fields of a profile (run after the structure is valid)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.domain.errors import Invalid
from bot.domain.validation import validate
from bot.i18n import translator
from bot.profile.schema import (
    _FIELD_OPTIONS,
    Deadlines,
    Document,
    FaqCategory,
    FaqEntry,
    FieldType,
    FormField,
    Profile,
    RequiredDocument,
    Service,
)
from bot.profile.values import DOCUMENT_SUFFIXES
from bot.profile.whatsapp_section import template_problems

Loc = tuple[str | int, ...]


def _path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(profile)"


def _duplicates(items: Iterable[Any], key: str, where: Loc) -> Iterator[tuple[Loc, str]]:
    seen: dict[Any, int] = {}
    for index, item in enumerate(items):
        if item is None:  # an item with structural problems, reported already
            continue
        value = getattr(item, key)
        if value is None:
            continue
        if value in seen:
            yield (
                (*where, index, key),
                f"duplicate {key} {str(value)!r} (also {_path((*where, seen[value]))})",
            )
        else:
            seen[value] = index


# The checks below take sequences in which an item that failed validation is None, so that one
# run of check-profile reports every problem, not only the first layer.


def _check_documents(
    documents: Sequence[Document | None], base_dir: Path | None
) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates(documents, "id", ("documents",))
    missing = _missing_folders(documents, base_dir)
    for folder, first in missing.items():
        assert base_dir is not None  # no folder is missing without one
        yield (
            ("documents", first, "file"),
            f"documents folder {base_dir / folder} not found next to the profile: "
            f"copy the {folder}/ folder too",
        )
    for index, doc in enumerate(documents):
        if doc is None:
            continue
        loc: Loc = ("documents", index)
        if doc.file and doc.url:
            yield loc, "give either 'file' or 'url', not both"
        elif not doc.file and not doc.url:
            yield loc, "give 'file' (a path beside the profile) or 'url'"
        if not doc.file:
            continue
        loc = (*loc, "file")
        relative = Path(doc.file)
        if relative.is_absolute() or ".." in relative.parts:
            yield loc, f"must be a path inside the profile's folder, got {doc.file!r}"
            continue
        if relative.suffix.lower() not in DOCUMENT_SUFFIXES:
            yield loc, f"must be a {', '.join(DOCUMENT_SUFFIXES)} file, got {doc.file!r}"
        if (
            base_dir is not None
            and relative.parts[0] not in missing
            and not (base_dir / relative).is_file()
        ):
            yield loc, f"file not found: {doc.file} (looked in {base_dir})"


def _missing_folders(documents: Sequence[Document | None], base_dir: Path | None) -> dict[str, int]:
    """The folders the documents' paths start with that do not exist beside the profile (a
    profile copied without its folder), each with the index of its first document."""
    missing: dict[str, int] = {}
    if base_dir is None:
        return missing
    for index, doc in enumerate(documents):
        if doc is None or not doc.file:
            continue
        parts = Path(doc.file).parts
        if (
            len(parts) > 1
            and ".." not in parts
            and not Path(doc.file).is_absolute()
            and not (base_dir / parts[0]).is_dir()
        ):
            missing.setdefault(parts[0], index)
    return missing


def _check_field(
    field: FormField, documents: dict[str, RequiredDocument] | None, loc: Loc
) -> Iterator[tuple[Loc, str]]:
    """``documents``: the service's documents by id, None when they could not be read."""
    given = field.model_fields_set
    for option, types in _FIELD_OPTIONS.items():
        if option in given and field.type not in types:
            key = FormField.model_fields[option].alias or option
            kinds = " or ".join(sorted(t.value for t in types))
            yield (
                (*loc, key),
                f"'{key}' only applies to fields of type {kinds}, not {field.type.value}",
            )
    if field.type is FieldType.CHOICE:
        count = len(field.choices or ())
        if count < 2:
            yield (*loc, "choices"), f"a choice field needs at least 2 choices (found {count})"
        yield from _duplicates(field.choices or (), "id", (*loc, "choices"))
    low, high = field.min_value, field.max_value
    if field.type is FieldType.INTEGER and low is not None and high is not None and low > high:
        yield (*loc, "max"), f"max ({field.max_value}) is below min ({field.min_value})"
    if field.type is FieldType.DATE and field.past_only and field.future_only:
        yield (*loc, "future_only"), "a date cannot be both past_only and future_only"
    if field.type is FieldType.DOCUMENT:
        if field.document is None:
            yield (*loc, "document"), "a document field names one of the service's documents"
        elif documents is not None and field.document not in documents:
            declared = ", ".join(documents) or "none declared"
            yield (
                (*loc, "document"),
                f"unknown document {field.document!r} (the service's documents: {declared})",
            )
        if "required" in given:
            yield (
                (*loc, "required"),
                "set 'required' on the service's document, not on the document field",
            )
    yield from _check_example(field, loc)


def _example_options(field: FormField, locale: str) -> dict[str, Any]:
    """The options the form checks an answer with (``request_answers.options_for``, without a chat)."""
    if field.type is FieldType.INTEGER:
        limits = (("min", field.min_value), ("max", field.max_value))
        return {key: value for key, value in limits if value is not None}
    if field.type is FieldType.DATE:  # not past_only/future_only: a written date ages
        return {"calendar": field.calendar.value}
    if field.type is FieldType.CHOICE:
        return {"choices": [(c.id, c.label.get(locale)) for c in field.choices or ()]}
    if field.type is FieldType.TEXT and field.max_length:
        return {"max_length": field.max_length}
    return {}


def _check_example(field: FormField, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """The example shown with a question must pass that question's own check."""
    if field.example is None or field.type is FieldType.DOCUMENT:
        return
    for locale, text in zip(("ar", "en"), field.example.texts(), strict=False):
        try:
            validate(field.type.value, text, **_example_options(field, locale))
        except Invalid as exc:
            reason = " ".join(exc.render(translator("en")).split())
            yield (
                (*loc, "example"),
                f"the example {text!r} fails the field's own check ({field.type.value}): {reason}",
            )
        except (TypeError, ValueError):  # options reported above (e.g. min above max)
            continue


def _check_services(
    services: Sequence[Service | SimpleNamespace | None],
) -> Iterator[tuple[Loc, str]]:
    """``services`` may hold partial services (SimpleNamespace with None for broken parts)."""
    yield from _duplicates(services, "id", ("services",))
    for s_index, service in enumerate(services):
        if service is None:
            continue
        where: Loc = ("services", s_index)
        documents: dict[str, RequiredDocument] | None = None
        if service.documents is not None:
            yield from _duplicates(service.documents, "id", (*where, "documents"))
            if None not in service.documents:
                documents = {d.id: d for d in service.documents}
        yield from _duplicates(service.fields, "id", (*where, "fields"))
        asked_by: dict[str, int] = {}
        for f_index, field in enumerate(service.fields):
            if field is None:
                continue
            loc = (*where, "fields", f_index)
            yield from _check_field(field, documents, loc)
            if field.type is FieldType.DOCUMENT and field.document:
                if field.document in asked_by:
                    other = _path((*where, "fields", asked_by[field.document]))
                    yield (
                        (*loc, "document"),
                        f"document {field.document!r} is already asked by {other}",
                    )
                else:
                    asked_by[field.document] = f_index


def normalize_arabic(text: str) -> str:
    """A loose form of an Arabic question for comparing: no diacritics, tatweel, hamza forms
    or punctuation, ى→ي and ة→ه, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]", "", text)
    text = re.sub("[إأآٱ]", "ا", text).replace("ى", "ي").replace("ة", "ه")
    text = text.replace("ؤ", "و").replace("ئ", "ي")
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())


def _check_faq(
    categories: Sequence[FaqCategory | None], entries: Sequence[FaqEntry | None]
) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates(categories, "id", ("faq", "categories"))
    yield from _duplicates(entries, "id", ("faq", "entries"))
    declared = [c.id for c in categories if c is not None]
    complete = None not in categories
    used: set[str] = set()
    seen: dict[str, Loc] = {}
    for e_index, entry in enumerate(entries):
        if entry is None:
            continue
        where: Loc = ("faq", "entries", e_index)
        used.add(entry.category)
        if entry.category not in declared and complete:
            close = difflib.get_close_matches(entry.category, declared, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            yield (
                (*where, "category"),
                f"unknown category {entry.category!r} "
                f"({hint}declared: {', '.join(declared) or 'none'})",
            )
        texts: list[tuple[Loc, str]] = [((*where, "question"), t) for t in entry.question.texts()]
        texts += [((*where, "phrasings", i), p) for i, p in enumerate(entry.phrasings)]
        for loc, text in texts:
            key = normalize_arabic(text)
            if key in seen:
                other = seen[key]
                if other[:3] == where:
                    yield loc, f"repeats {_path(other)} ({text!r})"
                else:
                    yield (
                        loc,
                        f"the same question as {_path(other)}: a question must lead to one answer",
                    )
            else:
                seen[key] = loc
    if None in entries or not used <= set(declared):
        return  # a broken or misnamed entry may be the one meant for an empty category
    for c_index, category in enumerate(categories):
        if category is not None and category.id not in used:
            yield ("faq", "categories", c_index), f"category {category.id!r} has no entries"


def _check_deadlines(deadlines: Deadlines) -> Iterator[tuple[Loc, str]]:
    if deadlines.remind_before_days >= deadlines.decision_days:
        yield (
            ("deadlines", "remind_before_days"),
            f"must be less than decision_days ({deadlines.decision_days})",
        )


def _section_problems(name: str, section: Any, base_dir: Path | None) -> Iterator[tuple[Loc, str]]:
    if name == "documents":
        yield from _check_documents(section, base_dir)
    elif name == "services":
        yield from _check_services(section)
    elif name == "faq":
        yield from _check_faq(section.categories, section.entries)
    elif name == "deadlines":
        yield from _check_deadlines(section)
    elif name == "survey":
        yield from _duplicates(section.questions, "id", ("survey", "questions"))
    elif name == "complaints":
        seen: set[str] = set()
        for index, kind in enumerate(section.types):
            if kind in seen:
                yield ("complaints", "types", index), f"{kind.value!r} is listed twice"
            seen.add(kind)
    elif name == "whatsapp":
        yield from template_problems(section.templates)


def _semantic_problems(profile: Profile, base_dir: Path | None) -> Iterator[tuple[Loc, str]]:
    for name in Profile.model_fields:
        yield from _section_problems(name, getattr(profile, name), base_dir)
