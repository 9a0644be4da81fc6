#!/usr/bin/env bash
# Alternated A/B rounds of bench.load against the echo, as docs/benchmarks.md "Session 7" ran
# them: per round, the bot from BASE, the bot from NEW (--bot-tree), then PTB's bare echo.
#
#   bash bench/ab_rounds.sh paced ROUNDS BASE NEW   # SQLite, 20 updates a second (CPU per update)
#   bash bench/ab_rounds.sh pg ROUNDS BASE NEW      # PostgreSQL, closed loop of 200 (throughput)
#
# BASE and NEW are checkouts (e.g. `git archive REV | tar -x -C DIR`); run it on a quiet machine
# and compare only the figures of one round.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=$1 rounds=$2 base=$3 new=$4
if [ "$mode" = paced ]; then
  ours=(--rate 20 --users 60 --duration 60 --warmup 10)
  echo_=(--rate 20 --users 60 --echo-duration 60 --warmup 10)
else
  url=${MUSTAFEED_BENCH_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1/bench}
  ours=(--database-url "$url" --users 200 --duration 40 --warmup 5)
  echo_=(--users 200 --echo-duration 40 --warmup 5)
fi
for i in $(seq 1 "$rounds"); do
  for tree in "$base" "$new"; do
    echo "== round $i $tree ($(cut -d' ' -f1-3 /proc/loadavg))"
    .venv/bin/python -m bench.load --scenario full --no-echo --bot-tree "$tree" "${ours[@]}" | grep -E "^  full"
  done
  echo "== round $i echo"
  .venv/bin/python -m bench.load --scenario echo "${echo_[@]}" | grep -E "^  echo"
done
