"""Few-shot FAQ matcher for free-text Arabic questions (numpy, no messenger code).

How a question is matched (details and figures in ``docs/faq-matching.md``):

1. **Analysis** (:mod:`bot.domain.faq.normalize`, :mod:`bot.domain.faq.terms`): normalisation,
   dialect → MSA folding, negation folding, stop words, light stemming; one-letter clitics and
   the dialect passive prefixes ان / ات are split off only when the shorter stem is more
   frequent in the FAQ's vocabulary.
2. **Features**, TF-IDF (IDF over *entries*), L2-normalised per channel per phrasing: character
   2-4-grams inside each stem, synonym concepts (:mod:`bot.domain.faq.synonyms`), and a rough
   consonant skeleton of each stem.
3. **Ranking**: each entry pools the vectors of its phrasings; the score is a multinomial naive
   Bayes log-likelihood with smoothing ``ALPHA`` plus ``COSINE_WEIGHT`` × the cosine to the
   pooled entry; the ``NEAREST_CANDIDATES`` best also get ``NEAREST_WEIGHT`` × cos^8 of their
   nearest single phrasing (a near-duplicate of a taught question wins), and ``ALIGN_WEIGHT`` ×
   the soft token alignment of the question with their best phrasing plus ``REVERSE_WEIGHT`` ×
   the same read from the phrasing's side (:mod:`bot.domain.faq.rerank`), which re-orders them.
4. **Confidence**: ``score`` (the larger of the pooled and the nearest-phrasing cosine),
   ``probability`` (softmax of the ranking scores before the alignment, at ``TEMPERATURE``),
   ``coverage`` (share of the question's content words the entry knows).

``decide``: ``answer`` when probability, similarity and coverage pass the ``ANSWER_MIN_*``
floors; else ``suggest`` (up to ``SUGGEST_COUNT`` entries) when the ``SUGGEST_MIN_*`` floors
pass; else ``handover``. The floors were chosen on the *train* file only (``bench/faq_tune.py``).
New phrasings and entries are taken at once, incrementally (:meth:`FaqMatcher.add_phrasing`,
:meth:`FaqMatcher.add_entry`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot.domain.faq.normalize import stem
from bot.domain.faq.rerank import SoftAligner
from bot.domain.faq.synonyms import concepts
from bot.domain.faq.terms import (
    char_ngrams,
    coverage_keys,
    raw_tokens,
    resolve,
    skeleton,
)

__all__ = [
    "ALPHA",
    "ANSWER_MIN_COVERAGE",
    "ANSWER_MIN_PROBABILITY",
    "ANSWER_MIN_SIMILARITY",
    "SUGGEST_COUNT",
    "SUGGEST_MIN_COVERAGE",
    "SUGGEST_MIN_SIMILARITY",
    "Decision",
    "FaqMatcher",
    "Match",
]

# ---- model constants -----------------------------------------------------------------------
CHAR_WEIGHT = 1.0
"""Weight of the character n-gram channel."""
CONCEPT_WEIGHT = 1.0
"""Weight of the synonym-concept channel."""
SKELETON_WEIGHT = 0.6
"""Weight of the consonant-skeleton channel (stem without derivational prefixes and long vowels)."""
ALPHA = 0.03
"""Additive smoothing of the naive-Bayes style ranking score."""
COSINE_WEIGHT = 10.0
"""Weight of the pooled-entry cosine added to the ranking score."""
TEMPERATURE = 3.0
"""Softmax temperature turning ranking scores into a probability over entries."""
NEAREST_WEIGHT, NEAREST_POWER, NEAREST_CANDIDATES = 6.0, 8, 10
"""The ``NEAREST_CANDIDATES`` best entries also get ``NEAREST_WEIGHT × cos⁸`` of their nearest
single phrasing: nothing for a loose match (0.7⁸ ≈ 0.06), most of it for a near-duplicate, so
a question staff taught to one entry wins over an entry that shares many of its words."""
ALIGN_WEIGHT, REVERSE_WEIGHT = 8.0, 4.0
"""The same ten also get ``ALIGN_WEIGHT`` × the soft token alignment of the question with their
best-aligned phrasing and ``REVERSE_WEIGHT`` × the reverse alignment (how much of a phrasing
the question covers; :mod:`bot.domain.faq.rerank`; both chosen on val and train rows)."""

# ---- decision thresholds (chosen on the train split by bench/faq_tune.py) ----------------
ANSWER_MIN_PROBABILITY = 0.85
"""Answer directly only when the best entry holds this much of the softmax probability …"""
ANSWER_MIN_SIMILARITY = 0.40
"""… and its cosine similarity to the question is at least this."""
ANSWER_MIN_COVERAGE = 0.5
"""… and it knows at least this share of the question's content words (guards small FAQs,
where one shared word can make the softmax peak)."""
SUGGEST_MIN_SIMILARITY = 0.33
"""Below this similarity nothing is suggested: the question goes to a human."""
SUGGEST_MIN_COVERAGE = 0.25
"""… or when the best entry knows less than this share of the question's content words."""
SUGGEST_COUNT = 3
"""How many entries a "suggest" decision offers."""

_FULL_QUERY_NORM = math.sqrt(CHAR_WEIGHT**2 + CONCEPT_WEIGHT**2 + SKELETON_WEIGHT**2)


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked FAQ entry.

    ``score``: cosine similarity of the question to the entry in [0, 1] (the larger of the
    pooled-entry and the best single-phrasing cosine); ``probability``: softmax share of the
    ranking scores over all entries; ``coverage``: share of the question's content words the
    entry knows (as a stem, a synonym concept or a skeleton)."""

    entry_id: str
    score: float
    probability: float = 0.0
    coverage: float = 0.0


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a question. ``matches`` is the ranking (best first, up to
    ``SUGGEST_COUNT``); for ``answer`` the first match is the entry to answer with."""

    kind: Literal["answer", "suggest", "handover"]
    matches: list[Match]

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


class FaqMatcher:
    """Index of FAQ entries; build with :meth:`build`, query with :meth:`rank` / :meth:`decide`."""

    def __init__(self) -> None:
        self.entry_ids: list[str] = []
        self._vocab: Counter = Counter()
        self._idf: dict[str, float] = {}
        self._default_idf = 1.0
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._norm: np.ndarray = np.zeros(0)
        self._entry_vecs: list[dict[str, float]] = []
        self._entry_norms: list[float] = []
        self._phrasing_vecs: list[list[dict[str, float]]] = []
        self._entry_keys: list[frozenset[str]] = []
        # kept for incremental changes (add_phrasing / remove_phrasing)
        self._index: dict[str, int] = {}
        self._texts: list[list[str]] = []
        self._feats: list[list[tuple[Counter, Counter, Counter]]] = []
        self._pkeys: list[list[set[str]]] = []
        self._df: Counter = Counter()
        self._z: np.ndarray = np.zeros(0)
        self._learned: list[set[str]] = []
        # each entry's phrasings as sparse rows (made at build; dropped when the entry
        # changes and made again when it next reaches the candidates), over feature ids
        # shared by all entries
        self._prows: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._fid: dict[str, int] = {}
        self._aligner = SoftAligner()

    # ---------------------------------------------------------------- building
    @classmethod
    def build(
        cls,
        entries: Iterable[tuple[str, list[str]]],
        learned: Mapping[str, Sequence[str]] | None = None,
    ) -> FaqMatcher:
        """Index ``(entry_id, phrasings)`` pairs; phrasings include the canonical question.
        ``learned``: staff-confirmed phrasings per entry id, indexed with the others but
        removable (:meth:`remove_phrasing`); those of unknown entries are ignored."""
        self = cls()
        raw: list[tuple[str, list[str], list[list[str]]]] = []
        learned = learned or {}
        for entry_id, phrasings in entries:
            if entry_id in self._index:
                raise ValueError(f"duplicate FAQ entry id: {entry_id!r}")
            self._index[entry_id] = len(raw)
            if isinstance(phrasings, str):
                phrasings = [phrasings]
            texts = list(dict.fromkeys(p for p in phrasings if p and p.strip()))
            extra = [p for p in learned.get(entry_id, ()) if p and p.strip() and p not in texts]
            self._learned.append(set(extra))
            texts += list(dict.fromkeys(extra))
            toks = [raw_tokens(p) for p in texts]
            raw.append((entry_id, texts, toks))
            for ts in toks:
                self._vocab.update(stem(t) for t in ts)

        # features per phrasing (counts), grouped by entry
        for entry_id, texts, toks in raw:
            self.entry_ids.append(entry_id)
            self._texts.append(list(texts))
            per_entry, pkeys = [], []
            self._aligner.new_entry()
            for ts in toks:
                f, k = self._phrasing_features(ts, len(self.entry_ids) - 1)
                per_entry.append(f)
                pkeys.append(k)
            self._feats.append(per_entry)
            self._pkeys.append(pkeys)
            self._entry_keys.append(frozenset().union(*pkeys))
            self._df.update(self._present(per_entry))

        n_entries = len(self.entry_ids)
        self._idf = {f: self._idf_of(d) for f, d in self._df.items()}
        self._default_idf = math.log(1 + n_entries) + 1.0

        postings: dict[str, tuple[list[int], list[float]]] = {}
        z_all: list[float] = []
        for e in range(n_entries):
            pooled, z = self._pool(e)
            z_all.append(z)
            for feature, w in pooled.items():
                p = postings.get(feature)
                if p is None:
                    p = postings[feature] = ([], [])
                p[0].append(e)
                p[1].append(w)
        self._postings = {
            f: (np.asarray(ix, dtype=np.int32), np.asarray(ws, dtype=np.float64))
            for f, (ix, ws) in postings.items()
        }
        self._z = np.asarray(z_all, dtype=np.float64)
        self._renorm()
        for e in range(n_entries):  # now, not when the entry first reaches the ten
            self._phrasing_rows(e)
            self._aligner.prepare(e)
        return self

    def _phrasing_features(
        self, ts: list[str], e: int
    ) -> tuple[tuple[Counter, Counter, Counter], set[str]]:
        """Features and coverage keys of one more phrasing of entry ``e`` (whose stems the
        aligner takes)."""
        stems = [resolve(t, self._vocab) for t in ts]
        self._aligner.add(e, stems)
        keys: set[str] = set()
        for st in stems:
            keys.update(coverage_keys(st))
        grams = char_ngrams(stems)
        cons = Counter(concepts(stems))
        skel = Counter(skeleton(s) for s in stems) if SKELETON_WEIGHT else Counter()
        return (grams, cons, skel), keys

    @staticmethod
    def _present(per_entry: list[tuple[Counter, Counter, Counter]]) -> set[str]:
        present: set[str] = set()
        for grams, cons, skel in per_entry:
            present.update(grams)
            present.update(cons)
            present.update(skel)
        return present

    def _idf_of(self, df: int) -> float:
        return math.log((1 + len(self.entry_ids)) / (1 + df)) + 1.0

    def _pool(self, e: int) -> tuple[dict[str, float], float]:
        """Entry ``e``'s phrasing vectors, pooled vector and norm (stored), and its posting
        weights ``{feature: weight}`` with the total weight ``z``."""
        pooled: Counter = Counter()
        pvecs = []
        known = self._phrasing_vecs[e] if e < len(self._phrasing_vecs) else []
        for i, (grams, cons, skel) in enumerate(self._feats[e]):
            # a phrasing weighed before keeps its vector (its IDFs as they were then)
            vec = (
                known[i]
                if i < len(known) and known[i] is not None
                else self._weigh(grams, cons, skel)
            )
            pvecs.append(vec)
            pooled.update(vec)
        norm = math.sqrt(sum(v * v for v in pooled.values())) or 1.0
        if e < len(self._entry_vecs):
            self._phrasing_vecs[e], self._entry_vecs[e], self._entry_norms[e] = (
                pvecs,
                dict(pooled),
                norm,
            )
        else:
            self._phrasing_vecs.append(pvecs)
            self._entry_vecs.append(dict(pooled))
            self._entry_norms.append(norm)
        # cosine(query, pooled entry) folded into the same posting weight; the query norm
        # is taken as its full-channel value (exact when every channel is non-empty)
        cos_scale = COSINE_WEIGHT / (norm * _FULL_QUERY_NORM)
        weights = {f: math.log1p(c / ALPHA) + cos_scale * c for f, c in pooled.items()}
        return weights, float(sum(pooled.values()))

    def _renorm(self) -> None:
        self._norm = np.log(self._z + ALPHA * len(self._idf))

    # ---------------------------------------------------------------- learning
    def phrasings(self, entry_id: str) -> list[str]:
        """The phrasings entry ``entry_id`` is matched on (built and learned), in order."""
        e = self._index.get(entry_id)
        return list(self._texts[e]) if e is not None else []

    def add_entry(self, entry_id: str, phrasings: Sequence[str]) -> bool:
        """A new entry (a draft staff approved), at once: appended to the index and given its
        phrasings through :meth:`add_phrasing` (these are its own, not removable). False when
        the id is known already or no phrasing has a content word."""
        texts = [p for p in dict.fromkeys(phrasings) if p and p.strip() and raw_tokens(p)]
        if entry_id in self._index or not texts:
            return False
        e = len(self.entry_ids)
        self._index[entry_id] = e
        self.entry_ids.append(entry_id)
        for store in (self._texts, self._feats, self._pkeys, self._phrasing_vecs):
            store.append([])
        self._learned.append(set())
        self._aligner.new_entry()
        self._entry_keys.append(frozenset())
        self._entry_vecs.append({})
        self._entry_norms.append(1.0)
        self._z = np.append(self._z, 0.0)
        for text in texts:
            self.add_phrasing(entry_id, text, learned=False)
        return True

    def add_phrasing(self, entry_id: str, text: str, *, learned: bool = True) -> bool:
        """Teach entry ``entry_id`` one more phrasing, at once: only that entry's vectors and
        the postings of its features are recomputed (no rebuild). Features the new phrasing
        brings get their IDF from the new document frequency; other entries keep the weights
        they were built with until the next :meth:`build` (the difference is one entry in a
        document frequency). False when the entry is unknown, the text empty or known already."""
        e = self._index.get(entry_id)
        if e is None or not text or not text.strip() or text in self._texts[e]:
            return False
        ts = raw_tokens(text)
        if not ts:
            return False
        self._vocab.update(stem(t) for t in ts)
        f, k = self._phrasing_features(ts, e)
        self._texts[e].append(text)
        if learned:
            self._learned[e].add(text)
        self._feats[e].append(f)
        self._pkeys[e].append(k)
        self._refresh_entry(e)
        return True

    def remove_phrasing(self, entry_id: str, text: str) -> bool:
        """Forget one learned phrasing of ``entry_id`` (those it was built with stay)."""
        e = self._index.get(entry_id)
        if e is None or text not in self._learned[e]:
            return False
        self._learned[e].discard(text)
        i = self._texts[e].index(text)
        for t in raw_tokens(text):
            st = stem(t)
            if self._vocab.get(st, 0) > 1:
                self._vocab[st] -= 1
            else:
                self._vocab.pop(st, None)
        del self._texts[e][i], self._feats[e][i], self._pkeys[e][i], self._phrasing_vecs[e][i]
        self._aligner.remove(e, i)
        self._refresh_entry(e)
        return True

    def _refresh_entry(self, e: int) -> None:
        old = set(self._entry_vecs[e])
        present_old = old
        present_new = self._present(self._feats[e])
        for f in present_old - present_new:
            self._df[f] -= 1
            if self._df[f] <= 0:
                del self._df[f]
                self._idf.pop(f, None)
            else:
                self._idf[f] = self._idf_of(self._df[f])
        for f in present_new - present_old:
            self._df[f] += 1
            self._idf[f] = self._idf_of(self._df[f])
        self._entry_keys[e] = frozenset().union(*self._pkeys[e])
        self._prows.pop(e, None)
        weights, z = self._pool(e)
        self._z[e] = z
        for f in old | set(weights):
            self._set_posting(f, e, weights.get(f))
        self._renorm()

    def _set_posting(self, f: str, e: int, w: float | None) -> None:
        p = self._postings.get(f)
        if p is None:
            if w is not None:
                self._postings[f] = (np.asarray([e], dtype=np.int32), np.asarray([w]))
            return
        ix, ws = p
        pos = int(np.searchsorted(ix, e))
        here = pos < len(ix) and ix[pos] == e
        if w is None:
            if here:
                if len(ix) == 1:
                    del self._postings[f]
                else:
                    self._postings[f] = (np.delete(ix, pos), np.delete(ws, pos))
        elif here:
            ws[pos] = w  # in place: queries run between updates, never during one
        else:
            self._postings[f] = (np.insert(ix, pos, e), np.insert(ws, pos, w))

    def _weigh(
        self, grams: Counter, cons: Counter, skel: Counter, *, known_only: bool = False
    ) -> dict[str, float]:
        """TF-IDF weights, L2-normalised per channel and scaled by the channel weight."""
        vec: dict[str, float] = {}
        idf = self._idf
        for counts, weight in (
            (grams, CHAR_WEIGHT),
            (cons, CONCEPT_WEIGHT),
            (skel, SKELETON_WEIGHT),
        ):
            if not weight:
                continue
            part = {}
            for f, c in counts.items():
                w = idf.get(f)
                if w is None:
                    if known_only:
                        continue
                    w = self._default_idf
                part[f] = (1.0 + math.log(c)) * w
            norm = math.sqrt(sum(v * v for v in part.values()))
            if norm:
                scale = weight / norm
                for f, v in part.items():
                    vec[f] = v * scale
        return vec

    def __len__(self) -> int:
        return len(self.entry_ids)

    # ---------------------------------------------------------------- querying
    def _query_stems(self, query: str) -> list[str]:
        return [resolve(t, self._vocab) for t in raw_tokens(query)]

    def _query_vector(self, query: str, stems: list[str] | None = None) -> dict[str, float]:
        if stems is None:
            stems = self._query_stems(query)
        skel = Counter(skeleton(s) for s in stems) if SKELETON_WEIGHT else Counter()
        return self._weigh(char_ngrams(stems), Counter(concepts(stems)), skel, known_only=True)

    def _scores(self, qvec: dict[str, float]) -> np.ndarray:
        """Ranking score of every entry (naive-Bayes log-likelihood + weighted cosine)."""
        postings = self._postings
        idx, wts = [], []
        qsum = 0.0
        for f, qv in qvec.items():
            qsum += qv
            p = postings.get(f)
            if p is not None:
                idx.append(p[0])
                wts.append(p[1] * qv)
        n = len(self.entry_ids)
        acc: np.ndarray
        if idx:
            acc = np.bincount(np.concatenate(idx), np.concatenate(wts), minlength=n)
        else:
            acc = np.zeros(n)
        return acc - qsum * self._norm

    def _similarity(self, qvec: dict[str, float], e: int, nearest: float | None = None) -> float:
        qn = math.sqrt(sum(v * v for v in qvec.values())) or 1.0
        ev = self._entry_vecs[e]
        best = sum(v * ev.get(f, 0.0) for f, v in qvec.items()) / (qn * self._entry_norms[e])
        if nearest is None:
            nearest = float(self._nearest(qvec, [e])[0])
        return min(1.0, max(0.0, best, nearest))

    def _nearest(self, qvec: dict[str, float], entries: Sequence[int]) -> np.ndarray:
        """Cosine of the query to the nearest single phrasing of each of ``entries``."""
        rows = [self._phrasing_rows(e) for e in entries]
        fid = self._fid
        q = np.zeros(len(fid) + 1)
        for f, v in qvec.items():
            i = fid.get(f)
            if i is not None:
                q[i] = v
        qn = math.sqrt(sum(v * v for v in qvec.values())) or 1.0
        out = np.zeros(len(entries))
        for k, (ix, ws, starts) in enumerate(rows):
            if len(starts):
                out[k] = max(0.0, float(np.add.reduceat(ws * q[ix], starts).max()) / qn)
        return out

    def _phrasing_rows(self, e: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Entry ``e``'s phrasings, L2-normalised, as one sparse matrix: feature ids, weights
        and the start of each phrasing's row."""
        cached = self._prows.get(e)
        if cached is None:
            fid = self._fid
            pvs = [pv for pv in self._phrasing_vecs[e] if pv]
            # a feature seen for the first time gets the next id (len(fid) before the insert)
            ix = np.fromiter((fid.setdefault(f, len(fid)) for pv in pvs for f in pv), np.int32)
            ws = np.fromiter((v for pv in pvs for v in pv.values()), np.float64, len(ix))
            sizes = np.fromiter((len(pv) for pv in pvs), np.intp, len(pvs))
            starts = np.cumsum(sizes) - sizes
            if len(pvs):
                norms = np.sqrt(np.add.reduceat(ws * ws, starts))
                ws /= np.repeat(np.where(norms > 0, norms, 1.0), sizes)
            cached = self._prows[e] = (ix, ws, starts)
        return cached

    def _coverage(self, stem_keys: list[tuple[str, ...]], e: int) -> float:
        """Share of the query's content words that entry ``e`` has (as a stem, a concept or
        a skeleton)."""
        if not stem_keys:
            return 0.0
        keys = self._entry_keys[e]
        return sum(1 for ks in stem_keys if not keys.isdisjoint(ks)) / len(stem_keys)

    def rank(self, query: str, k: int = 3) -> list[Match]:
        """The ``k`` best entries for ``query``, best first (empty when nothing overlaps)."""
        if not self.entry_ids or k <= 0:
            return []
        stems = self._query_stems(query)
        qvec = self._query_vector(query, stems)
        if not qvec:
            return []
        stem_keys = [coverage_keys(st) for st in stems]
        scores = self._scores(qvec)
        nearest: dict[int, float] = {}
        first = scores
        if NEAREST_WEIGHT:
            n = min(NEAREST_CANDIDATES, len(scores))
            near = (
                np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(n)
            ).tolist()
            cos = self._nearest(qvec, near)
            scores[near] += NEAREST_WEIGHT * cos**NEAREST_POWER
            nearest = dict(zip(near, cos.tolist(), strict=True))
            if ALIGN_WEIGHT or REVERSE_WEIGHT:  # re-orders the ten; the probability stays
                first, scores = scores, scores.copy()  # the first pass's
                # only those that could still reach the k best (the k best only gain)
                kth = np.sort(scores[near])[-min(k, len(near))]
                close = [e for e in near if scores[e] + ALIGN_WEIGHT + REVERSE_WEIGHT >= kth]
                if len(close) > 1:
                    forward, reverse = self._aligner.both(stems, close)
                    scores[close] += ALIGN_WEIGHT * forward + REVERSE_WEIGHT * reverse
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        probs = np.exp((first - first.max()) / TEMPERATURE)
        probs /= probs.sum()
        return [
            Match(
                self.entry_ids[e],
                round(self._similarity(qvec, e, nearest.get(e)), 4),
                round(float(probs[e]), 4),
                round(self._coverage(stem_keys, e), 4),
            )
            for e in top.tolist()
        ]

    def decide(self, query: str) -> Decision:
        """Answer, suggest or hand over, with the ranked matches (see module docstring)."""
        matches = self.rank(query, k=SUGGEST_COUNT)
        if not matches:
            return Decision("handover", [])
        best = matches[0]
        if (
            best.probability >= ANSWER_MIN_PROBABILITY
            and best.score >= ANSWER_MIN_SIMILARITY
            and best.coverage >= ANSWER_MIN_COVERAGE
        ):
            return Decision("answer", matches)
        if best.score >= SUGGEST_MIN_SIMILARITY and best.coverage >= SUGGEST_MIN_COVERAGE:
            return Decision("suggest", matches)
        return Decision("handover", matches)
