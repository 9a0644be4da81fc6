#!/usr/bin/env bash
# The README's first command: install, then start the demo (emulator + bot + browser page).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# The page's buttons carry emoji (📝 ✅ …): without a colour emoji font the browser draws empty
# boxes. Debian's Noto Color Emoji is installed when we can (root with apt); otherwise a note.
has_emoji_font() {
  fc-list 2>/dev/null | grep -qi "emoji" || dpkg -s fonts-noto-color-emoji >/dev/null 2>&1
}
if [ "$(uname -s)" = Linux ] && ! has_emoji_font; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing an emoji font for the demo page (fonts-noto-color-emoji) =="
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      fonts-noto-color-emoji >/dev/null) || echo "(could not install fonts-noto-color-emoji)"
  else
    echo "note: no emoji font found here; if this machine's browser shows the demo, its buttons"
    echo "      will show empty boxes: sudo apt-get install fonts-noto-color-emoji (Debian, Ubuntu)"
    echo "      or sudo dnf install google-noto-color-emoji-fonts (Fedora)"
  fi
fi

exec .venv/bin/mustafeed demo "$@"
