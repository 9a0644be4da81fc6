"""Learned phrasings: a beneficiary's question, confirmed by staff, taught to the matcher.

One code path for the bot and for ``faq-eval --learn``::

    text = learn(matcher, "register", "انا محمد رقمي 0551234567 ابغى اسجل")
    # -> "ابغى اسجل" (what is stored and taught), or None when nothing is left to learn

:func:`scrub_question` removes what could identify the writer before anything is stored:
every digit run (national IDs, mobiles, reference numbers, amounts), e-mail addresses,
@handles and links, and the words that follow a self-introduction ("اسمي …", "أنا …", "معك …")
or a kinship word of a name (بن، بنت، أبو، أم …). A phrasing keeps only words.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.domain.faq.normalize import normalize

if TYPE_CHECKING:
    from bot.domain.faq.matcher import FaqMatcher, Match

__all__ = [
    "MAX_PHRASING_CHARS",
    "MIN_PHRASING_WORDS",
    "SEARCH_COUNT",
    "learn",
    "scrub_question",
    "search",
]

MAX_PHRASING_CHARS = 300
"""A learned phrasing is cut to this many characters (a question, not a letter)."""
MIN_PHRASING_WORDS = 2
"""Fewer words than this after scrubbing: nothing worth learning."""

_LINK_RE = re.compile(
    r"(?:[\w.+-]+@[\w-]+\.[\w.]+|@\w{3,}|https?://\S+|www\.\S+|t\.me/\S+)", re.IGNORECASE
)
_DIGIT_RE = re.compile(r"[0-9٠-٩۰-۹][0-9٠-٩۰-۹\s\-+/.,]*")
_PLUS_RE = re.compile(r"\+")
# a self-introduction: the next words (up to three) are a name
_INTRO_RE = re.compile(
    r"(?:^|(?<=\s))(?:[وف]?(?:اسمي|إسمي|أسمي|انا|أنا|معك|معاك|معكم|المواطن|المواطنة|"
    r"الأخ|الاخ|الأخت|الاخت|أخوك|اخوك|أختك|اختك|السيد|السيدة))"
    r"((?:\s+(?!(?:ابغى|ابغا|أبغى|أبي|ابي|ابغي|أبغي|أريد|اريد|بدي|ودي|عندي|ما|مو|لا|ابا|أبا|"
    r"ابى|أبى|محتاج|محتاجة|مستفيد|مستفيدة|مسجل|مسجلة|قدمت|سجلت|كيف|وش|ايش|شنو|ليش|متى|وين|"
    r"هل|من|في|على|عن|اللي|الي|ولا|بس)\b)[^\s،,.؟?!]+){1,3})"
)
# kinship words inside names: بن X، أبو X …
_KIN_RE = re.compile(r"(?:^|(?<=\s))(?:بن|ابن|بنت|أبو|ابو|أم|ام|آل)\s+[^\s،,.؟?!]+")
_SPACES_RE = re.compile(r"\s+")

SEARCH_COUNT = 8
"""At most this many entries answer a staff search by words."""
_SEARCH_MAX_CHARS = 200


def scrub_question(text: str | None) -> str:
    """``text`` without digits, e-mails, handles, links and names (see the module docstring);
    spaces collapsed, cut to :data:`MAX_PHRASING_CHARS`."""
    if not text:
        return ""
    s = _LINK_RE.sub(" ", text)
    s = _DIGIT_RE.sub(" ", s)
    s = _PLUS_RE.sub(" ", s)
    s = _INTRO_RE.sub(" ", s)
    s = _KIN_RE.sub(" ", s)
    s = _SPACES_RE.sub(" ", s).strip(" ،,.-:")
    return s[:MAX_PHRASING_CHARS].strip()


def learnable(text: str | None) -> str | None:
    """The scrubbed phrasing to store, or None when too little is left of it."""
    s = scrub_question(text)
    if len(normalize(s).split()) < MIN_PHRASING_WORDS:
        return None
    return s


def learn(matcher: FaqMatcher | None, entry_id: str, text: str | None) -> str | None:
    """Scrub ``text`` and teach it to ``matcher`` as a phrasing of ``entry_id`` (at once, no
    rebuild). Returns the scrubbed phrasing (what the caller stores), or None when nothing is
    left to learn or the entry is unknown."""
    s = learnable(text)
    if s is None:
        return None
    if matcher is not None and entry_id not in matcher.entry_ids:
        return None
    if matcher is not None:
        matcher.add_phrasing(entry_id, s)
    return s


def search(matcher: FaqMatcher | None, words: str | None, k: int = SEARCH_COUNT) -> list[Match]:
    """The entries a staff member's ``words`` find, best first, at most ``k``: the matcher's own
    ranking (its normalisation, dialect folding and synonyms), kept only where the entry knows at
    least one of the words (as a stem, a synonym concept or a skeleton) — character n-grams
    alone find something for any text."""
    text = (words or "").strip()[:_SEARCH_MAX_CHARS]
    if matcher is None or not text:
        return []
    return [m for m in matcher.rank(text, k=k) if m.coverage > 0]
