"""The states of a warranty claim (DOMAIN.md §4) as one table, like the work order's.

draft → submitted → approved | rejected (with the maker's reason); rejected → (corrected)
→ resubmitted → approved | rejected; approved → paid. Each move names its permission, its
guards (a rule on the claim, with the Chinese sentence shown when it fails), whether it
needs a reason, and whether a dedicated form records more than the state (`via`: the
maker's approved amount, the payment). `services.claim_transition` is the only writer of
`WarrantyClaim.status`: it claims the move with `UPDATE … WHERE status = <from>` and writes
a ClaimStatusChange. The buttons of the claim page come from `available_transitions`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from apps.workorders.models import WorkOrder

from .models import WarrantyClaim

S = WarrantyClaim.Status


@dataclass(frozen=True)
class Guard:
    test: Callable[[WarrantyClaim], bool]
    refusal: str


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button
    sources: tuple[str, ...]
    target: str
    permission: str
    guards: tuple[Guard, ...] = ()
    needs_reason: bool = False
    # The form that records more than the state ("amount": the maker's approved amount,
    # "payment": the amount received and the maker's reference).
    via: str = ""


def _has_lines(claim: WarrantyClaim) -> bool:
    return bool(claim.lines.all())


def _repair_described(claim: WarrantyClaim) -> bool:
    return all(value.strip() for value in (claim.fault_description, claim.cause, claim.repair_done))


def _classified(claim: WarrantyClaim) -> bool:
    return bool(claim.system)


def _has_service_order(claim: WarrantyClaim) -> bool:
    return bool(claim.service_order_number.strip())


def _work_order_settled(claim: WarrantyClaim) -> bool:
    return claim.work_order.status == WorkOrder.Status.SETTLED


def _old_parts_described(claim: WarrantyClaim) -> bool:
    """Every claimed part's old part has its fault written on its tag."""
    return all(
        claim_line.old_part_fault.strip()
        for claim_line in claim.lines.all()
        if claim_line.line.kind == claim_line.line.Kind.PART
    )


NEEDS_LINES = Guard(_has_lines, "索赔单至少要包含一项三包明细。")
NEEDS_REPAIR = Guard(_repair_described, "请填写故障描述、故障原因和维修措施。")
NEEDS_SYSTEM = Guard(_classified, "请选择故障系统(三包预警按系统统计)。")
NEEDS_SERVICE_ORDER = Guard(_has_service_order, "请填写厂家的服务令号。")
NEEDS_SETTLED = Guard(_work_order_settled, "工单结算后才能提交索赔。")
NEEDS_OLD_PARTS = Guard(_old_parts_described, "请为每个更换的配件填写旧件故障(旧件标签)。")
READY_TO_SEND = (
    NEEDS_LINES,
    NEEDS_REPAIR,
    NEEDS_SYSTEM,
    NEEDS_SERVICE_ORDER,
    NEEDS_OLD_PARTS,
    NEEDS_SETTLED,
)

P = "warranty."
TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "submit", "提交厂家", (S.DRAFT,), S.SUBMITTED, P + "submit_warrantyclaim", READY_TO_SEND
        ),
        Transition(
            "approve",
            "登记厂家批准",
            (S.SUBMITTED, S.RESUBMITTED),
            S.APPROVED,
            P + "decide_warrantyclaim",
            via="amount",
        ),
        Transition(
            "reject",
            "登记厂家驳回",
            (S.SUBMITTED, S.RESUBMITTED),
            S.REJECTED,
            P + "decide_warrantyclaim",
            needs_reason=True,
        ),
        Transition(
            "resubmit",
            "修改后重新提交",
            (S.REJECTED,),
            S.RESUBMITTED,
            P + "submit_warrantyclaim",
            READY_TO_SEND,
        ),
        Transition(
            "pay", "登记厂家付款", (S.APPROVED,), S.PAID, P + "pay_warrantyclaim", via="payment"
        ),
    )
}


def refusals(transition: Transition, claim: WarrantyClaim) -> list[str]:
    """The guards' sentences that block `transition` now (empty: it may go)."""
    return [guard.refusal for guard in transition.guards if not guard.test(claim)]


def available_transitions(claim: WarrantyClaim, user) -> list[tuple[Transition, list[str]]]:
    """The moves `user` may make from the claim's state, each with what blocks it now."""
    return [
        (t, refusals(t, claim))
        for t in TRANSITIONS.values()
        if claim.status in t.sources and user.has_perm(t.permission)
    ]
