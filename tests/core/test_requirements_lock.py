"""Installs are reproducible: the locks pin, with hashes, versions inside the ranges of the
requirements files, and the production image gets the runtime lock only.

When a test here fails after a change to requirements.txt or requirements-dev.txt, run
`make lock` and commit the two lock files.
"""

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
        "pip install --no-cache-dir --require-hashes -r requirements-runtime.lock"
    ]
    assert re.findall(r"pip install .*", makefile) == [
        "pip install --quiet --require-hashes -r requirements.lock"
    ]
    assert "tests" in (ROOT / ".dockerignore").read_text().split()
