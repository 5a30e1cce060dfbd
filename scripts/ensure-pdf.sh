#!/usr/bin/env bash
# Debian's Pango (WeasyPrint draws text with it) and a CJK font for the printed A4
# documents (apps/workorders/documents.py), plus poppler-utils (pdftotext, pdffonts) that
# the document tests read the PDFs with. Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
# Chinese text needs a CJK font fontconfig knows; the documents name "Noto Sans CJK SC".
fc-list :lang=zh 2>/dev/null | grep -q "Noto Sans CJK" || missing+=(fonts-noto-cjk)
# WeasyPrint loads Pango with cffi at import time: the import fails without it.
if ! .venv/bin/python -c "import weasyprint" >/dev/null 2>&1; then
  missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fi
command -v pdftotext >/dev/null && command -v pdffonts >/dev/null || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[pdf] apt-get install -y ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
else
  echo "PDF documents need Debian's Pango and CJK fonts: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
