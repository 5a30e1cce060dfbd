#!/usr/bin/env bash
# Debian's Chromium and CJK fonts for the Playwright tests (never a downloaded browser).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Chinese for the browser's own widgets (file picker, date inputs), as users see them.
dpkg -s chromium-l10n >/dev/null 2>&1 || missing+=(chromium-l10n)
[ -d /usr/share/fonts/opentype/noto ] || dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[browser] apt-get install -y ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
else
  echo "Browser tests need Debian's chromium and fonts-noto-cjk: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
