#!/usr/bin/env bash
# The wheel as a user gets it: build it, install it into a new virtual environment (no checkout,
# no editable install), and from a folder outside the repository check the bundled example
# profile and start the demo (page, getMe, /start answered). About 20-40 s once the
# dependencies' wheels are cached in $MUSTAFEED_WHEELHOUSE (filled from PyPI on the first run).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PY="${PYTHON_FOR_WHEEL:-.venv/bin/python}"
WHEELHOUSE="${MUSTAFEED_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/mustafeed/wheelhouse}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
quiet() { grep -v "is ignored: it is neither a file nor a directory" || true; }

"$PY" -m pip wheel -q --no-deps -w "$WORK/dist" . 2>&1 | quiet
WHEEL="$(ls "$WORK"/dist/mustafeed-*.whl)"
"$PY" -m venv --without-pip "$WORK/venv"
install() {
  "$PY" -m pip --python "$WORK/venv/bin/python" install -q --no-compile --no-index \
    --find-links "$WHEELHOUSE" "$WHEEL"
}
if ! install >/dev/null 2>&1; then  # a dependency not in the wheelhouse yet: from pip's cache or PyPI
  mkdir -p "$WHEELHOUSE"
  "$PY" -m pip wheel -q -w "$WHEELHOUSE" --find-links "$WHEELHOUSE" "$WHEEL" 2>&1 | quiet
  install 2>&1 | quiet
fi

mkdir "$WORK/elsewhere"
cd "$WORK/elsewhere"  # nothing of the checkout on the path from here on
where="$("$WORK/venv/bin/python" -c "import bot; print(bot.ROOT)")"
case "$where" in
  "$WORK/venv/"*) ;;
  *) echo "the installed package reads its data from $where, not from itself" >&2; exit 1 ;;
esac
"$WORK/venv/bin/mustafeed" check-profile "$where/profiles/khairat.yaml"
"$WORK/venv/bin/python" "$REPO/scripts/demo_smoke.py" "$WORK/venv/bin/mustafeed"
echo "the wheel works outside the checkout"
