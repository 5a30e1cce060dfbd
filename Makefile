# The dealership DMS. `make run` serves the demo; `make test` runs the whole suite on
# real PostgreSQL and Redis. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# pip-compile: exact versions with the hashes of every file of each release (so the same
# lock installs on any platform), pip and setuptools pinned too (--require-hashes needs
# every package pinned), and no index or find-links lines taken from this machine's pip
# configuration.
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host
# `make lock LOCK_UPGRADE=--upgrade` moves every pin to the newest release in its range.
LOCK_UPGRADE ?=

.PHONY: run test bench lint format venv lock clean-var

## The development environment: exactly the versions (and hashes) of requirements.lock.
venv: $(STAMP)

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $(STAMP)

## Resolve requirements-dev.txt (which includes requirements.txt) into requirements.lock,
## then requirements.txt alone into requirements-runtime.lock (the production image's),
## starting from the same pins so both files name the same versions. Run it after changing
## either requirements file; existing pins stay unless their range excludes them.
lock: venv
	$(PIP_COMPILE) $(LOCK_UPGRADE) --output-file requirements.lock requirements-dev.txt
	cp requirements.lock requirements-runtime.lock
	$(PIP_COMPILE) --output-file requirements-runtime.lock requirements.txt

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
	DEBUG=1 $(PY) manage.py check_roles

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-var:
	rm -rf var/
