"""Rewrite labelled questions into Gulf (Saudi) forms by rule, to measure dialect robustness.

    python bench/gulf_rewrite.py --in VAL.csv --out /tmp/val_gulf.csv [--sample 1500] [--seed 0]

Each MSA (or Levantine) word or phrase below is replaced by one of its everyday Gulf forms
(Najdi, Hijazi, Eastern, Southern), drawn with the seed; the question mark is dropped half of
the time, as people do in chat. The rules are general knowledge of the dialects, written
without looking at any Saudi test file. They are NOT independent of bot/domain/faq/dialects.py
(the same person wrote both), so the figure measures how well the folding copes with the
forms it was written for, plus the variety of the draw — an upper bound, not a substitute
for real Saudi questions. Only rows the rules changed are written out.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RULES: list[tuple[str, tuple[str, ...]]] = [
    # phrases first
    ("لا أستطيع", ("ما أقدر", "ماقدر", "ما اقدر")),
    ("لا يمكنني", ("ما أقدر", "ما يمدي", "ما اقدر")),
    ("كيف يمكنني", ("كيف أقدر", "شلون أقدر", "كيف اقدر")),
    ("هل يمكنني", ("أقدر", "ينفع", "يمدي")),
    ("هل يمكن", ("ينفع", "يمدي", "يصير")),
    ("لم يصل", ("ما وصل", "ماوصل", "للحين ما وصل")),
    ("لم تصل", ("ما وصلت", "ماوصلت")),
    ("لم أستلم", ("ما استلمت", "ما وصلني", "ماجاني")),
    ("ماذا حدث", ("وش صار", "ايش صار", "شصار")),
    ("ما هو", ("وش هو", "ايش هو", "وشو")),
    ("ما هي", ("وش هي", "ايش هي", "وشهي")),
    ("أريد أن", ("أبغى", "ابي", "ودي")),
    ("أود أن", ("أبغى", "ابي", "ودي")),
    ("أحتاج إلى", ("أبي", "محتاج", "ابغى")),
    ("الخاصة بي", ("حقتي", "حقي")),
    ("الخاص بي", ("حقي",)),
    ("حتى الآن", ("للحين", "لين الحين")),
    # words
    ("ماذا", ("وش", "ايش", "شنو")),
    ("أريد", ("أبغى", "ابي", "أبغا", "ودي")),
    ("اريد", ("ابغى", "ابي", "ابغا")),
    ("بدي", ("ابغى", "ابي")),
    ("لماذا", ("ليش", "ليه", "وراه")),
    ("ليش", ("ليش", "ليه")),
    ("أين", ("وين",)),
    ("كيف", ("كيف", "شلون", "كيف")),
    ("متى", ("متى", "ايمتى", "متى")),
    ("الآن", ("الحين", "ذحين", "دحين")),
    ("هلأ", ("الحين", "ذحين")),
    ("هلق", ("الحين",)),
    ("المال", ("الفلوس", "البيزات")),
    ("مال", ("فلوس",)),
    ("مصاري", ("فلوس",)),
    ("شو", ("وش", "ايش")),
    ("مش", ("مو", "مب")),
    ("ليس", ("مو", "مب")),
    ("لدي", ("عندي",)),
    ("يوجد", ("فيه",)),
    ("هذا", ("هذا", "ذا")),
    ("هذه", ("هذي", "ذي")),
    ("جيد", ("زين",)),
    ("أستطيع", ("أقدر", "اقدر")),
    ("يمكنني", ("أقدر", "يمديني")),
    ("لم", ("ما",)),
    ("تبعي", ("حقي",)),
    ("تبعتي", ("حقتي",)),
    ("كثيرا", ("وايد", "مره")),
    ("فقط", ("بس",)),
    ("أيضا", ("بعد",)),
    ("هل", ("", "")),
    # everyday Saudi words for the things asked about
    ("بطاقتي", ("كرتي", "بطاقتي", "كرت الصراف حقي")),
    ("البطاقة", ("الكرت", "البطاقة")),
    ("بطاقة", ("كرت", "بطاقة")),
    ("الصراف الآلي", ("الصراف", "المكينة", "مكينة الصراف")),
    ("جهاز الصراف", ("المكينة", "الصراف")),
    ("التحويل", ("الحوالة", "التحويل")),
    ("تحويل", ("حوالة", "تحويل")),
    ("أموالي", ("فلوسي",)),
    ("أموال", ("فلوس",)),
    ("خصم", ("انخصم", "خصم")),
    ("تأخر", ("تأخر", "طول", "بطى")),
]

_WORD = r"(?<![\w])({})(?![\w])"


def rewrite(text: str, rng: random.Random) -> str:
    for src, forms in RULES:
        pattern = re.compile(_WORD.format(re.escape(src)))
        text = pattern.sub(lambda _m, forms=forms: rng.choice(forms), text)
    if rng.random() < 0.5:
        text = text.replace("؟", "").replace("?", "")
    return " ".join(text.split())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--in", dest="src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sample", type=int, default=0, help="rows drawn before rewriting (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--originals", help="also write the same rows unchanged here (a baseline)")
    args = ap.parse_args(argv)
    with open(args.src, encoding="utf-8-sig", newline="") as fh:
        rows = [(r["label"], r["text"]) for r in csv.DictReader(fh)]
    rng = random.Random(args.seed)
    if args.sample:
        rows = rng.sample(rows, min(args.sample, len(rows)))
    kept = 0
    orig = open(args.originals, "w", encoding="utf-8", newline="") if args.originals else None
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "text"])
        wo = csv.writer(orig) if orig else None
        if wo:
            wo.writerow(["label", "text"])
        for label, text in rows:
            new = rewrite(text, rng)
            if new != " ".join(text.split()):
                w.writerow([label, new])
                if wo:
                    wo.writerow([label, text])
                kept += 1
    if orig:
        orig.close()
    print(f"{kept} of {len(rows)} rows rewritten into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
