# The dealership DMS. `make run` serves the demo; `make test` runs the whole suite on
# real PostgreSQL and Redis. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OCR_STAMP := $(VENV)/.installed-ocr

# pip-compile: exact versions with the hashes of every file of each release (so the same
# lock installs on any platform), pip and setuptools pinned too (--require-hashes needs
# every package pinned), and no index or find-links lines taken from this machine's pip
# configuration.
PIP_COMPILE_FLAGS := --quiet --generate-hashes --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host
PIP_COMPILE := $(VENV)/bin/pip-compile $(PIP_COMPILE_FLAGS) --allow-unsafe
# The OCR extra: RapidOCR names the desktop opencv-python, which the lock leaves out (the
# headless build, listed in requirements-ocr.txt, provides the same cv2); nothing in it
# needs pip or setuptools.
PIP_COMPILE_OCR := $(VENV)/bin/pip-compile $(PIP_COMPILE_FLAGS) --unsafe-package opencv-python
# `make lock LOCK_UPGRADE=--upgrade` moves every pin to the newest release in its range.
LOCK_UPGRADE ?=

.PHONY: run test bench bench-ocr lint format venv ocr lock clean-var

## The development environment: exactly the versions (and hashes) of requirements.lock.
venv: $(STAMP)

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $(STAMP)

## The optional OCR extra (issue 12) on top: requirements-ocr.lock, installed --no-deps
## (it lists every package the extra imports; see requirements-ocr.txt).
ocr: $(OCR_STAMP)

$(OCR_STAMP): requirements-ocr.lock $(STAMP)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-ocr.lock
	touch $(OCR_STAMP)

## Resolve requirements-dev.txt (which includes requirements.txt) into requirements.lock,
## then requirements.txt alone into requirements-runtime.lock (the production image's),
## starting from the same pins so both files name the same versions, and the same for the
## OCR extra's requirements-ocr.txt into requirements-ocr.lock. Run it after changing a
## requirements file; existing pins stay unless their range excludes them.
lock: venv
	$(PIP_COMPILE) $(LOCK_UPGRADE) --output-file requirements.lock requirements-dev.txt
	cp requirements.lock requirements-runtime.lock
	$(PIP_COMPILE) --output-file requirements-runtime.lock requirements.txt
	cp requirements.lock requirements-ocr.lock
	$(PIP_COMPILE_OCR) $(LOCK_UPGRADE) --output-file requirements-ocr.lock requirements-ocr.txt

## Serve the demo dealership with a Celery worker and beat (embedded default: SQLite and a
## filesystem broker unless DATABASE_URL / CELERY_BROKER_URL are set), OCR extra included.
run: venv ocr
	./scripts/run.sh

## The whole suite on real PostgreSQL and Redis (found, started or installed), with the OCR
## extra (its tests run; the ones proving the app works without it simulate its absence).
test: venv ocr
	./scripts/test.sh

## Seed (or reuse) a 10-year dealership in PostgreSQL and print timings per operation, then
## the Excel import and the OCR sections.
bench: venv ocr
	./scripts/bench.sh

## make bench's OCR section alone: field accuracy and time per image reading generated
## 行驶证 and VIN-plate photos (no database needed).
bench-ocr: venv ocr
	SECRET_KEY=bench-only-secret-key $(PY) manage.py bench_ocr

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
