#!/usr/bin/env bash
# `make run`: migrate, load the demo dealership once, then serve it with a Celery worker
# and beat. With no DATABASE_URL / CELERY_BROKER_URL this is the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
PY=.venv/bin/python
PORT="${PORT:-8000}"
# The embedded default's SQLite, broker folders and logs; dms/settings.py reads the same
# variable (DMS_VAR_DIR, default ./var) and derives every path from it.
VAR_DIR="${DMS_VAR_DIR:-var}"
mkdir -p "$VAR_DIR/broker/queue" "$VAR_DIR/broker/processed" "$VAR_DIR/log"

# Pango and a CJK font for the printed documents; without them the rest of the app still
# runs (the script says what to install), only printing a document fails.
./scripts/ensure-pdf.sh || true

$PY manage.py migrate --no-input
$PY manage.py seed_demo --if-empty

# Beat's schedule file is CELERY_BEAT_SCHEDULE_FILENAME, under the same VAR_DIR.
.venv/bin/celery -A dms worker -B --loglevel=INFO --concurrency=2 >"$VAR_DIR/log/celery.log" 2>&1 &
CELERY_PID=$!
trap 'kill $CELERY_PID 2>/dev/null || true' EXIT INT TERM

echo
echo "售后DMS 已启动: http://127.0.0.1:$PORT/   (Celery 日志: $VAR_DIR/log/celery.log)"
echo "演示账号(密码均为 demo1234): advisor 服务顾问 · supervisor 车间主任 · technician 维修技师 · qc 质检员"
echo "  parts 配件专员 · warranty 索赔专员 · callback 客服专员 · complaint 客服主管 · manager 售后经理 · admin 系统管理员"
echo
$PY manage.py runserver "0.0.0.0:$PORT"
