"""The layers (docs/ARCHITECTURE.md): `apps/core` is the bottom layer and imports no other
app; `apps/accounts` imports only `apps.core`. Every module is parsed (not imported), so
an import inside a function counts too, and relative imports are resolved."""

import ast
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parent.parent / "apps"
ALLOWED = {
    "core": {"core"},
    "accounts": {"core", "accounts"},
}


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file at `path`."""
    package = ".".join(path.relative_to(APPS.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..customers import y
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            if module == "apps":  # from apps import customers: the app itself
                found.extend((node.lineno, f"apps.{alias.name}") for alias in node.names)
    return found


def _violations(app: str) -> list[str]:
    problems = []
    for path in sorted((APPS / app).rglob("*.py")):
        for line, module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] == "apps" and len(parts) > 1 and parts[1] not in ALLOWED[app]:
                problems.append(f"{path.relative_to(APPS.parent)}:{line} imports {module}")
    return problems


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_a_low_layer_imports_no_app_above_it(app):
    assert _violations(app) == []


def test_the_check_sees_absolute_relative_and_nested_imports(tmp_path, monkeypatch):
    fake_apps = tmp_path / "apps"
    (fake_apps / "core" / "management").mkdir(parents=True)
    (fake_apps / "core" / "ok.py").write_text("from apps.core import calendar\nfrom . import x\n")
    (fake_apps / "core" / "absolute.py").write_text("import apps.customers.models\n")
    (fake_apps / "core" / "from_apps.py").write_text("from apps import workorders\n")
    (fake_apps / "core" / "management" / "relative.py").write_text(
        "def f():\n    from ...customers import selectors\n"
    )
    monkeypatch.setitem(globals(), "APPS", fake_apps)

    assert _violations("core") == [
        "apps/core/absolute.py:1 imports apps.customers.models",
        "apps/core/from_apps.py:1 imports apps.workorders",
        "apps/core/management/relative.py:2 imports apps.customers",
    ]


# The stock app sits above the catalogue and the work orders (docs/ARCHITECTURE.md): its
# issue slips name work orders and their lines, so nothing below it may import it; what
# the work-order side needs (the settle guard) is a cache on its own line,
# WorkOrderLine.issued_quantity, and its demo flow finds the stock's step by name. Its
# pre-picking (预先捡料) reads the appointments, so they are below it too.
BELOW_STOCK = ("core", "accounts", "customers", "parts", "workorders", "appointments")


@pytest.mark.parametrize("app", BELOW_STOCK)
def test_no_app_below_the_stock_imports_it(app):
    found = [
        f"{path.relative_to(APPS.parent)}:{line} imports {module}"
        for path in sorted((APPS / app).rglob("*.py"))
        for line, module in _imported_modules(path)
        if module == "apps.stock" or module.startswith("apps.stock.")
    ]
    assert found == []


# The complaints sit above the callbacks (docs/ARCHITECTURE.md): a complaint names the
# callback it was raised on and schedules its second callback there, so no app below it —
# callbacks included — may import it; only the top layer (dashboard, reports) reads it.
BELOW_COMPLAINTS = (
    "core",
    "accounts",
    "customers",
    "parts",
    "workorders",
    "workshop",
    "appointments",
    "stock",
    "warranty",
    "callbacks",
)


@pytest.mark.parametrize("app", BELOW_COMPLAINTS)
def test_no_app_below_the_complaints_imports_it(app):
    found = [
        f"{path.relative_to(APPS.parent)}:{line} imports {module}"
        for path in sorted((APPS / app).rglob("*.py"))
        for line, module in _imported_modules(path)
        if module == "apps.complaints" or module.startswith("apps.complaints.")
    ]
    assert found == []
