"""Message text as Telegram sees it: HTML parse mode, UTF-16 entity offsets and trimming.

``parse_html`` follows the rules of Telegram's server (tdlib's ``parse_html``): only the
documented tags are accepted, tags must nest properly, ``&lt; &gt; &amp; &quot;`` and numeric
character references are decoded while any other ``&`` stays literal, and errors carry the
server's wording, e.g. ``Unsupported start tag "br" at byte offset 8``. Entity offsets and
lengths are counted in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .protocol import ApiError, bad_request

Entity = dict[str, Any]

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")
_TAG_NAME = re.compile(r"[^\s>]*")  # tdlib reads a tag name up to a space or ">"
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9-]*")
_SPACES = re.compile(r"\s*")
_UNQUOTED_VALUE = re.compile(r"[^\s>]*")
_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,4}));")
_BOT_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Plain text (tags stripped, references decoded) and its entities."""

    text: str
    entities: list[Entity]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def _decode_reference(text: str, index: int) -> tuple[str, int] | None:
    """The character an ``&...;`` reference at ``index`` stands for, and the reference length."""
    match = _REFERENCE.match(text, index)
    if match is None:
        return None
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        char = _NAMED_REFERENCES.get(name)
        return None if char is None else (char, match.end() - index)
    code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end() - index


def _unescape(value: str) -> str:
    parts: list[str] = []
    index = 0
    while (amp := value.find("&", index)) >= 0:
        parts.append(value[index:amp])
        decoded = _decode_reference(value, amp)
        if decoded is None:
            parts.append("&")
            index = amp + 1
        else:
            parts.append(decoded[0])
            index = amp + decoded[1]
    parts.append(value[index:])
    return "".join(parts)


@dataclass(slots=True)
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the output
    attributes: dict[str, str]
    language: str | None = None  # set on a <pre> by a nested <code class="language-...">


class _HtmlParser:
    def __init__(self, source: str):
        self.source = source
        self.index = 0
        self.parts: list[str] = []
        self.position = 0  # UTF-16 length of the output so far
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def parse(self) -> FormattedText:
        source = self.source
        while self.index < len(source):
            special = _SPECIAL.search(source, self.index)
            stop = special.start() if special else len(source)
            if stop > self.index:
                self._emit(source[self.index : stop])
                self.index = stop
            elif source[stop] == "&":
                decoded = _decode_reference(source, stop)
                self._emit("&" if decoded is None else decoded[0])
                self.index += 1 if decoded is None else decoded[1]
            elif source.startswith("</", stop):
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            raise _parse_error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        return FormattedText("".join(self.parts), self.entities)

    def _emit(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.position += utf16_len(chunk)

    def _skip_spaces(self) -> None:
        self.index = _SPACES.match(self.source, self.index).end()  # type: ignore[union-attr]

    def _read_name(self, pattern: re.Pattern[str] = _TAG_NAME) -> str:
        match = pattern.match(self.source, self.index)
        assert match is not None  # the pattern matches the empty string
        self.index = match.end()
        return match.group().lower()

    def _start_tag(self) -> None:
        source, begin = self.source, self.index
        self.index += 1
        name = self._read_name()
        if name not in _TAG_ENTITY:
            raise _parse_error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, begin)}'
            )
        attributes: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self.index >= len(source):
                raise _parse_error(
                    f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
                )
            if source[self.index] == ">":
                self.index += 1
                break
            attribute_at = self.index
            attribute = self._read_name(_ATTRIBUTE_NAME)
            if not attribute:
                raise _parse_error(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{_byte_offset(source, attribute_at)}"
                )
            self._skip_spaces()
            if self.index < len(source) and source[self.index] == "=":
                self.index += 1
                self._skip_spaces()
                attributes[attribute] = self._read_value(begin)
            elif attribute == "expandable":
                attributes[attribute] = ""
            else:
                raise _parse_error(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {_byte_offset(source, attribute_at)}"
                )
        self._check_attributes(name, attributes, begin)
        self.stack.append(_OpenTag(name, self.position, attributes))

    def _read_value(self, tag_begin: int) -> str:
        source = self.source
        if self.index >= len(source):
            raise _parse_error(
                f"Unclosed start tag at byte offset {_byte_offset(source, tag_begin)}"
            )
        quote = source[self.index]
        if quote in "'\"":
            end = source.find(quote, self.index + 1)
            if end < 0:
                raise _parse_error(
                    f"Unclosed start tag at byte offset {_byte_offset(source, tag_begin)}"
                )
            value = source[self.index + 1 : end]
            self.index = end + 1
        else:
            match = _UNQUOTED_VALUE.match(source, self.index)
            assert match is not None
            value = match.group()
            self.index = match.end()
        return _unescape(value)

    def _check_attributes(self, name: str, attributes: dict[str, str], begin: int) -> None:
        offset = _byte_offset(self.source, begin)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and not attributes.get("emoji-id"):
            raise _parse_error(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )

    def _end_tag(self) -> None:
        source, begin = self.source, self.index
        self.index += 2
        name = self._read_name()
        self._skip_spaces()
        if self.index >= len(source) or source[self.index] != ">":
            raise _parse_error(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
        self.index += 1
        if not self.stack:
            raise _parse_error(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
        tag = self.stack.pop()
        if tag.name != name:
            raise _parse_error(
                f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        self._close(tag)

    def _close(self, tag: _OpenTag) -> None:
        length = self.position - tag.start
        language = tag.attributes.get("class", "")
        parent = self.stack[-1] if self.stack else None
        if (
            tag.name == "code"
            and parent is not None
            and parent.name == "pre"
            and language.startswith("language-")
            and parent.start == tag.start
        ):
            parent.language = language.removeprefix("language-")
            return
        if length == 0:
            return
        entity: Entity = {"type": _TAG_ENTITY[tag.name], "offset": tag.start, "length": length}
        if tag.name == "a":
            href = tag.attributes.get("href", "")
            if not href:
                return
            entity["url"] = href
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attributes:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attributes["emoji-id"]
        self.entities.append(entity)


def _trim(formatted: FormattedText) -> FormattedText:
    """Strip surrounding whitespace like Telegram does, clipping the entities to the rest."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return formatted
    head = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    entities: list[Entity] = []
    for entity in formatted.entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, size)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def parse_html(source: str) -> FormattedText:
    """Parse a ``parse_mode=HTML`` text; raise ``ApiError`` 400 "can't parse entities"."""
    formatted = _HtmlParser(source).parse()
    formatted.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return _trim(formatted)


def format_text(source: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """The text and entities Telegram stores for a message sent with these parameters.

    HTML is parsed and validated; explicit ``entities`` are kept as given; Markdown modes are
    accepted but their markup is kept verbatim (not parsed).
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(source)
    if mode not in ("", "markdown", "markdownv2"):
        raise bad_request(f"unsupported parse_mode: {parse_mode}")
    if entities is not None and not (
        isinstance(entities, list) and all(isinstance(item, dict) for item in entities)
    ):
        raise bad_request("can't parse entities JSON object")
    return _trim(FormattedText(source, list(entities or [])))


def command_entities(text: str) -> list[Entity]:
    """``bot_command`` entities for ``/command`` and ``/command@bot`` words, as Telegram adds."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _BOT_COMMAND.finditer(text)
    ]
