"""Tests that depend on today's date pin it (issue 6 point 16): a test reading the clock
(`timezone.localdate()`, `timezone.now()`, `date.today()`, `datetime.now()`) does so under
time-machine, so it gives the same answer on any day, and across midnight.

Accepted: the call sits in a function (or class) decorated with `time_machine.travel`,
inside a `with time_machine.travel(...)` block, or in a function taking time-machine's
`time_machine` fixture. Browser tests are aside: Chromium keeps the real clock, so a
pinned server would set cookies that the browser sees as expired.
"""

import ast
from pathlib import Path

from django.conf import settings

TESTS = Path(settings.BASE_DIR) / "tests"
CLOCK_CALLS = {
    ("timezone", "localdate"),
    ("timezone", "now"),
    ("date", "today"),
    ("datetime", "now"),
}


def _is_travel(node: ast.AST) -> bool:
    """time_machine.travel(...) (as a decorator or a context manager)."""
    call = node.func if isinstance(node, ast.Call) else node
    return isinstance(call, ast.Attribute) and call.attr == "travel"


def _clock_call(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = node.func.value
    owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    if node.func.attr == "localdate" and (node.args or node.keywords):
        return False  # timezone.localdate(value) converts a given moment; no clock read
    return (owner_name, node.func.attr) in CLOCK_CALLS


def _unpinned_clock_calls(tree: ast.AST) -> list[int]:
    """Line numbers of clock calls with no time-machine around them."""
    found = []

    def visit(node: ast.AST, pinned: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            pinned = pinned or any(_is_travel(d) for d in node.decorator_list)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                pinned = pinned or "time_machine" in {a.arg for a in node.args.args}
        if isinstance(node, ast.With | ast.AsyncWith):
            pinned = pinned or any(_is_travel(item.context_expr) for item in node.items)
        if _clock_call(node) and not pinned:
            found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, pinned)

    visit(tree, False)
    return found


def test_no_test_reads_the_clock_without_pinning_it():
    unpinned = {
        f"{path.relative_to(TESTS)}:{line}"
        for path in TESTS.rglob("*.py")
        if "e2e" not in path.parts and path.name != Path(__file__).name
        for line in _unpinned_clock_calls(ast.parse(path.read_text()))
    }

    assert unpinned == set(), "pin the date with time_machine.travel"


def test_the_check_finds_an_unpinned_call_and_accepts_pinned_ones():
    source = """
def test_unpinned():
    timezone.localdate()

@time_machine.travel(NOW)
def test_decorated():
    timezone.localdate()

def test_with_block():
    with time_machine.travel(NOW):
        dt.date.today()

def test_fixture(time_machine):
    timezone.now()
"""

    assert _unpinned_clock_calls(ast.parse(source)) == [3]
