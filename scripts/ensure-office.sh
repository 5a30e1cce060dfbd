#!/usr/bin/env bash
# LibreOffice Calc, headless: the Excel tests convert each workbook the DMS writes (the
# warranty claims' monthly statement, apps/warranty/statement.py) with
# `soffice --headless --convert-to` to prove another spreadsheet program opens it without
# errors. Idempotent: installs only when `soffice` is missing. Called by scripts/test.sh.
set -euo pipefail
command -v soffice >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[office] apt-get install -y --no-install-recommends libreoffice-calc-nogui" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    libreoffice-calc-nogui >&2
else
  echo "The Excel tests convert workbooks with LibreOffice: apt-get install -y libreoffice-calc-nogui" >&2
  exit 1
fi
