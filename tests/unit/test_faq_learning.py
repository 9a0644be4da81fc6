"""Learned phrasings: incremental add/remove in the matcher, scrubbing before learning."""

from __future__ import annotations

from bot.domain.faq.learning import learn, learnable, scrub_question, search
from bot.domain.faq.matcher import FaqMatcher

ENTRIES = [
    ("register", ["كيف أسجل في الجمعية؟", "طريقة التسجيل كمستفيد"]),
    ("food", ["متى توزع السلال الغذائية؟", "موعد توزيع السلة الغذائية"]),
    ("hours", ["ما أوقات الدوام؟", "متى تفتحون؟"]),
    ("docs", ["ما المستندات المطلوبة؟", "وش الأوراق اللي أحتاجها"]),
]


def test_add_phrasing_is_used_at_once_and_matches_a_rebuild() -> None:
    m = FaqMatcher.build(ENTRIES)
    q = "ابي كوبون التموين الشهري"
    before = m.rank(q, k=1)
    assert not before or before[0].entry_id != "food" or before[0].score < 0.5
    assert m.add_phrasing("food", "وش صار على كوبون التموين الشهري")
    assert m.rank(q, k=1)[0].entry_id == "food"
    rebuilt = FaqMatcher.build([(e, m.phrasings(e)) for e in m.entry_ids])
    for query in (q, "كيف اسجل", "متى الدوام", "الاوراق المطلوبه"):
        a, b = m.rank(query, k=4), rebuilt.rank(query, k=4)
        assert [x.entry_id for x in a][:1] == [x.entry_id for x in b][:1]
        assert abs(a[0].score - b[0].score) < 0.05


def test_remove_phrasing_restores_the_built_index() -> None:
    m = FaqMatcher.build(ENTRIES)
    fresh = FaqMatcher.build(ENTRIES)
    text = "وش صار على كوبون التموين الشهري"
    assert m.add_phrasing("food", text)
    assert not m.add_phrasing("food", text)  # known already
    assert not m.add_phrasing("nope", text)  # unknown entry
    assert m.remove_phrasing("food", text)
    assert not m.remove_phrasing("food", text)
    assert m.phrasings("food") == fresh.phrasings("food")
    for query in ("ابي كوبون التموين", "كيف اسجل", "متى الدوام"):
        a, b = m.rank(query, k=4), fresh.rank(query, k=4)
        assert [(x.entry_id, x.score) for x in a] == [(x.entry_id, x.score) for x in b]


def test_scrub_removes_ids_mobiles_emails_links_and_names() -> None:
    text = (
        "انا محمد العتيبي هويتي 1098765432 وجوالي +966 55 123 4567 "
        "وايميلي a.b@example.com ابغى اعرف متى توزيع السلة https://x.y/z @someone"
    )
    s = scrub_question(text)
    for bad in ("1098765432", "966", "4567", "@", "example", "https", "محمد", "العتيبي", "someone"):
        assert bad not in s
    assert "ابغى اعرف متى توزيع السلة" in s
    assert scrub_question("اسمي سارة بنت خالد ابي اعرف الدوام") == "ابي اعرف الدوام"
    assert "٠٥٥١٢٣٤٥٦٧" not in scrub_question("رقمي ٠٥٥١٢٣٤٥٦٧ متى الدوام")


def test_learn_scrubs_and_refuses_what_is_left_empty() -> None:
    m = FaqMatcher.build(ENTRIES)
    assert learn(m, "hours", "1098765432") is None
    assert learnable("0551234567 شكرا") is None
    stored = learn(m, "hours", "جوالي 0551234567 متى تفتحون بكرة الصبح")
    assert stored == "جوالي متى تفتحون بكرة الصبح"
    assert stored in m.phrasings("hours")
    assert learn(m, "missing", "متى تفتحون بكرة") is None


def test_a_new_entry_is_added_at_once_and_ranks_like_a_rebuild() -> None:
    m = FaqMatcher.build(ENTRIES)
    q = "هل يوجد مواقف سيارات عند المقر"
    assert all(x.entry_id != "parking" for x in m.rank(q, k=4))
    assert m.add_entry("parking", ["هل توجد مواقف سيارات للمراجعين؟"])
    assert not m.add_entry("parking", ["مرة ثانية"])  # known id
    assert not m.add_entry("empty", ["؟؟"])  # no content word
    assert m.decide(q).kind == "answer" and m.decide(q).matches[0].entry_id == "parking"
    assert not m.remove_phrasing("parking", "هل توجد مواقف سيارات للمراجعين؟")  # its own
    assert m.add_phrasing("parking", "وين اوقف سيارتي")
    rebuilt = FaqMatcher.build([(e, m.phrasings(e)) for e in m.entry_ids])
    for query in (q, "وين اوقف السياره", "كيف اسجل", "متى الدوام"):
        a, b = m.rank(query, k=5), rebuilt.rank(query, k=5)
        assert [x.entry_id for x in a][:1] == [x.entry_id for x in b][:1]


def test_a_taught_near_duplicate_beats_an_entry_sharing_its_words() -> None:
    # "food" has a phrasing with nearly the same words; staff taught the question to "hours"
    m = FaqMatcher.build(ENTRIES)
    q = "موعد توزيع السلة متى"
    assert m.rank(q, k=1)[0].entry_id == "food"
    learn(m, "hours", q)
    assert m.rank(q, k=1)[0].entry_id == "hours"


def test_adding_a_phrasing_recomputes_only_its_entry(monkeypatch) -> None:
    m = FaqMatcher.build(ENTRIES)
    others = {e: dict(m._entry_vecs[i]) for i, e in enumerate(m.entry_ids) if e != "food"}
    pooled: list[int] = []
    real = m._pool
    monkeypatch.setattr(m, "_pool", lambda e: (pooled.append(e), real(e))[1])
    monkeypatch.setattr(FaqMatcher, "build", None)  # no rebuild behind the scenes
    assert m.add_phrasing("food", "وش صار على كوبون التموين الشهري")
    assert pooled == [m.entry_ids.index("food")]
    assert {e: m._entry_vecs[m.entry_ids.index(e)] for e in others} == others


def test_search_by_words_ranks_like_the_matcher_and_finds_nothing_for_unknown_words() -> None:
    m = FaqMatcher.build(ENTRIES)
    assert search(m, "اوقات الدوام")[0].entry_id == "hours"  # «أوقات» spelt without hamza
    assert search(m, "الاوراق المطلوبه")[0].entry_id == "docs"
    assert search(m, "زرافة بنفسجية") == []  # n-grams overlap, no word does
    assert search(m, "   ") == [] and search(None, "اوقات الدوام") == []
    assert len(search(m, "الجمعية", k=1)) <= 1
