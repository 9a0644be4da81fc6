"""Help the association does not offer (bot/domain/faq/offered.py)."""

from __future__ import annotations

from bot.domain.faq.offered import unoffered

FOOD_BANK = "طلب دعم غذائي للأسرة. تقدّم الجمعية للأسر المستحقة وجبات وسلالًا غذائية."


def test_named_help_that_is_not_offered() -> None:
    assert unoffered("كيف أقدم على مساعدة مالية؟", FOOD_BANK).id == "financial"
    assert unoffered("ابي فلوس ضروري", FOOD_BANK).id == "financial"
    assert unoffered("تقدرون تساعدوني بالإيجار؟", FOOD_BANK).id == "rent"
    assert unoffered("عندكم علاج للوالدة", FOOD_BANK).id == "medical"


def test_offered_or_unnamed_help_and_donors_pass() -> None:
    assert unoffered("كيف اسجل بالسلة الغذائية", FOOD_BANK) is None
    assert unoffered("متى الدوام", FOOD_BANK) is None
    assert unoffered("ابغى اتبرع بفلوس", FOOD_BANK) is None
    assert unoffered("كيف أقدم على مساعدة مالية؟", FOOD_BANK + " ومساعدات مالية للأسر") is None
