#!/usr/bin/env bash
# `make bench`: seed (or reuse) a 10-year dealership in its own PostgreSQL database and
# print median / p95 server time, queries and SQL share per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(./scripts/ensure-services.sh | sed 's/^/export /')"
./scripts/ensure-pdf.sh  # the estimate PDF is timed
base="${DATABASE_URL%/*}"
export DATABASE_URL="${BENCH_DATABASE_URL:-$base/dms_bench}"
# Measured as production runs (DEBUG off), which needs a key; this one signs nothing kept.
export SECRET_KEY="${SECRET_KEY:-bench-only-secret-key}"
.venv/bin/python - <<'PY'
import os, urllib.parse, psycopg2
u = urllib.parse.urlparse(os.environ["DATABASE_URL"])
name = u.path.lstrip("/")
conn = psycopg2.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                        password=u.password, dbname="postgres")
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
if not cur.fetchone():
    cur.execute(f'CREATE DATABASE "{name}"')
PY
.venv/bin/python manage.py migrate --no-input -v 0
# Pages render with the production static storage (hashed names from the manifest).
.venv/bin/python manage.py collectstatic --no-input -v 0
.venv/bin/python manage.py bench --years "${BENCH_YEARS:-10}" "$@"
# The Excel import (issue 7): one year of a big dealership imported into a scratch database
# of its own (created empty, dropped afterwards), time and peak memory of checking and of
# writing. BENCH_IMPORT_ARGS passes other sizes, e.g. "--lines 1048575" for Excel's limit.
import_db="${DATABASE_URL%/*}/dms_import_bench"
.venv/bin/python - "$import_db" <<'PY'
import sys, urllib.parse, psycopg2
u = urllib.parse.urlparse(sys.argv[1])
conn = psycopg2.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                        password=u.password, dbname="postgres")
conn.autocommit = True
conn.cursor().execute('DROP DATABASE IF EXISTS "dms_import_bench"')
conn.cursor().execute('CREATE DATABASE "dms_import_bench"')
PY
DATABASE_URL="$import_db" .venv/bin/python manage.py migrate --no-input -v 0
# shellcheck disable=SC2086
DATABASE_URL="$import_db" .venv/bin/python manage.py bench_import ${BENCH_IMPORT_ARGS:-}
.venv/bin/python - "$import_db" <<'PY'
import sys, urllib.parse, psycopg2
u = urllib.parse.urlparse(sys.argv[1])
conn = psycopg2.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                        password=u.password, dbname="postgres")
conn.autocommit = True
conn.cursor().execute('DROP DATABASE IF EXISTS "dms_import_bench"')
PY
# The OCR extra (issue 12): per-field accuracy and time per image reading a fixed set of
# generated 行驶证 and VIN-plate photos (no database; `make bench-ocr` runs it alone).
.venv/bin/python manage.py bench_ocr
