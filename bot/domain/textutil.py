"""Small text helpers for an Arabic-first bot: digits, invisible characters, bidi, HTML, masking.

Everything here is pure and locale-agnostic except :class:`LocaleText` / :class:`Num`, which are
``Text`` values that render differently per reader (``Num(30)`` is «٣٠» in Arabic, "30" in English).
"""

from __future__ import annotations

import html
import re
import unicodedata
from decimal import Decimal
from typing import Any

from bot.i18n import Text, normalize_locale

# --------------------------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------------------------

ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # U+0660..U+0669
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"  # U+06F0..U+06F9 (Extended Arabic-Indic: Persian / Urdu)
ARABIC_DECIMAL_SEPARATOR = "\u066b"  # ٫
ARABIC_THOUSANDS_SEPARATOR = "\u066c"  # ٬

_TO_ASCII: dict[int, str | None] = {ord(c): str(i) for i, c in enumerate(ARABIC_INDIC_DIGITS)}
_TO_ASCII.update({ord(c): str(i) for i, c in enumerate(PERSIAN_DIGITS)})
_TO_ASCII[ord(ARABIC_DECIMAL_SEPARATOR)] = "."
_TO_ASCII[ord(ARABIC_THOUSANDS_SEPARATOR)] = None

_TO_ARABIC = str.maketrans({str(i): c for i, c in enumerate(ARABIC_INDIC_DIGITS)})


def to_ascii_digits(s: str | None) -> str:
    """Arabic-Indic (٠-٩) and Persian/Urdu (۰-۹) digits → 0-9; ``٫`` → ``.``; ``٬`` removed."""
    if not s:
        return ""
    return s.translate(_TO_ASCII)


def to_arabic_digits(s: str) -> str:
    """ASCII digits → Arabic-Indic digits (for display in Arabic text; never for IDs/phones)."""
    return s.translate(_TO_ARABIC)


def localize_digits(s: str, locale: str | None) -> str:
    """Digits as the reader's locale shows them: Arabic-Indic for ``ar``, ASCII otherwise."""
    return to_arabic_digits(s) if normalize_locale(locale) == "ar" else s


def format_number(
    value: int | float | Decimal,
    locale: str | None = "ar",
    *,
    grouping: bool = True,
    decimals: int | None = None,
) -> str:
    """``12000`` → «١٢٬٠٠٠» (ar) / ``12,000`` (en); ``12.5`` → «١٢٫٥» / ``12.5``.

    ``grouping=False`` for years and other numbers that are never grouped.
    """
    if isinstance(value, bool):
        value = int(value)
    sep = "," if grouping else ""
    if isinstance(value, int):
        s = format(value, sep + "d") if sep else str(value)
    else:
        places = 2 if decimals is None else decimals
        s = format(value, f"{sep}.{places}f")
        if decimals is None and "." in s:
            s = s.rstrip("0").rstrip(".")
    if normalize_locale(locale) == "ar":
        separators: dict[str, str | int | None] = {
            ",": ARABIC_THOUSANDS_SEPARATOR,
            ".": ARABIC_DECIMAL_SEPARATOR,
        }
        s = s.translate(str.maketrans(separators))
        s = to_arabic_digits(s)
    return s


# --------------------------------------------------------------------------------------------
# Locale-dependent Text values (numbers, dates …)
# --------------------------------------------------------------------------------------------


class LocaleText(Text):
    """A :class:`Text` rendered from data by locale rather than looked up in the catalog.

    The msgid is ``"{value}"`` and ``params["value"]`` a plain fallback, so code that renders a
    ``Text`` naively (gettext + format) still shows something sensible.
    """

    def render_locale(self, locale: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self, tr: Any) -> str:
        return self.render_locale(normalize_locale(getattr(tr, "locale", None)))


class Num(LocaleText):
    """A number parameter: «٣٠» for Arabic readers, ``30`` for English ones."""

    def __init__(
        self, value: int | float | Decimal, *, grouping: bool = True, decimals: int | None = None
    ) -> None:
        Text.__init__(self, "{value}", value=value, grouping=grouping, decimals=decimals)

    def render_locale(self, locale: str) -> str:
        p = self.params
        return format_number(p["value"], locale, grouping=p["grouping"], decimals=p["decimals"])


# --------------------------------------------------------------------------------------------
# Cleaning user input
# --------------------------------------------------------------------------------------------

# Zero-width characters, bidi marks/embeddings/overrides/isolates, the Arabic letter mark, BOM,
# soft hyphen and word joiner: invisible, copied in from other apps, and they break matching.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Other control characters (C0/C1) except tab and newlines, which are whitespace.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_HSPACE_RE = re.compile(r"[^\S\n]+")  # any whitespace but newline (incl. NBSP, thin spaces)
_SPACE_RE = re.compile(r"\s+")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")


def clean_input(s: str | None, *, multiline: bool = False) -> str:
    """Strip invisible/bidi control characters, normalise whitespace, NFC.

    The Arabic letters themselves (including diacritics and tatweel) are left as they are. With
    ``multiline=False`` every run of whitespace becomes one space; with ``multiline=True`` line
    breaks are kept (at most one empty line in a row) and each line is trimmed.
    """
    if not s:
        return ""
    s = _INVISIBLE_RE.sub("", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    s = s.replace("\x85", "\n")
    s = _CONTROL_RE.sub("", s)
    s = unicodedata.normalize("NFC", s)
    if not multiline:
        return _SPACE_RE.sub(" ", s).strip()
    lines = [_HSPACE_RE.sub(" ", line).strip() for line in s.split("\n")]
    return _MANY_NEWLINES_RE.sub("\n\n", "\n".join(lines)).strip()


# Arabic diacritics (tashkeel), Quranic marks and superscript alef.
_TASHKEEL_RE = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]"
)
_FOLD_TABLE = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ئ": "ي",
        "ة": "ه",
        "ۀ": "ه",
        "ھ": "ه",
        "ہ": "ه",
        "ؤ": "و",
        "ک": "ك",
        "ڪ": "ك",
        "ـ": None,  # tatweel
    }
)
_NON_WORD_RE = re.compile(r"[\W_]+")


def fold(s: str | None) -> str:
    """A matching key: case-, diacritic- and spelling-insensitive, punctuation/emoji removed.

    ``"  أَيـوة! "`` → ``"ايوه"``; ``"✅ نعم"`` → ``"نعم"``; ``"٢"`` → ``"2"``. For comparing
    answers with labels and keywords only; never store or show the folded form.
    """
    s = to_ascii_digits(clean_input(s))
    s = unicodedata.normalize("NFKC", s)  # Arabic presentation forms, full-width Latin …
    s = _TASHKEEL_RE.sub("", s).translate(_FOLD_TABLE).casefold()
    return _NON_WORD_RE.sub(" ", s).strip()


# --------------------------------------------------------------------------------------------
# Output: bidi and HTML
# --------------------------------------------------------------------------------------------

FSI = "\u2068"  # first-strong isolate
PDI = "\u2069"  # pop directional isolate


def isolate(s: Any) -> str:
    """Wrap ``s`` in U+2068 … U+2069 so a Latin token (``REQ-1448-0042``) keeps its own direction
    inside an Arabic sentence."""
    return f"{FSI}{s}{PDI}"


def escape_html(s: Any) -> str:
    """Escape user text for Telegram's HTML parse mode: ``&``, ``<``, ``>`` and ``"``.

    Telegram understands ``&amp; &lt; &gt; &quot;``; the single quote is left alone.
    ``None`` becomes ``""``. The one place user text is escaped.
    """
    if s is None:
        return ""
    return html.escape(str(s), quote=False).replace('"', "&quot;")


# --------------------------------------------------------------------------------------------
# Masking personal data for confirmations and logs
# --------------------------------------------------------------------------------------------

MASK = "•"


def _mask_middle(s: str, keep_start: int, keep_end: int) -> str:
    if len(s) <= keep_start + keep_end:
        return MASK * len(s)
    return s[:keep_start] + MASK * (len(s) - keep_start - keep_end) + s[len(s) - keep_end :]


def mask_national_id(national_id: str | None) -> str:
    """``"1012345672"`` → ``"1•••••••72"`` (first digit and last two kept)."""
    digits = re.sub(r"\D", "", to_ascii_digits(national_id or ""))
    return _mask_middle(digits, 1, 2)


def mask_mobile(mobile: str | None) -> str:
    """``"0551234567"`` or ``"+966551234567"`` → ``"055•••••67"``."""
    s = re.sub(r"[^\d+]", "", to_ascii_digits(mobile or ""))
    if s.startswith("+966") and len(s) > 4:
        s = "0" + s[4:]
    elif s.startswith("00966") and len(s) > 5:
        s = "0" + s[5:]
    return _mask_middle(s, 3, 2)


# national IDs / iqamas (10 digits from 1 or 2) and Saudi mobiles, however typed: in one run or
# in groups with spaces or dashes ("055 123 4567", "+966 55 123 4567")
_NUMBERS_RE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)?966[ -]?|0)?5(?:[ -]?\d){8}(?!\d)|(?<!\d)[12](?:[ -]?\d){9}(?!\d)"
)
_ONE_FOR_ONE = {ord(c): str(i % 10) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")}


def mask_numbers(text: str | None) -> str:
    """Free text shown to staff with the personal numbers in it (national IDs, iqamas, Saudi
    mobiles, typed in any digits) hidden — ``10••••••72`` — and everything else as it was written."""
    text = text or ""
    plain = text.translate(_ONE_FOR_ONE)  # one digit for one: the positions stay
    parts, last = [], 0
    for match in _NUMBERS_RE.finditer(plain):
        number = match.group(0)  # in Latin digits, as the masked fields show them
        parts += [text[last : match.start()], number[:2] + MASK * (len(number) - 4) + number[-2:]]
        last = match.end()
    parts.append(text[last:])
    return "".join(parts)


_ARTICLE_RE = re.compile(r"^(?:ال|al-|el-)(?=\w{2,})", re.IGNORECASE)


def mask_name(name: str | None) -> str:
    """First name and the family name's initial: ``"محمد عبدالله الحربي"`` → ``"محمد ح."``.

    The Arabic article (ال، آل، Al-) is skipped for the initial. A one-part name is returned as is.
    """
    parts = clean_input(name).split(" ")
    parts = [p for p in parts if p]
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    last = parts[-1]
    stem = _ARTICLE_RE.sub("", last) or last
    initial = next((c for c in stem if c.isalpha()), stem[:1])
    return f"{parts[0]} {initial.upper()}."


def format_mobile_local(e164: str) -> str:
    """``"+966551234567"`` → ``"0551234567"`` (how Saudis write and read it); others unchanged."""
    if e164.startswith("+966"):
        return "0" + e164[4:]
    return e164


# --------------------------------------------------------------------------------------------
# Length limits
# --------------------------------------------------------------------------------------------

TELEGRAM_MESSAGE_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024


def utf16_len(s: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts 2)."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def _is_extender(ch: str) -> bool:
    """True if ``ch`` must stay attached to the character before it."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or cp == 0x200D  # ZWJ
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # tag characters (flag sequences)
    )


def truncate(s: str, n: int = TELEGRAM_MESSAGE_LIMIT, ellipsis: str = "…") -> str:
    """Cut ``s`` so that, with ``ellipsis``, it is at most ``n`` UTF-16 units (Telegram's unit).

    Never splits a letter from its diacritics, an emoji ZWJ sequence or a flag, and prefers to
    cut at a space near the end. Truncate plain text *before* escaping or adding HTML tags.
    """
    if utf16_len(s) <= n:
        return s
    budget = n - utf16_len(ellipsis)
    if budget <= 0:
        return ellipsis[: max(n, 0)]
    # longest prefix within budget
    used = 0
    cut = 0
    for i, ch in enumerate(s):
        w = 2 if ord(ch) > 0xFFFF else 1
        if used + w > budget:
            break
        used += w
        cut = i + 1
    # step back while the next character belongs to the previous one
    while 0 < cut < len(s) and (_is_extender(s[cut]) or s[cut - 1] == "\u200d"):
        cut -= 1
    # regional-indicator flags come in pairs: don't keep an odd one
    ri = 0
    while cut - ri > 0 and 0x1F1E6 <= ord(s[cut - ri - 1]) <= 0x1F1FF:
        ri += 1
    if ri % 2:
        cut -= 1
    # prefer a word boundary within the last 10 %
    space = s.rfind(" ", 0, cut)
    if space > 0 and cut - space <= max(10, cut // 10):
        cut = space
    return s[:cut].rstrip() + ellipsis


# --------------------------------------------------------------------------------------------
# HTML messages as Telegram measures them, split to its limits
# --------------------------------------------------------------------------------------------

_HTML_TOKEN_RE = re.compile(r"<[^>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);|[^<&]+|[<&]", re.S)
_TAG_NAME_RE = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
_VOID_TAGS = frozenset({"br"})


def _tokens(text: str) -> list[tuple[str, str]]:
    """``("tag", "<b>")``, ``("end", "</b>")``, ``("char", "&amp;")`` or ``("char", "x")``: the
    units a cut may fall between (never inside a tag or an entity)."""
    out: list[tuple[str, str]] = []
    for match in _HTML_TOKEN_RE.finditer(text):
        raw = match.group(0)
        if raw.startswith("<") and raw.endswith(">") and len(raw) > 2:
            out.append(("end" if raw.startswith("</") else "tag", raw))
        elif raw.startswith("&") and raw.endswith(";"):
            out.append(("char", raw))
        else:
            out.extend(("char", ch) for ch in raw)
    return out


def _visible(token: str) -> str:
    return html.unescape(token) if token.startswith("&") else token


def visible_len(text: str) -> int:
    """The length Telegram checks, for a text in its HTML parse mode: UTF-16 code units of what
    is shown, tags left out and entities (``&amp;``) counted as the one character they show."""
    return sum(utf16_len(_visible(raw)) for kind, raw in _tokens(text) if kind == "char")


def fits(text: str, limit: int, *, html: bool = True) -> bool:
    """Whether Telegram accepts ``text`` under ``limit``. The raw UTF-16 length bounds the shown
    one from above (tags and entities only shrink), so almost every message is settled by one
    ``encode``; only a long one is measured token by token (``visible_len``)."""
    raw = utf16_len(text)
    if raw <= limit or not html:
        return raw <= limit
    return visible_len(text) <= limit


def html_to_plain(text: str) -> str:
    """What an HTML text shows, as plain text (for a ``.txt`` copy)."""
    return "".join(_visible(raw) for kind, raw in _tokens(text) if kind == "char")


def _tag_name(raw: str) -> str:
    match = _TAG_NAME_RE.match(raw)
    return match.group(1).lower() if match else ""


def split_html(text: str, limit: int = TELEGRAM_MESSAGE_LIMIT) -> list[str]:
    """Cut an HTML text into parts of at most ``limit`` visible UTF-16 units each, preferring a
    line break, then a space, in the second half of a part; never inside a tag, an entity, a
    letter with its marks or an emoji sequence. Tags open at a cut are closed at the end of the
    part and opened again at the start of the next, so every part is valid on its own."""
    if visible_len(text) <= limit:
        return [text]
    tokens = _tokens(text)
    parts: list[str] = []
    start, opened = 0, list[str]()  # opened: the raw opening tags in force at ``start``
    while start < len(tokens):
        units, stack = 0, list(opened)
        best: dict[int, int] = {}  # preference (2 newline, 1 space, 0 any) -> cut index
        end = len(tokens)
        for i in range(start, len(tokens)):
            kind, raw = tokens[i]
            if kind == "char":
                shown = _visible(raw)
                width = utf16_len(shown)
                if units + width > limit:
                    end = i
                    break
                units += width
                nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
                glued = raw == "\u200d" or (
                    nxt
                    and tokens[i + 1][0] == "char"
                    and (
                        _is_extender(_visible(nxt)[:1] or " ")
                        or (
                            0x1F1E6 <= ord(shown[-1]) <= 0x1F1FF
                            and 0x1F1E6 <= ord(_visible(nxt)[:1]) <= 0x1F1FF
                        )
                    )
                )
                if not glued:
                    best[0] = i + 1
                    if shown == " ":
                        best[1] = i + 1
                    elif shown == "\n":
                        best[2] = i + 1
        if end == len(tokens):
            cut = end
        else:
            cut = 0
            for preference in (2, 1, 0):
                index = best.get(preference, 0)
                if index > start and (preference == 0 or _units(tokens, start, index) * 2 >= limit):
                    cut = index
                    break
            if cut <= start:
                cut = best.get(0, start) if best.get(0, start) > start else start + 1
        stack = list(opened)
        for kind, raw in tokens[start:cut]:
            if kind == "tag" and _tag_name(raw) not in _VOID_TAGS:
                stack.append(raw)
            elif kind == "end":
                name = _tag_name(raw)
                for j in range(len(stack) - 1, -1, -1):
                    if _tag_name(stack[j]) == name:
                        del stack[j]
                        break
        body = "".join(opened) + "".join(raw for _, raw in tokens[start:cut])
        body += "".join(f"</{_tag_name(raw)}>" for raw in reversed(stack))
        if html_to_plain(body).strip():
            parts.append(body.strip("\n") if not stack else body)
        start, opened = cut, stack
        # a part never begins with the line break or space it was cut at
        while (
            start < len(tokens) and tokens[start][0] == "char" and tokens[start][1] in (" ", "\n")
        ):
            start += 1
    return parts or [text]


def _units(tokens: list[tuple[str, str]], start: int, end: int) -> int:
    return sum(utf16_len(_visible(raw)) for kind, raw in tokens[start:end] if kind == "char")


def truncate_html(text: str, limit: int = TELEGRAM_MESSAGE_LIMIT, ellipsis: str = "…") -> str:
    """The first part of ``text`` within ``limit`` visible units, with ``ellipsis`` when cut."""
    if visible_len(text) <= limit:
        return text
    return split_html(text, limit - utf16_len(ellipsis))[0] + ellipsis


__all__ = [
    "ARABIC_INDIC_DIGITS",
    "FSI",
    "MASK",
    "PDI",
    "PERSIAN_DIGITS",
    "TELEGRAM_CAPTION_LIMIT",
    "TELEGRAM_MESSAGE_LIMIT",
    "LocaleText",
    "Num",
    "clean_input",
    "escape_html",
    "fold",
    "format_mobile_local",
    "format_number",
    "html_to_plain",
    "isolate",
    "localize_digits",
    "mask_mobile",
    "mask_name",
    "mask_national_id",
    "split_html",
    "to_arabic_digits",
    "to_ascii_digits",
    "truncate",
    "truncate_html",
    "utf16_len",
    "visible_len",
]
