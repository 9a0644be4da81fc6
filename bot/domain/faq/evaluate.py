"""Few-shot evaluation of the FAQ matcher on labelled question files.

    python -m bot.domain.faq.evaluate --train TRAIN.csv --test TEST.csv [--per-intent 5]
                               [--out-of-scope 10] [--seed 0] [--learn 0]

Both CSVs have the columns ``label,text``. The FAQ is built from ``per_intent`` random
phrasings of every label of the train file (seeded); ``out_of_scope`` whole labels (seeded) are
left out of the FAQ, so their test questions must not be answered. Every test question goes
through exactly :meth:`FaqMatcher.decide`, and the result is one JSON line:

* ``top1`` / ``top3`` — in-scope questions whose label is ranked first / in the first three;
* ``answered_correct`` / ``answered_wrong`` / ``suggested`` / ``handed_over`` — what the bot
  does with in-scope questions (these four rates add up to 1). ``suggested`` counts every
  "suggest" decision whether or not the right entry is among the suggestions;
  ``suggested_with_correct`` is the share of in-scope questions that got a suggestion list
  containing the right entry (a subset of ``suggested``);
* ``out_of_scope_answered`` / ``out_of_scope_suggested`` / ``out_of_scope_handed_over`` — the
  same for questions whose label was left out of the FAQ;
* ``ms_per_query`` — mean wall time of ``decide`` per question; ``build_s`` — index build time;
* ``n_in_scope``, ``n_out_of_scope``, ``n_entries``.

``--learn L``: before evaluating, ``L`` questions of every in-scope label are drawn from the
*test* file (seeded) and taught to the matcher as staff-confirmed phrasings through
:func:`bot.domain.faq.learning.learn` — the bot's own path, scrubbing included, one incremental
:meth:`FaqMatcher.add_phrasing` each; those questions are then left out of the evaluation
(``learned`` counts the phrasings taught, ``learn_ms`` the mean time of one).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from bot.domain.faq.learning import learn as learn_phrasing
from bot.domain.faq.matcher import FaqMatcher

__all__ = ["build_faq", "load_csv", "main", "run_eval", "split_learned"]


def load_csv(path: str | Path) -> list[tuple[str, str]]:
    """Rows ``(label, text)`` of a ``label,text`` CSV (UTF-8, header required)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"label", "text"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected columns label,text, got {reader.fieldnames}")
        return [(r["label"].strip(), r["text"]) for r in reader if r["label"] and r["text"]]


def build_faq(
    train: Sequence[tuple[str, str]], per_intent: int, out_of_scope: int, seed: int
) -> tuple[list[tuple[str, list[str]]], set[str]]:
    """Sample the FAQ: ``per_intent`` phrasings per label, minus ``out_of_scope`` whole labels.

    Returns ``(entries, held_out_labels)``. Deterministic for a given ``seed``.
    """
    by_label: dict[str, list[str]] = defaultdict(list)
    for label, text in train:
        by_label[label].append(text)
    labels = sorted(by_label)
    if out_of_scope >= len(labels):
        raise ValueError(f"out_of_scope={out_of_scope} leaves no label in the FAQ")
    rng = random.Random(seed)
    held_out = set(rng.sample(labels, out_of_scope)) if out_of_scope > 0 else set()
    entries = []
    for label in labels:
        texts = sorted(set(by_label[label]))
        phrasings = rng.sample(texts, min(per_intent, len(texts)))
        if label not in held_out:
            entries.append((label, phrasings))
    return entries, held_out


def split_learned(
    test: Sequence[tuple[str, str]], known: set[str], per_label: int, seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(rest, taught)``: ``per_label`` rows of every label in ``known`` drawn from ``test``
    with ``seed`` (in the file's order, shuffled per label), and the other rows."""
    rng = random.Random(f"learn-{seed}")
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, (label, _) in enumerate(test):
        if label in known:
            by_label[label].append(i)
    chosen: set[int] = set()
    for label in sorted(by_label):
        rows = by_label[label]
        chosen.update(rng.sample(rows, min(per_label, len(rows))))
    taught = [test[i] for i in sorted(chosen)]
    rest = [row for i, row in enumerate(test) if i not in chosen]
    return rest, taught


def run_eval(
    train_csv: str | Path,
    test_csv: str | Path,
    per_intent: int = 5,
    out_of_scope: int = 10,
    seed: int = 0,
    *,
    learn: int = 0,
    verbose: bool = False,
) -> dict:
    """Build a few-shot FAQ from ``train_csv`` and run every ``test_csv`` row through ``decide``."""
    train = load_csv(train_csv)
    test = load_csv(test_csv)
    entries, held_out = build_faq(train, per_intent, out_of_scope, seed)
    known = {label for label, _ in entries}

    t0 = time.perf_counter()
    matcher = FaqMatcher.build(entries)
    build_s = time.perf_counter() - t0

    learned = 0
    learn_s = 0.0
    if learn > 0:
        test, taught = split_learned(test, known, learn, seed)
        for label, text in taught:
            t = time.perf_counter()
            learned += learn_phrasing(matcher, label, text) is not None
            learn_s += time.perf_counter() - t

    ins = {
        "top1": 0,
        "top3": 0,
        "answer_ok": 0,
        "answer_bad": 0,
        "suggest": 0,
        "suggest_ok": 0,
        "handover": 0,
    }
    oos = {"answer": 0, "suggest": 0, "handover": 0}
    n_in = n_out = 0
    elapsed = 0.0
    for label, text in test:
        if label not in known and label not in held_out:
            continue  # a label the train file does not have: neither in scope nor held out
        t = time.perf_counter()
        decision = matcher.decide(text)
        elapsed += time.perf_counter() - t
        if label in held_out:
            n_out += 1
            oos[decision.kind] += 1
            continue
        n_in += 1
        ranked = [m.entry_id for m in decision.matches]  # decide() keeps its top 3
        if ranked[:1] == [label]:
            ins["top1"] += 1
        if label in ranked[:3]:
            ins["top3"] += 1
        if decision.kind == "answer":
            ins["answer_ok" if decision.matches[0].entry_id == label else "answer_bad"] += 1
        elif decision.kind == "suggest":
            ins["suggest"] += 1
            ins["suggest_ok"] += label in ranked[:3]
        else:
            ins["handover"] += 1
        if verbose and decision.kind == "answer" and decision.matches[0].entry_id != label:
            print(f"WRONG {label} <- {text!r} -> {decision.matches[0]}", file=sys.stderr)

    def rate(x: int, n: int) -> float:
        return round(x / n, 4) if n else 0.0

    n_all = n_in + n_out
    return {
        "top1": rate(ins["top1"], n_in),
        "top3": rate(ins["top3"], n_in),
        "answered_correct": rate(ins["answer_ok"], n_in),
        "answered_wrong": rate(ins["answer_bad"], n_in),
        "suggested": rate(ins["suggest"], n_in),
        "suggested_with_correct": rate(ins["suggest_ok"], n_in),
        "handed_over": rate(ins["handover"], n_in),
        "out_of_scope_answered": rate(oos["answer"], n_out),
        "out_of_scope_suggested": rate(oos["suggest"], n_out),
        "out_of_scope_handed_over": rate(oos["handover"], n_out),
        "ms_per_query": round(elapsed / n_all * 1000, 3) if n_all else 0.0,
        "build_s": round(build_s, 3),
        "n_in_scope": n_in,
        "n_out_of_scope": n_out,
        "n_entries": len(entries),
        "per_intent": per_intent,
        "out_of_scope": out_of_scope,
        "seed": seed,
        "learn": learn,
        "learned": learned,
        "learn_ms": round(learn_s / learned * 1000, 3) if learned else 0.0,
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mustafeed faq-eval",
        description="Few-shot evaluation of the FAQ matcher (prints one JSON line).",
    )
    p.add_argument("--train", required=True, help="CSV with columns label,text (FAQ source)")
    p.add_argument("--test", required=True, help="CSV with columns label,text (queries)")
    p.add_argument("--per-intent", type=int, default=5, help="phrasings per label in the FAQ")
    p.add_argument("--out-of-scope", type=int, default=10, help="labels left out of the FAQ")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--learn",
        type=int,
        default=0,
        metavar="L",
        help="teach L test questions per in-scope label first (staff-confirmed "
        "phrasings, scrubbed) and evaluate on the other questions",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    result = run_eval(
        args.train, args.test, args.per_intent, args.out_of_scope, args.seed, learn=args.learn
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
