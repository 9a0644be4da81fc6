"""Arabic text normalisation, dialect folding and light stemming for FAQ matching.

Everything here is rule-based general Arabic knowledge (orthography, common Gulf/Saudi,
Levantine and Egyptian words and their Modern Standard Arabic equivalents). Nothing is learned
from a dataset.

Layers, each usable on its own:

* :func:`normalize` - surface normalisation, returns a string:
  NFKC (folds presentation forms such as ﻻ), zero-width / bidi controls removed, tashkeel and
  Quranic marks removed, tatweel removed, أ إ آ ٱ → ا, ى → ي, ة → ه, ؤ → و, ئ → ي,
  Persian ک ی → ك ي, Arabic-Indic and Persian digits → ASCII, punctuation (incl. ، ؛ ؟) → space,
  letters repeated three or more times collapsed to one (``مرحبااااا`` → ``مرحبا``),
  Latin lower-cased, whitespace collapsed.
* :func:`fold_dialect` - maps dialect words and short phrases on a token list to MSA
  (``وش`` → ``ماذا``, ``ابغى`` → ``اريد``, ``كيف اقدر`` → ``كيف يمكن`` ...).
* :func:`stem` - a light stemmer (prefixes ال وال بال كال فال لل ..., plural / pronoun suffixes).
* :func:`analyze` - the whole chain: normalise → tokens → dialect → stop words out → stems.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.domain.faq.dialects import DIALECT_SOURCE

__all__ = [
    "DIALECT",
    "STOP_WORDS",
    "analyze",
    "fold_dialect",
    "normalize",
    "stem",
    "tokenize",
]

# --------------------------------------------------------------------------------------------
# Surface normalisation
# --------------------------------------------------------------------------------------------

# Zero-width and bidirectional control characters, BOM, soft hyphen, Arabic letter mark.
_INVISIBLE = (
    "\u00ad"  # soft hyphen
    "\u061c"  # arabic letter mark
    "\u180e"  # mongolian vowel separator
    "\u200c\u200d\u200e\u200f"  # zwnj, zwj, lrm, rlm
    "\u202a\u202b\u202c\u202d\u202e"  # lre, rle, pdf, lro, rlo
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # lri, rli, fsi, pdi
    "\ufeff"  # bom / zwnbsp
)

_TRANSLATE: dict[int, str | None] = {ord(c): None for c in _INVISIBLE}
# Tashkeel (fathatan .. sukun and the extended marks), superscript alef, Quranic annotation marks.
for _cp in (
    list(range(0x0610, 0x061B))
    + list(range(0x064B, 0x0660))
    + [0x0670]
    + list(range(0x06D6, 0x06EE))
):
    if _cp not in (0x06E5, 0x06E6):  # small waw / small yeh are letters-ish; drop them too below
        _TRANSLATE[_cp] = None
_TRANSLATE[0x06E5] = None
_TRANSLATE[0x06E6] = None
_TRANSLATE[0x0640] = None  # tatweel
_TRANSLATE[0x200B] = " "  # zero-width space separates words
_TRANSLATE.update(
    {
        ord("أ"): "ا",
        ord("إ"): "ا",
        ord("آ"): "ا",
        ord("ٱ"): "ا",
        ord("ٲ"): "ا",
        ord("ٳ"): "ا",
        ord("ى"): "ي",
        ord("ی"): "ي",  # persian yeh
        ord("ې"): "ي",
        ord("ۍ"): "ي",
        ord("ة"): "ه",
        ord("ۀ"): "ه",
        ord("ە"): "ه",
        ord("ؤ"): "و",
        ord("ئ"): "ي",
        ord("ک"): "ك",  # keheh
        ord("ڪ"): "ك",
        ord("گ"): "ك",  # gaf (used for g in Gulf/Iraqi spellings)
        ord("ڤ"): "ف",  # veh
        ord("پ"): "ب",
        ord("چ"): "ك",  # Gulf/Iraqi spellings of the "ch" that stands for ك (چيف = كيف)
        ord("ژ"): "ز",
        ord("ﻻ"): "لا",
    }
)
for _i in range(10):
    _TRANSLATE[0x0660 + _i] = str(_i)  # arabic-indic ٠-٩
    _TRANSLATE[0x06F0 + _i] = str(_i)  # extended arabic-indic (persian/urdu) ۰-۹

# Anything that is not a letter, a digit or a combining mark becomes a space. This covers
# ASCII punctuation, the Arabic comma/semicolon/question mark (، ؛ ؟), the Arabic full stop ۔,
# percent ٪, decimal/thousands separators ٫ ٬, quotes, emoji and symbols.
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# A letter (not a digit) repeated 3+ times: elongation for emphasis.
_ELONGATED = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Boundary between Arabic letters and Latin letters / digits written without a space ("100ريال").
_SCRIPT_SPLIT = re.compile(r"(?<=[\u0621-\u064a])(?=[0-9a-z])|(?<=[0-9a-z])(?=[\u0621-\u064a])")


def normalize(text: str) -> str:
    """Return the surface-normalised form of ``text`` (see the module docstring)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_TRANSLATE)
    text = text.casefold()
    text = _NON_WORD.sub(" ", text)
    text = _ELONGATED.sub(r"\1", text)
    text = _SCRIPT_SPLIT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def tokenize(text: str) -> list[str]:
    """Normalise and split into words."""
    return normalize(text).split()


# --------------------------------------------------------------------------------------------
# Dialect → MSA
# --------------------------------------------------------------------------------------------
# The table itself, in natural spelling, is bot/domain/faq/dialects.py.


def _compile_dialect(source: dict[str, str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in source.items():
        k = tuple(normalize(key).split())
        if not k:
            continue
        table[k] = tuple(normalize(value).split())
    return table


DIALECT: dict[tuple[str, ...], tuple[str, ...]] = _compile_dialect(DIALECT_SOURCE)
_MAX_PHRASE = max(len(k) for k in DIALECT)


def fold_dialect(tokens: list[str]) -> list[str]:
    """Replace dialect words/phrases in a normalised token list by their MSA equivalents.

    Longest match first (up to three words). A Levantine/Egyptian negative ``ما ...ش`` circumfix
    (``ما بعرفش``, ``ماوصلتش``) is reduced to ``لا`` + the bare word.
    """
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        for size in range(min(_MAX_PHRASE, n - i), 0, -1):
            rep = DIALECT.get(tuple(tokens[i : i + size]))
            if rep is not None:
                out.extend(rep)
                i += size
                break
        else:
            tok = tokens[i]
            # و/ف + a dialect word ("وبدي", "فوين")
            if len(tok) >= 3 and tok[0] in "وف" and (tok[1:],) in DIALECT:
                out.extend(DIALECT[(tok[1:],)])
                i += 1
                continue
            # article + a dialect noun ("الفلوس" → "المال", "بالمصاري" → "بالمال")
            for pre in ("وال", "بال", "ال", "لل"):
                if tok.startswith(pre) and len(tok) - len(pre) >= 2:
                    rep = DIALECT.get((tok[len(pre) :],))
                    if rep is not None and len(rep) == 1:
                        out.append(pre + rep[0])
                        break
            else:
                rep = None
            if rep is not None and len(rep) == 1:
                i += 1
                continue
            # ما + verb + ش  /  ماوصلتش
            if len(tok) >= 5 and tok.startswith("ما") and tok.endswith("ش"):
                out.extend(("لا", tok[2:-1]))
            elif (
                len(tok) >= 4
                and tok.endswith("ش")
                and out
                and out[-1] in ("ما", "لا", "مش", "ليس")
                and tok[:-1] not in ("عي", "جي")
            ):
                out.append(tok[:-1])
            else:
                out.append(tok)
            i += 1
    return out


# --------------------------------------------------------------------------------------------
# Stop words and light stemming
# --------------------------------------------------------------------------------------------

_STOP_SOURCE = """
في من على الى إلى عن مع عند لدى حتى منذ بين خلال عبر ضد دون بدون سوى
و ف ثم او أو ام أم بل لكن لكنه لكنها لكني ولكن اذا إذا ان أن إن لو كي لكي لان لأن حيث
هل قد لقد سوف س سـ كان كانت يكون تكون كنت كانوا
هو هي هم هن انا أنا نحن انت أنت انتم أنتم انتي
هذا هذه ذلك تلك هؤلاء اولئك هنا هناك الذي التي الذين اللذين اللتين اللاتي
اي أي كل بعض جدا فقط ايضا أيضا يا
لي لك له لها لنا لكم لهم بي بك به بها بنا بكم بهم فيه فيها فيك فيني منه منها مني منك
عليه عليها علي عليك عليكم الي إلي اليه إليه اليها إليها
الخاص الخاصه الخاصة
ما ماذا
"""

STOP_WORDS: frozenset[str] = frozenset(normalize(_STOP_SOURCE).split())
"""Function words dropped by :func:`analyze` (normalised spelling). Question words such as
كيف / متى / لماذا / كم / اين are kept on purpose: they carry the intent of a question."""

_PREFIXES = ("وبال", "وكال", "فبال", "وال", "بال", "كال", "فال", "ولل", "لل", "عال", "ال")
_PRONOUN_SUFFIXES = ("كما", "هما", "كم", "هم", "هن", "كن", "نا", "ها", "ني", "ه", "ك", "ي")
_NOUN_SUFFIXES = ("ات", "ون", "ين", "ان", "يه", "ه")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light stemming of one normalised word.

    Strips one definite-article prefix group (ال وال بال كال فال لل ...), then a pronoun suffix
    (ي ك ه ها نا كم هم ...), then a plural/feminine suffix (ات ون ين ان يه ه), and a final ت
    left by a pronoun or a past-tense ending (بطاقتي → بطاق, البطاقات → بطاق, استلمتها → استلم).
    Stems are never shorter than three letters; digits and Latin words are returned unchanged.
    """
    if len(word) < 4 or not ("\u0621" <= word[0] <= "\u064a"):
        return word
    w = word
    for p in _PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= 3:
            w = w[len(p) :]
            break
    for s in _PRONOUN_SUFFIXES:
        if w.endswith(s) and len(w) - len(s) >= 3:
            w = w[: -len(s)]
            break
    for s in _NOUN_SUFFIXES:
        if w.endswith(s) and len(w) - len(s) >= 3:
            w = w[: -len(s)]
            break
    if w.endswith("ت") and len(w) >= 4:
        w = w[:-1]
    return w


NEGATIONS: frozenset[str] = frozenset(normalize("لا لم لن ليس لست ليست لستم").split())
"""Negation particles folded to a single ``لا`` token by :func:`analyze`."""


def analyze(text: str, *, stemming: bool = True, stop_words: bool = True) -> list[str]:
    """Full analysis chain: normalise, tokenise, fold dialect and negation, drop stop words, stem."""
    tokens = ["لا" if t in NEGATIONS else t for t in fold_dialect(tokenize(text))]
    if stop_words:
        tokens = [t for t in tokens if t not in STOP_WORDS]
    if stemming:
        tokens = [stem(t) for t in tokens]
    return tokens
