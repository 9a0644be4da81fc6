"""Arabic FAQ matching (Telegram-free): normalisation, few-shot matcher, evaluation.

    from bot.domain.faq import FaqMatcher
    matcher = FaqMatcher.build([("register", ["كيف أسجل؟", "طريقة التسجيل"]), ...])
    decision = matcher.decide("ابغى اسجل")      # Decision(kind="answer"|"suggest"|"handover", matches)
    matcher.rank("ابغى اسجل", k=3)              # [Match(entry_id, score, probability, coverage)]

See docs/faq-matching.md.
"""

from bot.domain.faq.matcher import Decision, FaqMatcher, Match
from bot.domain.faq.normalize import analyze, normalize

__all__ = ["Decision", "FaqMatcher", "Match", "analyze", "normalize"]
