"""Reading a profile: YAML with unique keys, pydantic errors as readable problems, the
partial checks that let one run of check-profile report every problem, and the CLI."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from types import NoneType, SimpleNamespace, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from bot.profile.checks import Loc, _path, _section_problems, _semantic_problems
from bot.profile.schema import (
    Document,
    FaqCategory,
    FaqEntry,
    FormField,
    Profile,
    RequiredDocument,
    Service,
)
from bot.profile.values import Slug, _show, default_profile_path


class ProfileError(ValueError):
    """A profile that cannot be used; ``problems`` holds one ``path: reason`` line each."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{self.path}: {count} problem{'s' if count != 1 else ''} in the profile"
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            options = [a for a in get_args(tp) if a is not NoneType]
            if len(options) != 1:
                return tp
            tp = options[0]
        else:
            return tp


def _keys_at(loc: Loc) -> list[str] | None:
    """The keys allowed in the mapping at ``loc`` (for 'did you mean')."""
    tp: Any = Profile
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(part, int):
            if get_origin(tp) not in (tuple, list):
                return None
            tp = get_args(tp)[0]
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next(
                (f for n, f in tp.model_fields.items() if (f.alias or n) == part),
                None,
            )
            if field is None:
                return None
            tp = field.annotation
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return None


def _pydantic_problem(error: ErrorDetails) -> tuple[Loc, str]:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = _show(error.get("input"))
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return loc, str(ctx["error"])
    if kind == "missing":
        return loc, "required"
    if kind == "extra_forbidden":
        allowed = _keys_at(loc[:-1]) or []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
        return loc, f"unknown key ({hint})"
    if kind.startswith("int_") or kind == "int_type":
        return loc, f"expected a whole number, got {got}"
    if kind.startswith("bool_"):
        return loc, f"expected true or false, got {got}"
    if kind == "string_type":
        return loc, f"expected a text, got {got}"
    if kind in ("list_type", "tuple_type"):
        return loc, f"expected a list ('- item' lines), got {got}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return loc, f"expected a mapping of 'key: value' lines, got {got}"
    if kind == "greater_than_equal":
        return loc, f"must be at least {ctx.get('ge')}, got {got}"
    if kind == "less_than_equal":
        return loc, f"must be at most {ctx.get('le')}, got {got}"
    if kind == "too_short":
        return loc, f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "string_too_long":
        return loc, f"too long: at most {ctx.get('max_length')} characters"
    return loc, f"{error['msg']} (got {got})"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML keeps the last)."""


def _construct_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> tuple[Any, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [f"(file): not found: {path}"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"(file): cannot read {path}: {exc}"]
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        return None, [f"{where}: {reason}" + (f" ({context})" if context else "")]
    if not isinstance(data, dict):
        return None, [
            f"(profile): expected a mapping with association, channels, … got {_show(data)}"
        ]
    return data, []


def _validate(data: dict[str, Any], base_dir: Path | None) -> tuple[Profile | None, list[str]]:
    context = {"defer_checks": True, "base_dir": base_dir}
    problems: list[tuple[Loc, str]] = []
    profile: Profile | None = None
    try:
        profile = Profile.model_validate(data, context=context)
    except ValidationError as exc:
        problems += [_pydantic_problem(e) for e in exc.errors(include_url=False)]
    if profile is not None:
        problems += list(_semantic_problems(profile, base_dir))
    else:
        # Check what is valid on its own too, so that one run shows every problem.
        for name in Profile.model_fields:
            if name in data:
                section = _partial_section(name, data[name], context)
                if section is not None:
                    problems += list(_section_problems(name, section, base_dir))
    order = {name: i for i, name in enumerate(Profile.model_fields)}
    problems.sort(key=lambda p: order.get(str(p[0][0]), -1) if p[0] else -1)
    return (profile if not problems else None), [f"{_path(loc)}: {msg}" for loc, msg in problems]


def _valid_or_none(adapter: TypeAdapter[Any], value: Any, context: dict[str, Any]) -> Any:
    try:
        return adapter.validate_python(value, context=context)
    except ValidationError:
        return None


def _partial_service(raw: Any, context: dict[str, Any]) -> Any:
    """A valid Service, or its parts that are valid (to check its fields), or None."""
    service = _valid_or_none(TypeAdapter(Service), raw, context)
    if service is not None or not isinstance(raw, dict):
        return service

    def items(key: str, model: type[BaseModel]) -> list[Any] | None:
        value = raw.get(key, [])
        if not isinstance(value, list):
            return None
        return [_valid_or_none(TypeAdapter(model), v, context) for v in value]

    fields = items("fields", FormField)
    return SimpleNamespace(
        id=_valid_or_none(TypeAdapter(Slug), raw.get("id"), context),
        documents=items("documents", RequiredDocument),
        fields=fields if fields is not None else [],
    )


def _partial_section(name: str, raw: Any, context: dict[str, Any]) -> Any:
    """A section with its invalid list items replaced by None (None if nothing can be saved)."""
    annotation = Profile.model_fields[name].rebuild_annotation()
    whole = _valid_or_none(TypeAdapter(annotation), raw, context)
    if whole is not None:
        return whole
    if name == "documents" and isinstance(raw, list):
        return [_valid_or_none(TypeAdapter(Document), value, context) for value in raw]
    if name == "services" and isinstance(raw, list):
        return [_partial_service(value, context) for value in raw]
    if name == "faq" and isinstance(raw, dict):
        parts = {}
        for key, model in (("categories", FaqCategory), ("entries", FaqEntry)):
            value = raw.get(key, [])
            if not isinstance(value, list):
                return None
            parts[key] = [_valid_or_none(TypeAdapter(model), v, context) for v in value]
        return SimpleNamespace(**parts)
    return None


def check_profile(path: Path | str) -> list[str]:
    """Every problem of the profile at ``path`` as ``field.path: reason`` lines; ``[]`` if valid."""
    path = Path(path)
    data, problems = _read_yaml(path)
    if problems:
        return problems
    return _validate(data, path.resolve().parent)[1]


def load_profile(path: Path | str | None = None) -> Profile:
    """Read and validate a profile (the bundled example when ``path`` is ``None``)."""
    path = Path(path) if path is not None else default_profile_path()
    data, problems = _read_yaml(path)
    if not problems:
        profile, problems = _validate(data, path.resolve().parent)
    if problems:
        raise ProfileError(path, problems)
    assert profile is not None
    profile._source = path.resolve()
    return profile


def main(argv: list[str] | None = None) -> int:
    """``mustafeed check-profile PATH`` (also ``python -m bot.profile PATH``)."""
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or [default_profile_path()]
    status = 0
    for path in paths:
        problems = check_profile(path)
        if problems:
            status = 1
            print(f"{path}: {len(problems)} problem(s)")
            for line in problems:
                print(f"  {line}")
        else:
            profile = load_profile(path)
            print(
                f"{path}: OK — {profile.association.name.get('ar')} ({profile.id}): "
                f"{len(profile.services)} services, {len(profile.faq.entries)} FAQ entries "
                f"in {len(profile.faq.categories)} categories, {len(profile.documents)} documents"
            )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
