"""The words and features a question is matched on (used by :mod:`bot.domain.faq.matcher`).

* :func:`raw_tokens`: normalised, dialect-folded, negation-folded tokens without stop words;
* :func:`resolve`: the stem of a token, one-letter clitics and the dialect passive prefixes
  ان / ات split off only when the shorter stem is more frequent in the FAQ's vocabulary;
* :func:`char_ngrams`: character 2-4-grams inside each padded stem;
* :func:`skeleton`: a rough root-like key of a stem; :func:`coverage_keys`: the keys a content
  word is known by (stem, skeleton, synonym concepts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.domain.faq.normalize import NEGATIONS, STOP_WORDS, fold_dialect, stem, tokenize
from bot.domain.faq.synonyms import concepts

__all__ = [
    "NGRAM_MAX",
    "NGRAM_MIN",
    "char_ngrams",
    "coverage_keys",
    "raw_tokens",
    "resolve",
    "skeleton",
]

NGRAM_MIN = 2
NGRAM_MAX = 4


def char_ngrams(stems: Sequence[str], lo: int = NGRAM_MIN, hi: int = NGRAM_MAX) -> Counter:
    grams: Counter = Counter()
    for s in stems:
        padded = f" {s} "
        n = len(padded)
        for size in range(lo, hi + 1):
            for i in range(n - size + 1):
                grams[padded[i : i + size]] += 1
    return grams


_CLITICS = ("وب", "ول", "فب", "فل", "وك", "ان", "ات", "و", "ف", "ب", "ل", "ك")
_SKEL_PREFIXES = ("است", "مست", "ست", "ان", "مت", "ت", "م", "ي", "ن", "ا")


def skeleton(word: str) -> str:
    """Rough root-like key of a stem: one derivational prefix (است ت م ان ...) off, then the
    long vowels ا و ي dropped after the first letter (تحويل → حول, تسليم → سلم, مستلم → لم)."""
    if len(word) < 4 or not ("\u0621" <= word[0] <= "\u064a"):
        return "^" + word
    for p in _SKEL_PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 3:
            word = word[len(p) :]
            break
    sk = word[0] + "".join(c for c in word[1:] if c not in "اوي")
    return "^" + (sk if len(sk) >= 2 else word)


def coverage_keys(st: str) -> tuple[str, ...]:
    return (st, skeleton(st), *concepts([st]))


def raw_tokens(text: str) -> list[str]:
    """Normalised, dialect-folded, negation-folded tokens without stop words (not stemmed)."""
    out = []
    for t in fold_dialect(tokenize(text)):
        if t in NEGATIONS:
            t = "لا"
        if t not in STOP_WORDS:
            out.append(t)
    return out


def resolve(token: str, vocab: Counter) -> str:
    st = stem(token)
    if len(token) >= 4 and token[0] in "وفبلكا":
        for p in _CLITICS:
            if token.startswith(p) and len(token) - len(p) >= 3:
                alt = stem(token[len(p) :])
                if vocab.get(alt, 0) > vocab.get(st, 0):
                    return alt
                break
    return st
