"""Installs are reproducible: the locks pin, with hashes, versions inside the ranges of the
requirements files, and the production image gets the runtime lock and the OCR extra's.

When a test here fails after a change to requirements.txt, requirements-dev.txt or
requirements-ocr.txt, run `make lock` and commit the lock files.
"""

import importlib.metadata
import re
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(settings.BASE_DIR)
PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s*--hash=sha256:[0-9a-f]{64})*)", re.M
)
# The tools that must never reach the production image.
DEV_TOOLS = {"pytest", "pytest-django", "factory-boy", "time-machine", "hypothesis",
             "playwright", "ruff", "pip-tools", "faker"}  # fmt: skip


def _ranges(name: str) -> dict[str, Requirement]:
    """The requirements a file names (following -r includes), by canonical name."""
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found |= _ranges(line.removeprefix("-r ").strip())
        elif line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def _pins(name: str) -> dict[str, tuple[str, int]]:
    """{package: (version, number of hashes)} of a lock file."""
    text = (ROOT / name).read_text()
    return {
        canonicalize_name(package): (version, hashes.count("--hash="))
        for package, version, hashes in PIN.findall(text)
    }


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("requirements.lock", "requirements-dev.txt"),
        ("requirements-runtime.lock", "requirements.txt"),
        ("requirements-ocr.lock", "requirements-ocr.txt"),
    ],
)
def test_each_lock_pins_every_requirement_inside_its_range(lock, requirements):
    pins = _pins(lock)

    outside = {
        name: (str(requirement.specifier), pins.get(name, ("missing", 0))[0])
        for name, requirement in _ranges(requirements).items()
        if name not in pins or not requirement.specifier.contains(pins[name][0], prereleases=True)
    }

    assert outside == {}, f"run `make lock`: {outside}"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-runtime.lock"])
def test_every_pin_of_a_lock_has_its_hashes(lock):
    pins = _pins(lock)
    text = (ROOT / lock).read_text()
    requirement_lines = [
        line for line in text.splitlines() if line and not line.startswith((" ", "#"))
    ]

    assert len(pins) == len(requirement_lines) > 30
    assert {name for name, (_version, hashes) in pins.items() if hashes == 0} == set()


def test_every_pin_of_the_ocr_lock_has_its_hashes():
    pins = _pins("requirements-ocr.lock")
    text = (ROOT / "requirements-ocr.lock").read_text()
    requirement_lines = [
        line for line in text.splitlines() if line and not line.startswith((" ", "#"))
    ]

    assert len(pins) == len(requirement_lines) >= 10
    assert {name for name, (_version, hashes) in pins.items() if hashes == 0} == set()


def test_the_ocr_lock_pins_the_development_lock_versions_and_the_headless_opencv():
    """Installed on top of the main lock --no-deps, the OCR lock changes none of its pins;
    it holds the headless OpenCV and never the desktop one (which needs libGL)."""
    development, ocr = _pins("requirements.lock"), _pins("requirements-ocr.lock")

    shared = set(development) & set(ocr)
    assert {name: ocr[name] for name in shared if development[name] != ocr[name]} == {}
    assert "opencv-python-headless" in ocr
    assert "opencv-python" not in ocr
    assert {"rapidocr-onnxruntime", "onnxruntime", "numpy"} <= set(ocr)
    assert DEV_TOOLS & set(ocr) == set()


def test_the_ocr_lock_holds_every_dependency_of_what_it_installs():
    """The lock is installed --no-deps: each package's own requirements must be pinned in it
    (or in the main lock below it), except the desktop OpenCV that the headless one replaces."""
    ocr = _pins("requirements-ocr.lock")
    below = set(_pins("requirements-runtime.lock"))
    missing = {}
    for name in ocr:
        try:
            requirements = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            pytest.skip("the OCR extra is not installed here (make ocr)")
        for line in requirements:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            needed = canonicalize_name(requirement.name)
            if needed not in ocr and needed not in below and needed != "opencv-python":
                missing.setdefault(name, []).append(needed)

    assert missing == {}


def test_the_runtime_lock_pins_the_same_versions_as_the_development_lock():
    development, runtime = _pins("requirements.lock"), _pins("requirements-runtime.lock")

    assert set(runtime) < set(development)
    assert {name: pin for name, pin in runtime.items() if development[name] != pin} == {}


def test_the_runtime_lock_holds_no_test_or_development_tool():
    development, runtime = _pins("requirements.lock"), _pins("requirements-runtime.lock")

    assert set(development) >= DEV_TOOLS
    assert DEV_TOOLS & set(runtime) == set()
    assert set(_ranges("requirements.txt")) & DEV_TOOLS == set()


def test_the_image_installs_the_runtime_lock_and_make_venv_the_development_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert re.findall(r"pip install .*", dockerfile) == [
        "pip install --no-cache-dir --require-hashes -r requirements-runtime.lock",
        "pip install --no-cache-dir --require-hashes --no-deps -r requirements-ocr.lock",
    ]
    assert re.findall(r"pip install .*", makefile) == [
        "pip install --quiet --require-hashes -r requirements.lock",
        "pip install --quiet --require-hashes --no-deps -r requirements-ocr.lock",
    ]
    # make run, make test and make bench install the OCR extra; make venv (and lint) not
    targets = dict(re.findall(r"^(\w+): (.*)$", makefile, re.M))
    assert {name: targets[name].split() for name in ("run", "test", "bench")} == {
        "run": ["venv", "ocr"],
        "test": ["venv", "ocr"],
        "bench": ["venv", "ocr"],
    }
    assert "ocr" not in targets["lint"].split()
    assert "tests" in (ROOT / ".dockerignore").read_text().split()
