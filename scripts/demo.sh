#!/usr/bin/env bash
# The README's first command: install, then start the demo (emulator + bot + browser page).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/mustafeed demo "$@"
