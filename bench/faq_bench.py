"""Speed and memory of the FAQ matcher with a large FAQ (default 1,000 entries × 5 phrasings).

Entries are synthesised from the ArBanking77 train file: each label's phrasings are cut into
chunks of 5, and 1,000 chunks (round-robin over the labels) become 1,000 entries, so many
entries are near-duplicates of each other — a worst case for the index (long postings) and for
ranking. Queries are rows of the val file (timed through ``decide`` on one core).

With ``--profile``, the FAQ of an association profile is timed instead, as the bot builds it
(``bot.app.build_matcher``), with its own phrasings (and their dialect variants) as the
questions: the size a beneficiary actually meets. No data set is needed then.

    python bench/faq_bench.py [--entries 1000] [--phrasings 5] [--queries 1000]
                              [--learned 10000] [--data /work/shared/datasets/arbanking77]

``--learned N``: N staff-confirmed phrasings (other train rows of each entry's label, round-robin
over the entries) loaded as at start-up (``FaqMatcher.build(..., learned=...)``); then
``--adds`` more (default 200) are taught one by one through ``bot.domain.faq.learning.learn``
(scrubbing + incremental ``add_phrasing``, the bot's path) and timed.
    python bench/faq_bench.py --profile profiles/khairat.yaml [--queries 1000]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.faq.evaluate import load_csv
from bot.domain.faq.matcher import FaqMatcher

DEFAULT_DATA = "/work/shared/datasets/arbanking77"


def synth_entries(rows, n_entries: int, per_entry: int) -> list[tuple[str, list[str]]]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for label, text in rows:
        by_label[label].append(text)
    chunks: dict[str, list[list[str]]] = {
        lab: [ts[i : i + per_entry] for i in range(0, len(ts) - per_entry + 1, per_entry)]
        for lab, ts in sorted(by_label.items())
    }
    entries: list[tuple[str, list[str]]] = []
    depth = 0
    while len(entries) < n_entries:
        added = False
        for lab, cs in chunks.items():
            if depth < len(cs) and len(entries) < n_entries:
                entries.append((f"{lab}#{depth}", cs[depth]))
                added = True
        if not added:
            raise SystemExit(f"only {len(entries)} entries can be made from the data")
        depth += 1
    return entries


def synth_learned(
    rows, entries, n_learned: int, n_adds: int
) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """``n_learned`` phrasings spread round-robin over the entries (rows of the entry's label
    it does not have), and ``n_adds`` more (entry, text) pairs to teach one by one."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for label, text in rows:
        by_label[label].append(text)
    cursor: dict[str, int] = defaultdict(int)
    learned: dict[str, list[str]] = defaultdict(list)
    extra: list[tuple[str, str]] = []
    for i in range(n_learned + n_adds):
        entry_id, _own = entries[i % len(entries)]
        label = entry_id.split("#")[0]
        pool = by_label[label]
        text = pool[cursor[label] % len(pool)]
        cursor[label] += 7  # a stride, so the entries of one label get different rows
        if i < n_learned:
            learned[entry_id].append(text)
        else:
            extra.append((entry_id, text))
    return dict(learned), extra


# what people type that the profile's phrasings do not say word for word (Gulf and Levantine)
PROFILE_QUERIES = [
    "ابغى اعرف ايمتى يتم صرف المساعدة الشهرية",
    "وين مقر الجمعية",
    "شو الاوراق المطلوبة للتسجيل",
    "كيف اقدم على طلب مساعدة",
]


def profile_entries(path: Path, n_queries: int) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The entries as bot.app.build_matcher makes them, and questions cycled from the profile."""
    from bot.profile import load_profile

    profile = load_profile(path)
    entries = []
    for entry in profile.faq.entries:
        texts = [*entry.question.texts(), *entry.phrasings]
        entries.append((entry.id, list(dict.fromkeys(texts))))
    asked = PROFILE_QUERIES + [t for _, texts in entries for t in texts]
    return entries, [asked[i % len(asked)] for i in range(n_queries)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--entries", type=int, default=1000)
    ap.add_argument("--phrasings", type=int, default=5)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--profile", help="time the FAQ of this association profile (YAML) instead")
    ap.add_argument("--learned", type=int, default=0, help="learned phrasings loaded at start")
    ap.add_argument("--adds", type=int, default=200, help="learned phrasings then added one by one")
    args = ap.parse_args(argv)
    learned: dict[str, list[str]] = {}
    extra: list[tuple[str, str]] = []
    if args.profile:
        entries, queries = profile_entries(Path(args.profile), args.queries)
    else:
        data = Path(args.data)
        rows = load_csv(data / "Banking77_Arabized_MSA_PAL_train.csv")
        val = load_csv(data / "Banking77_Arabized_MSA_PAL_val.csv")
        queries = [t for _, t in val][: args.queries]
        entries = synth_entries(rows, args.entries, args.phrasings)
        if args.learned or args.adds:
            learned, extra = synth_learned(
                rows + val[args.queries :], entries, args.learned, args.adds
            )

    t0 = time.perf_counter()
    matcher = FaqMatcher.build(entries, learned=learned)
    build_s = time.perf_counter() - t0
    del matcher
    gc.collect()
    tracemalloc.start()  # second build, traced (tracing slows it down, so it is not timed)
    matcher = FaqMatcher.build(entries, learned=learned)
    index_bytes, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    add_times: list[float] = []
    recomputed: list[int] = []
    if not args.profile:
        from bot.domain.faq.learning import learn

        pooled = matcher._pool
        recomputed: list[int] = []  # the entries whose vectors an addition recomputes

        def counting_pool(e: int):
            recomputed.append(e)
            return pooled(e)

        matcher._pool = counting_pool  # type: ignore[method-assign]
        for entry_id, text in extra:
            t = time.perf_counter()
            learn(matcher, entry_id, text)
            add_times.append((time.perf_counter() - t) * 1000)
        del matcher._pool

    for q in queries[:50]:  # warm-up (stemmer cache)
        matcher.decide(q)
    times = []
    for q in queries:
        t = time.perf_counter()
        matcher.decide(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    result = {
        "entries": len(entries),
        "phrasings": sum(len(p) for _, p in entries),
        "learned": sum(len(v) for v in learned.values()),
        "adds": len(add_times),
        "ms_per_add_mean": round(statistics.fmean(add_times), 3) if add_times else 0.0,
        "ms_per_add_p50": round(sorted(add_times)[len(add_times) // 2], 3) if add_times else 0.0,
        "ms_per_add_max": round(max(add_times), 3) if add_times else 0.0,
        # incremental: one addition recomputes one entry (a rebuild would recompute them all)
        "entries_recomputed_per_add": round(len(recomputed) / len(add_times), 3)
        if add_times
        else 0.0,
        "queries": len(times),
        "build_s": round(build_s, 3),
        "ms_per_query_mean": round(statistics.fmean(times), 3),
        "ms_per_query_p50": round(times[len(times) // 2], 3),
        "ms_per_query_p95": round(times[int(len(times) * 0.95)], 3),
        "ms_per_query_max": round(times[-1], 3),
        "index_mib": round(index_bytes / 2**20, 1),
        "build_peak_mib": round(peak_bytes / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
