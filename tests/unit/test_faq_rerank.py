"""Soft token alignment re-rank of the best FAQ entries (bot/domain/faq/rerank.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.domain.faq import matcher as matcher_module
from bot.domain.faq.matcher import FaqMatcher
from bot.domain.faq.rerank import SoftAligner, stem_grams
from bot.domain.faq.synonyms import concepts
from bot.domain.faq.terms import skeleton

ENTRIES = [
    ("register", ["كيف أسجل في الجمعية؟", "طريقة التسجيل كمستفيد"]),
    ("food", ["متى توزع السلال الغذائية؟", "موعد توزيع السلة الغذائية"]),
    ("hours", ["ما أوقات الدوام؟", "متى تفتحون؟"]),
    ("docs", ["ما المستندات المطلوبة؟", "وش الأوراق اللي أحتاجها"]),
    ("card", ["متى تصل البطاقة", "تفعيل بطاقة التموين"]),
]


def _similarity(a: str, b: str) -> float:
    """The definition, word pair by word pair."""
    if a == b:
        return 1.0
    if {skeleton(a), *concepts([a])} & {skeleton(b), *concepts([b])}:
        return 0.9
    ga, gb = stem_grams(a), stem_grams(b)
    dice = 2 * len(ga & gb) / (len(ga) + len(gb))
    return dice if dice >= 0.5 else 0.0


def _reference(query: list[str], entries: list[list[list[str]]], e: int) -> float:
    n = len(entries)
    df = {s: sum(1 for ph in entries if any(s in p for p in ph)) for s in query}
    w = [math.log((1 + n) / (1 + df[s])) + 1.0 for s in query]
    best = 0.0
    for p in entries[e]:
        if p:
            got = sum(
                wi * max(_similarity(s, t) for t in p) for s, wi in zip(query, w, strict=True)
            )
            best = max(best, got / sum(w))
    return best


def _reverse_reference(query: list[str], entries: list[list[list[str]]], e: int) -> float:
    """The reverse alignment, word pair by word pair: each word of a phrasing → its best match
    in the question, IDF-weighted over the phrasing's words; the entry's best phrasing."""
    n = len(entries)

    def idf(t: str) -> float:
        return math.log((1 + n) / (1 + sum(1 for ph in entries if any(t in p for p in ph)))) + 1

    best = 0.0
    for p in entries[e]:
        if p:
            got = sum(idf(t) * max(_similarity(s, t) for s in query) for t in p)
            best = max(best, got / sum(idf(t) for t in p))
    return best


PHRASINGS = [
    [["بطاق", "وصل"], ["تفعيل", "بطاق", "تموين"]],
    [["سجل", "جمعي"], ["طريق", "تسجيل", "مستفيد"], []],
    [["موعد", "توزيع", "سل", "غذائي"]],
]


def _aligner(phrasings: list[list[list[str]]]) -> SoftAligner:
    a = SoftAligner()
    for e, rows in enumerate(phrasings):
        a.new_entry()
        for stems in rows:
            a.add(e, stems)
    return a


@pytest.mark.parametrize(
    "query",
    [["بطاق", "وصل"], ["تسجيل", "بطاقات", "متى"], ["توزيع", "تموين"], ["مجهول"], ["سجل"]],
)
def test_scores_are_the_word_by_word_definition(query: list[str]) -> None:
    a = _aligner(PHRASINGS)
    got = a.scores(query, [2, 0, 1])
    want = [_reference(query, PHRASINGS, e) for e in (2, 0, 1)]
    assert np.allclose(got, want)


@pytest.mark.parametrize(
    "query",
    [["بطاق", "وصل"], ["تسجيل", "بطاقات", "متى"], ["توزيع", "تموين"], ["مجهول"], ["سجل"]],
)
def test_reverse_scores_are_the_word_by_word_definition(query: list[str]) -> None:
    a = _aligner(PHRASINGS)
    forward, reverse = a.both(query, [2, 0, 1])
    assert np.allclose(forward, a.scores(query, [2, 0, 1]))
    assert np.allclose(reverse, [_reverse_reference(query, PHRASINGS, e) for e in (2, 0, 1)])


def test_reverse_scores_with_many_stems() -> None:
    """More stems than the aligner first makes room for (its document frequencies grow)."""
    many = [[[f"كلم{chr(0x0628 + i)}{chr(0x0628 + j)}" for j in range(5)]] for i in range(20)]
    many.append(PHRASINGS[0])
    a = _aligner(many)
    query = ["كلمبب", "بطاق", "كلمتت"]
    _, reverse = a.both(query, list(range(len(many))))
    want = [_reverse_reference(query, many, e) for e in range(len(many))]
    assert np.allclose(reverse, want)


def test_equal_concept_and_character_overlap() -> None:
    a = _aligner([[["بطاق"]], [["كرت"]], [["بطاقات"]], [["سجل"]]])
    eq, concept, grams, nothing = a.scores(["بطاق"], [0, 1, 2, 3]).tolist()
    assert eq == 1.0 and concept == pytest.approx(0.9) and 0.5 <= grams < 0.9 and nothing == 0


def test_removing_a_phrasing_is_as_if_it_had_never_been_added() -> None:
    a = _aligner(PHRASINGS)
    query = ["تسجيل", "بطاق", "تموين"]
    a.scores(query, [0, 1, 2])  # fills the cache
    a.add(0, ["تسجيل", "بطاق"])
    assert a.scores(query, [0])[0] > _aligner(PHRASINGS).scores(query, [0])[0]
    a.remove(0, 2)
    assert np.allclose(a.scores(query, [0, 1, 2]), _aligner(PHRASINGS).scores(query, [0, 1, 2]))
    assert a.scores([], [0, 1]).tolist() == [0.0, 0.0]
    assert a.scores(query, []).tolist() == []


def test_the_matcher_keeps_its_aligner_in_step_with_its_phrasings() -> None:
    m = FaqMatcher.build(ENTRIES, learned={"card": ["وين الكرت حقي"]})
    m.add_entry("visit", ["متى تزورون البيت", "موعد زيارة الباحثة"])
    m.add_phrasing("food", "ابي السلة الشهرية")
    m.remove_phrasing("card", "وين الكرت حقي")
    a = m._aligner
    assert [len(a._phrasings[e]) for e in range(len(m))] == [
        len(m.phrasings(x)) for x in m.entry_ids
    ]
    e = m.entry_ids.index("card")
    stems = m._query_stems("وين الكرت حقي")
    assert a.scores(stems, [e])[0] < 1.0
    m.add_phrasing("card", "وين الكرت حقي")
    assert a.scores(stems, [e])[0] == pytest.approx(1.0)


class _Favour:
    """Stands in for the aligner: gives all its weight to one entry."""

    def __init__(self, entry: int) -> None:
        self.entry = entry

    def both(self, stems: list[str], entries: list[int]) -> tuple[np.ndarray, np.ndarray]:
        favour = np.asarray([1.0 if e == self.entry else 0.0 for e in entries])
        return favour, favour


def test_the_alignment_reorders_the_best_but_leaves_the_probabilities(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = FaqMatcher.build(ENTRIES)
    q = "متى توزيع السلة"
    monkeypatch.setattr(matcher_module, "ALIGN_WEIGHT", 0.0)
    monkeypatch.setattr(matcher_module, "REVERSE_WEIGHT", 0.0)
    plain = m.rank(q, k=5)
    assert plain[0].entry_id == "food"
    last = m.entry_ids.index(plain[-1].entry_id)
    monkeypatch.setattr(m, "_aligner", _Favour(last))
    monkeypatch.setattr(matcher_module, "ALIGN_WEIGHT", 1000.0)
    aligned = m.rank(q, k=5)
    assert aligned[0].entry_id == plain[-1].entry_id
    assert {x.entry_id: x.probability for x in aligned} == {
        x.entry_id: x.probability for x in plain
    }
    decision = m.decide(q)  # the new first is not confident enough to be answered
    assert decision.kind != "answer" and decision.matches[0].entry_id == plain[-1].entry_id


def test_a_short_phrasing_the_question_covers_wins_over_long_ones_that_contain_it() -> None:
    """«وصلت البطاقة؟» asks whether the card has arrived. Every word of it is in the long
    phrasings of "lost" too (the card came, then was lost), so the forward alignment and the
    first pass favour "lost"; read from the phrasing's side, «البطاقة لم تصل بعد» is almost all
    covered by the question and those long phrasings are not."""
    entries = [
        ("arrival", ["متى تصل البطاقة", "البطاقة لم تصل بعد", "كم يستغرق وصول بطاقة التموين"]),
        (
            "lost",
            [
                "بطاقتي وصلت قبل يومين لكنها ضاعت مني في السوق",
                "وصلت بطاقتي ثم فقدتها ولا اعرف اين هي",
                "ضاعت بطاقتي بعد ما وصلت للبيت",
                "سرقت بطاقتي بعد ان وصلت بيومين",
                "وصلتني البطاقة وضاعت من محفظتي",
            ],
        ),
        ("hours", ["ما أوقات الدوام؟", "متى تفتحون؟"]),
        ("docs", ["ما المستندات المطلوبة؟", "وش الأوراق اللي أحتاجها"]),
    ]
    m = FaqMatcher.build(entries)
    for q in ("وصلت البطاقة", "بطاقتي وصلت؟"):
        assert m.rank(q, k=2)[0].entry_id == "arrival"


def test_every_entry_is_ready_for_the_re_rank_once_built() -> None:
    """The phrasing rows (nearest-phrasing bonus) and the aligner's arrays of every entry are
    made at build, so that no question pays for them; each row is its phrasing's vector,
    L2-normalised, and an entry that changes gets its rows made again."""
    m = FaqMatcher.build(ENTRIES, learned={"card": ["وين الكرت حقي"]})
    assert set(m._prows) == set(range(len(m))) == set(m._aligner._cache)
    name = {i: f for f, i in m._fid.items()}
    for e in range(len(m)):
        ix, ws, starts = m._prows[e]
        vecs = [pv for pv in m._phrasing_vecs[e] if pv]
        rows = np.split(np.arange(len(ix)), starts[1:])
        assert len(rows) == len(vecs)
        for row, pv in zip(rows, vecs, strict=True):
            norm = math.sqrt(sum(v * v for v in pv.values()))
            got = {name[int(ix[j])]: float(ws[j]) for j in row}
            assert got == pytest.approx({f: v / norm for f, v in pv.items()})
    e = m.entry_ids.index("food")
    m.add_phrasing("food", "ابي السلة الشهرية")
    assert e not in m._prows
    assert m.rank("ابي السلة الشهرية", k=1)[0].entry_id == "food"
    assert e in m._prows and len(m._prows[e][2]) == len(m.phrasings("food"))
