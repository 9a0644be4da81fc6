"""Drafted FAQ entries in the running profile: a copy with the entry appended, indexes fresh."""

from __future__ import annotations

from pathlib import Path

from bot.domain.faq.drafts import entry_id, with_entries
from bot.profile import load_profile
from storage.models import FaqDraft

KHAIRAT = Path(__file__).resolve().parents[2] / "profiles" / "khairat.yaml"


def test_an_approved_draft_is_an_entry_of_a_copy_of_the_profile() -> None:
    profile = load_profile(KHAIRAT)
    first = profile.faq.entries[0]
    assert profile.faq_entry(first.id) is first  # the index is computed (cached) before
    row = FaqDraft(id=7, question="هل توجد مواقف؟", answer="نعم <خلف> المبنى", category="about")
    stray = FaqDraft(id=8, question="سؤال", answer="جواب", category="no-such-category")
    served = with_entries(profile, [row, stray])
    entry = served.faq_entry(entry_id(row))
    assert (
        entry is not None and entry.id == "staff-7" and entry.answer.ar == "نعم &lt;خلف&gt; المبنى"
    )
    assert served.faq.entries[:-1] == profile.faq.entries  # appended: other indexes stay
    assert served.faq_entries("about")[-1] is entry
    assert served.faq_entry("staff-8") is None  # its category is gone
    assert profile.faq_entry("staff-7") is None and len(profile.faq.entries) + 1 == len(
        served.faq.entries
    )
    assert with_entries(served, [row]) is served  # known already: nothing to add
