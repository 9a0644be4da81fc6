#!/usr/bin/env bash
# The README's second command: install with the test extras, check the import contracts, then run
# the whole suite on SQLite and again on PostgreSQL (127.0.0.1:5432, database "test"), starting
# the server if it is down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export PYTHONDONTWRITEBYTECODE=1

# The browser tests (demo page, supervisor dashboard) use Debian's headless Chromium and an
# Arabic font; install them when we can (root with apt), otherwise those tests are skipped.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing chromium for the browser tests =="
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null) \
    || echo "(could not install chromium: browser tests will be skipped)"
fi

# The import contracts of pyproject.toml ([tool.importlinter]: layers, features, no cycles, no
# Telegram in the domain); a broken contract stops the run before the tests.
echo "== import contracts =="
.venv/bin/lint-imports --no-cache

# Style and types, settings in pyproject.toml: ruff's lint rules and its formatting, and mypy
# (bot/ and storage/).
echo "== ruff =="
.venv/bin/ruff check bot storage tests bench scripts
.venv/bin/ruff format --check bot storage tests bench scripts
echo "== mypy =="
.venv/bin/mypy

echo "== tests on SQLite =="
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"

PG_URL="${MUSTAFEED_TEST_POSTGRES_URL:-postgresql+asyncpg://127.0.0.1:5432/test}"
read -r PG_HOST PG_PORT < <(.venv/bin/python -c "from sqlalchemy.engine import make_url as u
url = u('$PG_URL'); print(url.host or '127.0.0.1', url.port or 5432)")
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
  fi
fi
if pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; then
  echo "== tests on PostgreSQL =="
  MUSTAFEED_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -q -p no:cacheprovider -m "not sqlite_only" "$@"
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL is not reachable on $PG_HOST:$PG_PORT; the PostgreSQL path cannot be tested" >&2
  exit 1
else
  echo "(PostgreSQL not running on $PG_HOST:$PG_PORT: skipped the PostgreSQL pass; see README, What the tests need)"
fi

# The wheel (not the editable install): built, installed into a new virtual environment, and
# run from outside the checkout — the catalogs, profiles, page and migrations must travel with it.
# MUSTAFEED_SKIP_WHEEL=1 skips it (e.g. offline with an empty wheelhouse).
if [ "${MUSTAFEED_SKIP_WHEEL:-}" != 1 ]; then
  echo "== the wheel, installed outside the checkout =="
  bash scripts/wheel_smoke.sh
fi
