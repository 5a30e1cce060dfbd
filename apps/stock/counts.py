"""The states of a stock count (盘点单) as one table, like the work order's.

counting (盘点中) → submitted (待审批) → posted (已过账: the differences became
adjustments); a submitted count goes back to counting with a reason (退回重盘), and a count
not yet posted may be cancelled with a reason. `services.stock_count_transition` is the
only writer of `status`: a conditional UPDATE (… WHERE status = <from>) and a
StockCountChange row; approving is `services.stock_count_approve`, which posts the
adjustments in the same transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .models import StockCount

S = StockCount.Status


@dataclass(frozen=True)
class Guard:
    test: Callable[[list], bool]  # on the count's lines
    refusal: str


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str
    guards: tuple[Guard, ...] = ()
    needs_reason: bool = False
    via: str = ""  # made by its own service (it writes more than the state)


def every_line_counted(lines) -> bool:
    return all(line.counted is not None for line in lines)


def every_difference_explained(lines) -> bool:
    return all(line.reason.strip() for line in lines if line.difference)


NEEDS_COUNTED = Guard(every_line_counted, "还有配件未填写实盘数量。")
NEEDS_REASONS = Guard(every_difference_explained, "有差异的配件须填写差异原因。")

P = "stock."
TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "submit",
            "提交审批",
            (S.COUNTING,),
            S.SUBMITTED,
            P + "add_stockcount",
            (NEEDS_COUNTED, NEEDS_REASONS),
        ),
        Transition(
            "approve",
            "审批过账",
            (S.SUBMITTED,),
            S.POSTED,
            P + "approve_stockcount",
            (NEEDS_COUNTED, NEEDS_REASONS),
            via="stock_count_approve",
        ),
        Transition(
            "send_back",
            "退回重盘",
            (S.SUBMITTED,),
            S.COUNTING,
            P + "approve_stockcount",
            needs_reason=True,
        ),
        Transition(
            "cancel",
            "作废",
            (S.COUNTING, S.SUBMITTED),
            S.CANCELLED,
            P + "add_stockcount",
            needs_reason=True,
        ),
    )
}


def refusals(transition: Transition, lines) -> list[str]:
    return [guard.refusal for guard in transition.guards if not guard.test(lines)]


def available_transitions(count: StockCount, user, lines) -> list[tuple[Transition, list[str]]]:
    """The moves `user` may make now, each with what blocks it (the page's buttons)."""
    return [
        (t, refusals(t, lines))
        for t in TRANSITIONS.values()
        if count.status in t.sources and user.has_perm(t.permission)
    ]
