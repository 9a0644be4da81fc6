"""Soft token alignment of a question with the phrasings of the best-ranked FAQ entries.

Issue #15's second-pass signal (``docs/faq-matching.md``, "Second", "Fifth" and "Sixth round"):
each content word of the question is matched with the most similar stem of a phrasing — 1 when
equal, 0.9 when they share a skeleton or a synonym concept, else the Dice overlap of their
character 2-3-grams when it is at least 0.5 — and the matches are averaged with IDF weights;
an entry takes its best-aligned phrasing (learned phrasings included). The *reverse*
alignment (the sixth round) reads the same similarities the other way: each word of a phrasing
takes its best similarity to a word of the question, averaged with the phrasing words' IDF
weights, so that a phrasing that holds the question's few words among many others counts less
than one the question covers; an entry takes its best phrasing for each direction separately.

Everything is numpy over integer ids: each stem is registered once (its character grams and
its keys as id arrays), each entry keeps its phrasings as arrays of stem ids, and the arrays a
question is compared with are assembled once per entry (cached until the entry changes), so
a question costs a few array operations over the candidates' stems, not a Python loop over
pairs of words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.domain.faq.synonyms import concepts
from bot.domain.faq.terms import skeleton

__all__ = ["KEY_SIMILARITY", "MIN_DICE", "SoftAligner", "stem_grams"]

KEY_SIMILARITY = 0.9
"""Similarity of two different stems that share a skeleton or a synonym concept."""
MIN_DICE = 0.5
"""Below this character-gram Dice overlap two stems do not align at all."""

_Entry = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
_KEY_BASE = 1 << 40
"""Key ids are shifted by this, so that grams and keys share one id space."""
_KEY_MARK = 1024.0
"""A shared key counts this much in the overlap matrix (more than any number of grams)."""


def stem_grams(st: str) -> set[str]:
    """Character 2- and 3-grams of a stem padded with spaces (a set)."""
    p = f" {st} "
    return {p[i : i + n] for n in (2, 3) for i in range(len(p) - n + 1)}


def _keys(st: str) -> set[str]:
    return {skeleton(st), *concepts([st])}


class SoftAligner:
    """The phrasings' stems of every entry, as ids, and the alignment of a question with them.

    The matcher reports phrasings as they come and go (:meth:`new_entry`, :meth:`add`,
    :meth:`remove`, in the order of its own phrasing lists) and asks :meth:`scores` for its
    best-ranked entries. A stem's weight is its IDF over entries (kept up to date here)."""

    def __init__(self) -> None:
        self._sid: dict[str, int] = {}
        self._gid: dict[str, int] = {}
        self._kid: dict[str, int] = {}
        self._sfeats: list[np.ndarray] = []  # per stem id: its gram and key ids
        self._sgrams: list[int] = []  # per stem id: its number of grams
        self._df = np.zeros(64, dtype=np.int64)  # per stem id: entries that have it
        self._phrasings: list[list[np.ndarray]] = []  # per entry: stem ids of each phrasing
        self._counts: list[Counter[int]] = []  # per entry: phrasings that have each stem
        self._cache: dict[int, _Entry] = {}

    # ---------------------------------------------------------------- phrasings
    def _stem_id(self, st: str) -> int:
        i = self._sid.get(st)
        if i is None:
            i = self._sid[st] = len(self._sid)
            self._sfeats.append(self._features(st, register=True)[0])
            self._sgrams.append(len(stem_grams(st)))
            if i == len(self._df):
                self._df = np.concatenate([self._df, np.zeros(len(self._df), dtype=np.int64)])
        return i

    def _features(self, st: str, *, register: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """A stem's gram ids and key ids (shifted by ``_KEY_BASE``), with the value each has
        in a query row (1 for a gram, ``_KEY_MARK`` for a key); unknown ones are registered
        or, for a question, left out."""
        gid, kid = self._gid, self._kid
        if register:
            grams = [gid.setdefault(g, len(gid)) for g in stem_grams(st)]
            keys = [kid.setdefault(k, len(kid)) + _KEY_BASE for k in _keys(st)]
        else:
            grams = [gid[g] for g in stem_grams(st) if g in gid]
            keys = [kid[k] + _KEY_BASE for k in _keys(st) if k in kid]
        ids = np.asarray(grams + keys, dtype=np.int64)
        values = np.ones(len(ids))
        values[len(grams) :] = _KEY_MARK
        return ids, values

    def new_entry(self) -> None:
        """One more entry, with no phrasing yet."""
        self._phrasings.append([])
        self._counts.append(Counter())

    def add(self, e: int, stems: Sequence[str]) -> None:
        """Entry ``e`` (known, or the next one) gets one more phrasing: its stems."""
        if e == len(self._phrasings):
            self.new_entry()
        ids = np.asarray([self._stem_id(s) for s in stems], dtype=np.int32)
        self._phrasings[e].append(ids)
        counts = self._counts[e]
        for s in set(ids.tolist()):
            if not counts[s]:
                self._df[s] += 1
            counts[s] += 1
        self._cache.pop(e, None)

    def remove(self, e: int, i: int) -> None:
        """Entry ``e`` loses its ``i``-th phrasing."""
        ids = self._phrasings[e].pop(i)
        counts = self._counts[e]
        for s in set(ids.tolist()):
            counts[s] -= 1
            if not counts[s]:
                del counts[s]
                self._df[s] -= 1
        self._cache.pop(e, None)

    def prepare(self, e: int) -> None:
        """Assemble entry ``e``'s arrays now (the matcher does it for every entry at start-up,
        so that no question pays for it)."""
        self._entry(e)

    def _entry(self, e: int) -> _Entry:
        """Entry ``e`` as arrays: its distinct stems (ids; their gram and key ids as one flat
        array, the length of each stem's run and its number of grams), each word of its
        phrasings as an index into the distinct stems, and where each non-empty phrasing's
        words start."""
        cached = self._cache.get(e)
        if cached is None:
            rows = [p for p in self._phrasings[e] if len(p)]
            words = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32)
            stems, local = np.unique(words, return_inverse=True)
            feats = [self._sfeats[s] for s in stems.tolist()]
            cached = self._cache[e] = (
                stems.astype(np.int32),
                np.concatenate(feats) if feats else np.zeros(0, dtype=np.int64),
                np.asarray([len(f) for f in feats], dtype=np.intp),
                np.asarray([self._sgrams[s] for s in stems.tolist()], dtype=np.float64),
                local.reshape(-1).astype(np.intp),
                np.cumsum([0] + [len(p) for p in rows[:-1]], dtype=np.intp)
                if rows
                else np.zeros(0, dtype=np.intp),
            )
        return cached

    # ---------------------------------------------------------------- querying
    def weights(self, stems: Sequence[str]) -> np.ndarray:
        """IDF over entries of each stem (the highest for a stem no entry has)."""
        n = len(self._phrasings)
        df = np.asarray(
            [self._df[i] if (i := self._sid.get(s)) is not None else 0 for s in stems],
            dtype=np.float64,
        )
        return np.log((1 + n) / (1 + df)) + 1.0

    def _overlap(self, stems: Sequence[str], flat: np.ndarray, runs: np.ndarray) -> np.ndarray:
        """For each query stem and each stem whose gram and key ids are ``flat`` (in runs of
        ``runs``): shared grams + ``_KEY_MARK`` × shared keys, a (query stems × stems) matrix
        (one gather and one sum for both)."""
        rows = []
        for st in stems:
            i = self._sid.get(st)
            if i is None:
                rows.append(self._features(st))
            else:
                values = np.ones(len(self._sfeats[i]))
                values[self._sgrams[i] :] = _KEY_MARK
                rows.append((self._sfeats[i], values))
        allq, inverse = np.unique(np.concatenate([ids for ids, _ in rows]), return_inverse=True)
        qmat = np.zeros((len(rows), len(allq) + 1))
        at = np.repeat(np.arange(len(rows)), [len(ids) for ids, _ in rows])
        qmat[at, inverse.reshape(-1)] = np.concatenate([values for _, values in rows])
        if len(allq):
            pos = np.minimum(np.searchsorted(allq, flat), len(allq) - 1)
            col = np.where(allq[pos] == flat, pos, len(allq))
        else:
            col = np.zeros(len(flat), dtype=np.intp)
        return np.add.reduceat(qmat[:, col], np.cumsum(runs) - runs, axis=1)

    def idf(self, stem_ids: np.ndarray) -> np.ndarray:
        """IDF over entries of registered stems (by id)."""
        n = len(self._phrasings)
        return np.log((1 + n) / (1 + self._df[stem_ids].astype(np.float64))) + 1.0

    def scores(self, stems: Sequence[str], entries: Sequence[int]) -> np.ndarray:
        """Alignment in [0, 1] of the question's ``stems`` with each of ``entries``: the
        IDF-weighted mean, over the question's words, of their best similarity to a stem of
        the entry's best-aligned phrasing."""
        return self.both(stems, entries)[0]

    def both(self, stems: Sequence[str], entries: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(forward, reverse)``, each in [0, 1] per entry of ``entries``: forward as
        :meth:`scores`; reverse the IDF-weighted mean, over the words of a phrasing, of their
        best similarity to a word of the question, for the entry's best phrasing in that
        direction (one similarity matrix for both)."""
        out = np.zeros(len(entries))
        rev = np.zeros(len(entries))
        if not stems or not entries:
            return out, rev
        parts = [self._entry(e) for e in entries]
        keep = [k for k, p in enumerate(parts) if len(p[5])]
        if not keep:
            return out, rev
        parts = [parts[k] for k in keep]
        u_off = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
        w_off = np.cumsum([0] + [len(p[4]) for p in parts[:-1]])
        uniq = np.concatenate([p[0] for p in parts])
        words = np.concatenate([p[4] + o for p, o in zip(parts, u_off, strict=True)])
        pstarts = np.concatenate([p[5] + o for p, o in zip(parts, w_off, strict=True)])
        estarts = np.cumsum([0] + [len(p[5]) for p in parts[:-1]])
        ngrams = np.concatenate([p[3] for p in parts])

        overlap = self._overlap(
            stems, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])
        )
        shared = overlap >= _KEY_MARK
        q_sizes = np.asarray([len(stem_grams(st)) for st in stems], dtype=np.float64)
        dice = 2.0 * (overlap % _KEY_MARK) / (q_sizes[:, None] + ngrams[None, :])
        q_sid = np.asarray([self._sid.get(st, -1) for st in stems])
        sim = np.where(
            q_sid[:, None] == uniq[None, :],
            1.0,
            np.where(shared, KEY_SIMILARITY, np.where(dice >= MIN_DICE, dice, 0.0)),
        )
        per_phrasing = np.maximum.reduceat(sim[:, words], pstarts, axis=1)
        w = self.weights(stems)
        aligned = (w @ per_phrasing) / w.sum()
        out[keep] = np.maximum.reduceat(aligned, estarts)
        # the other way: each phrasing word's best match among the question's words
        wu = self.idf(uniq)[words]
        covered = np.add.reduceat(wu * sim.max(axis=0)[words], pstarts)
        rev[keep] = np.maximum.reduceat(covered / np.add.reduceat(wu, pstarts), estarts)
        return out, rev
