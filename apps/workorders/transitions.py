"""The states of a work order (DOMAIN.md §3) as one table.

Every move a user can make is a `Transition`: where it may start, where it leads, the
permission it needs, its guard (a rule on the order and its lines, with the Chinese
sentence shown when it fails) and whether it needs a reason. `services.work_order_transition`
is the only code that changes `WorkOrder.status`: it checks the permission and the guard,
claims the move with a conditional UPDATE (… WHERE status = <from>) and writes a
StatusChange row. The buttons on the work-order page come from `available_transitions`, so
the page, the services and the tests read the same table.

Forward moves follow §3 in order and skip nothing (washing is the one optional step:
终检 → 洗车 → 待交车, or 终检 → 待交车). Going back one step needs a reason; so does
cancelling, which is possible from any state before delivery.

Parts: settling needs every approved catalogue-parts line issued from the parts store, and
cancelling needs every issued part returned; both read `WorkOrderLine.issued_quantity`,
which the stock app (above this one) keeps with its issue slips.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .models import LineStatus, WorkOrder, WorkOrderLine

S = WorkOrder.Status


@dataclass(frozen=True)
class Guard:
    test: Callable[[WorkOrder], bool]
    refusal: str  # the Chinese sentence the user sees when `test` is false


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button
    sources: tuple[str, ...]
    target: str
    permission: str
    guards: tuple[Guard, ...] = ()
    needs_reason: bool = False
    backward: bool = False  # shown apart from the forward buttons, asks for a reason
    # Moves that a dedicated service makes (it records more than the state): the page
    # shows a form for them instead of a plain button.
    via: str = ""


def _lines(work_order: WorkOrder):
    return list(work_order.lines.all())


def _approved(work_order: WorkOrder):
    return [line for line in _lines(work_order) if line.status == LineStatus.APPROVED]


def has_approved_line(work_order: WorkOrder) -> bool:
    return bool(_approved(work_order))


def approved_lines_done(work_order: WorkOrder) -> bool:
    return all(line.done_at for line in _approved(work_order))


def approved_lines_qc_passed(work_order: WorkOrder) -> bool:
    return all(line.done_at and line.qc_passed_at for line in _approved(work_order))


def no_line_awaiting_approval(work_order: WorkOrder) -> bool:
    return not any(line.status == LineStatus.PROPOSED for line in _lines(work_order))


def internal_check_done(work_order: WorkOrder) -> bool:
    return work_order.internal_checked_at is not None


def _stocked_part_line(line) -> bool:
    """A parts line of a catalogue part: it leaves the parts store on an issue slip (a
    parts line typed by hand names no part and is not kept in stock)."""
    return line.kind == WorkOrderLine.Kind.PART and line.part_id is not None


def approved_parts_issued(work_order: WorkOrder) -> bool:
    """Every approved catalogue-parts line has been issued in full (its issued quantity
    is a cache the stock app writes with the issue slips; a declined line needs nothing)."""
    return all(
        line.issued_quantity >= line.quantity
        for line in _approved(work_order)
        if _stocked_part_line(line)
    )


def no_parts_out(work_order: WorkOrder) -> bool:
    """No part of the order is out of the parts store (issued and not returned)."""
    return not any(line.issued_quantity for line in _lines(work_order))


NEEDS_APPROVED_LINE = Guard(has_approved_line, "客户至少确认一项维修项目后才能进入下一步。")
NEEDS_LINES_DONE = Guard(approved_lines_done, "还有客户已确认的项目未完工。")
NEEDS_LINES_QC = Guard(approved_lines_qc_passed, "还有已确认的项目未完工或未通过质检。")
NEEDS_NO_PENDING = Guard(no_line_awaiting_approval, "还有增项等待客户确认,确认或删除后再继续。")
NEEDS_INTERNAL_CHECK = Guard(internal_check_done, "请先完成交车前内部检查。")
NEEDS_PARTS_ISSUED = Guard(
    approved_parts_issued, "还有客户已确认的配件未出库,请配件专员按出库单发料后再结算。"
)
NEEDS_PARTS_BACK = Guard(no_parts_out, "本工单已领出的配件须先退回配件库,才能取消工单。")

P = "workorders."
FORWARD = (
    Transition(
        "approve",
        "客户确认",
        (S.DRAFT,),
        S.APPROVED,
        P + "change_workorder",
        (NEEDS_APPROVED_LINE,),
        via="work_order_record_approval",
    ),
    Transition("dispatch", "派工", (S.APPROVED,), S.DISPATCHED, P + "dispatch_workorder"),
    Transition("start", "开工", (S.DISPATCHED,), S.IN_PROGRESS, P + "work_workorder"),
    Transition(
        "self_check",
        "自检完成",
        (S.IN_PROGRESS,),
        S.SELF_CHECKED,
        P + "work_workorder",
        (NEEDS_NO_PENDING, NEEDS_LINES_DONE),
    ),
    Transition(
        "team_check", "班组长检验通过", (S.SELF_CHECKED,), S.TEAM_CHECKED, P + "inspect_workorder"
    ),
    Transition(
        "final_qc",
        "终检通过",
        (S.TEAM_CHECKED,),
        S.QC_PASSED,
        P + "qc_workorder",
        (NEEDS_LINES_QC,),
    ),
    Transition("wash", "洗车完成", (S.QC_PASSED,), S.WASHED, P + "work_workorder"),
    Transition(
        "ready",
        "待交车",
        (S.QC_PASSED, S.WASHED),
        S.READY,
        P + "qc_workorder",
        (NEEDS_NO_PENDING, NEEDS_LINES_QC),
    ),
    Transition(
        "deliver",
        "交车",
        (S.READY,),
        S.DELIVERED,
        P + "deliver_workorder",
        (NEEDS_INTERNAL_CHECK,),
        via="work_order_deliver",
    ),
    Transition(
        "settle",
        "结算",
        (S.DELIVERED,),
        S.SETTLED,
        P + "settle_workorder",
        (NEEDS_PARTS_ISSUED,),
        via="work_order_settle",
    ),
)

# One step back, with a reason (e.g. QC found a fault: 终检 → 班组长检验 is not enough, so
# "rework" takes any checked state back to 维修中).
BACKWARD = (
    Transition(
        "back_to_draft",
        "退回草稿",
        (S.APPROVED,),
        S.DRAFT,
        P + "reopen_workorder",
        needs_reason=True,
        backward=True,
    ),
    Transition(
        "undispatch",
        "撤销派工",
        (S.DISPATCHED,),
        S.APPROVED,
        P + "dispatch_workorder",
        needs_reason=True,
        backward=True,
    ),
    Transition(
        "rework",
        "返工",
        (S.SELF_CHECKED, S.TEAM_CHECKED, S.QC_PASSED, S.WASHED, S.READY),
        S.IN_PROGRESS,
        P + "reopen_workorder",
        needs_reason=True,
        backward=True,
    ),
)

CANCEL = Transition(
    "cancel",
    "取消工单",
    tuple(status for status in S.values if status not in (S.DELIVERED, S.SETTLED, S.CANCELLED)),
    S.CANCELLED,
    P + "cancel_workorder",
    (NEEDS_PARTS_BACK,),
    needs_reason=True,
    backward=True,
)

TRANSITIONS = {t.name: t for t in FORWARD + BACKWARD + (CANCEL,)}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]


def refusals(transition: Transition, work_order: WorkOrder) -> list[str]:
    """The guards' sentences that block `transition` now (empty: it may go)."""
    return [guard.refusal for guard in transition.guards if not guard.test(work_order)]


def available_transitions(work_order: WorkOrder, user) -> list[tuple[Transition, list[str]]]:
    """The moves `user` may make from the order's state, each with what blocks it now (the
    page shows a blocked move disabled, with the reason). Imported orders have none."""
    if work_order.source == WorkOrder.Source.IMPORT:
        return []
    return [
        (t, refusals(t, work_order))
        for t in transitions_from(work_order.status)
        if user.has_perm(t.permission)
    ]
