#!/usr/bin/env bash
# `make test`: the whole suite on real PostgreSQL and real Redis; never SQLite, never mocks.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(./scripts/ensure-services.sh | sed 's/^/export /')"
./scripts/ensure-browser.sh
./scripts/ensure-pdf.sh
./scripts/ensure-office.sh
export DJANGO_SETTINGS_MODULE=dms.settings_test
set +e
.venv/bin/pytest --durations=25 "$@"
status=$?
set -e
if [ $status -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here." >&2
  exit 1
fi
exit $status
