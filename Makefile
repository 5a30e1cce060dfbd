# The dealership DMS. `make run` serves the demo; `make test` runs the whole suite on
# real PostgreSQL and Redis. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format venv clean-var

venv: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

## Serve the demo dealership with a Celery worker and beat (embedded default: SQLite and a
## filesystem broker unless DATABASE_URL / CELERY_BROKER_URL are set).
run: venv
	./scripts/run.sh

## The whole suite on real PostgreSQL and Redis (found, started or installed).
test: venv
	./scripts/test.sh

## Seed (or reuse) a 10-year dealership in PostgreSQL and print timings per operation.
bench: venv
	./scripts/bench.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-var:
	rm -rf var/
