"""What the association does not offer: a question that names a kind of help the profile's
services do not mention ("كيف أقدم على مساعدة مالية؟" at a food bank) is told so kindly, with
what the association does offer, instead of getting the nearest FAQ answer.

    kind = unoffered(question, offered_text)   # -> a Kind or None

``offered_text`` is what the association offers, in words: its services' titles, descriptions
and eligibility (``bot.features.inquiries`` passes it from the profile). A kind counts as
offered when one of its words appears there. The word lists are general vocabulary of the
help Saudi charities are asked for (MSA and Gulf forms), matched on normalised text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.domain.faq.normalize import normalize
from bot.i18n import N_

__all__ = ["KINDS", "Kind", "unoffered"]


@dataclass(frozen=True)
class Kind:
    id: str
    label: str  # an English msgid: "financial aid"
    words: tuple[str, ...]  # normalised forms (ة→ه, أ→ا, ى→ي)


KINDS: tuple[Kind, ...] = (
    Kind(
        "financial",
        N_("financial aid"),
        (
            "مساعده ماليه",
            "مساعدات ماليه",
            "دعم مالي",
            "اعانه ماليه",
            "اعانات ماليه",
            "معونه ماليه",
            "مساعده نقديه",
            "مساعدات نقديه",
            "دعم نقدي",
            "مبلغ مالي",
            "فلوس",
            "بيزات",
            "كاش",
            "سلفه",
            "مصروف شهري",
            "راتب شهري",
        ),
    ),
    Kind(
        "rent",
        N_("help with rent"),
        ("ايجار", "الايجار", "اجار البيت", "اجار الشقه", "سداد الايجار"),
    ),
    Kind(
        "bills",
        N_("paying bills"),
        ("فاتوره الكهرباء", "فواتير الكهرباء", "فاتوره الماء", "فواتير", "سداد فاتوره"),
    ),
    Kind(
        "debts",
        N_("paying off debts or loans"),
        ("ديون", "سداد دين", "سداد الدين", "قرض", "قروض", "مديون", "متعثر"),
    ),
    Kind(
        "medical",
        N_("medical treatment"),
        ("علاج", "عمليه جراحيه", "ادويه", "مستشفى", "تكاليف العلاج", "نظارات طبيه"),
    ),
    Kind(
        "education",
        N_("school or university fees"),
        ("رسوم دراسيه", "الرسوم الدراسيه", "رسوم الجامعه", "اقساط المدرسه", "رسوم المدرسه"),
    ),
    Kind(
        "marriage",
        N_("marriage assistance"),
        ("مساعده زواج", "اعانه زواج", "تكاليف الزواج", "مهر", "تيسير الزواج"),
    ),
    Kind(
        "furniture", N_("furniture and appliances"), ("اثاث", "مكيف", "ثلاجه", "غساله", "فرش البيت")
    ),
    Kind("housing", N_("housing"), ("سكن خيري", "اسكان", "ترميم البيت", "ترميم منزل", "بناء بيت")),
    Kind("jobs", N_("finding a job"), ("وظيفه", "توظيف", "ابي اشتغل", "ابغى اشتغل", "فرصه عمل")),
)

_DONOR = re.compile(r"(?:^|\s)(?:[وف]?(?:ا?تبرع|متبرع|ساتبرع|نتبرع|التبرع|تبرعات))")


def _has(text: str, word: str) -> bool:
    return re.search(rf"(?:^|\s)(?:[وفبل]|ال|بال|وال)?{re.escape(word)}(?:\s|$)", text) is not None


@lru_cache(maxsize=256)
def _normalized(offered_text: str) -> str:
    """What the association offers, normalised once: the same few texts (its services, an
    entry's answer) come back with every question."""
    return " ".join(normalize(offered_text).split())


def unoffered(question: str, offered_text: str) -> Kind | None:
    """The first kind of help ``question`` names that ``offered_text`` does not mention; None
    when it names none, or when it is about giving (a donor's question)."""
    q = " ".join(normalize(question).split())
    if not q or _DONOR.search(q):
        return None
    offered = _normalized(offered_text)
    for kind in KINDS:
        if any(_has(q, w) for w in kind.words) and not any(_has(offered, w) for w in kind.words):
            return kind
    return None
