"""faq-export: learned phrasings appended to the profile YAML, comments and layout kept."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.domain.faq.export import add_phrasings

KHAIRAT = Path(__file__).resolve().parents[2] / "profiles" / "khairat.yaml"


def _entries(text: str) -> dict[str, dict]:
    return {e["id"]: e for e in yaml.safe_load(text)["faq"]["entries"]}


def test_export_appends_to_lists_and_creates_missing_ones() -> None:
    text = KHAIRAT.read_text(encoding="utf-8")
    before = _entries(text)
    first, *_ = before
    bare = (
        next(e for e, v in before.items() if not v.get("phrasings"))
        if any(not v.get("phrasings") for v in before.values())
        else None
    )
    learned = {
        first: ["متى أقدر أعرف عن الجمعية", before[first]["phrasings"][0]],
        "no-such-entry": ["كلام"],
    }
    if bare:
        learned[bare] = ['سؤال فيه "علامات" و: نقطتين']
    existing = {k: [*(v.get("phrasings") or [])] for k, v in before.items()}
    out, added = add_phrasings(text, learned, existing)
    assert added == 1 + (1 if bare else 0)
    after = _entries(out)
    assert after[first]["phrasings"] == [*before[first]["phrasings"], "متى أقدر أعرف عن الجمعية"]
    if bare:
        assert after[bare]["phrasings"] == ['سؤال فيه "علامات" و: نقطتين']
    for k in before:
        if k not in (first, bare):
            assert after[k] == before[k]
    assert out.count("#") == text.count("#")  # comments kept


def test_export_of_nothing_changes_nothing() -> None:
    text = KHAIRAT.read_text(encoding="utf-8")
    assert add_phrasings(text, {}, {}) == (text, 0)


def test_export_creates_a_list_for_an_entry_without_one() -> None:
    text = (
        "faq:\n  entries:\n    # one\n    - id: a\n      category: c\n"
        "      question: {ar: سؤال}\n      answer: |-\n        جواب\n\n"
        "    - id: b\n      category: c\n      question: {ar: ثان}\n"
        "      phrasings:\n        - قديم\n      answer: جواب\n"
    )
    out, added = add_phrasings(text, {"a": ['جديد "مقتبس"'], "b": ["آخر"]}, {"b": ["قديم"]})
    assert added == 2
    got = _entries(out)
    assert got["a"]["phrasings"] == ['جديد "مقتبس"'] and got["a"]["answer"] == "جواب"
    assert got["b"]["phrasings"] == ["قديم", "آخر"] and got["b"]["answer"] == "جواب"
    assert "# one" in out


def test_export_appends_new_entries_that_load() -> None:
    from bot.domain.faq.export import NewEntry, add_entries

    text = KHAIRAT.read_text(encoding="utf-8")
    before = _entries(text)
    known = next(iter(before))
    new = [
        NewEntry(
            "staff-7", "about", 'هل توجد "مواقف"؟', "نعم، خلف المبنى: &lt;ب&gt;", ["وين اوقف"]
        ),
        NewEntry(known, "about", "مكرر", "مكرر"),
    ]
    out, added = add_entries(text, new, set(before))
    assert added == 1
    after = _entries(out)
    assert list(after)[:-1] == list(before) and after[known] == before[known]
    assert after["staff-7"] == {
        "id": "staff-7",
        "category": "about",
        "question": {"ar": 'هل توجد "مواقف"؟'},
        "phrasings": ["وين اوقف"],
        "answer": {"ar": "نعم، خلف المبنى: &lt;ب&gt;"},
    }
    assert add_entries(text, [], set(before)) == (text, 0)
    assert out.count("#") == text.count("#")
