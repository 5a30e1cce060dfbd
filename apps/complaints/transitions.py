"""The states of a complaint (DOMAIN.md §6) as one table, like the work order's.

received → judge_valid → investigating → propose → proposed → approve → approved →
resolve (carried out, the customer signs) → resolved → second_satisfied → closed.
Side roads: judge_invalid (explained to the customer, closed at once); the manager's
reject_solution (back to investigating); second_unsatisfied (the second callback found the
customer still unhappy: back to investigating); the manager's manager_close of any open
complaint with a written reason.

Each move names its permission, its guards (with the Chinese sentence shown when it
fails), whether it needs a note (the reason, the explanation) and which form records
more than the state (`via`). `services.complaint_transition` is the only writer of
`Complaint.status`: it claims the move with `UPDATE … WHERE status = <from>` and writes a
ComplaintStep (who, when, what). The page's forms come from `available_transitions`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from apps.callbacks.selectors import SecondCallResult, second_callback_result

from .models import Complaint

S = Complaint.Status
OPEN = tuple(status for status in S if status not in Complaint.FINISHED)


@dataclass(frozen=True)
class Guard:
    test: Callable[[Complaint], bool]
    refusal: str


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button
    sources: tuple[str, ...]
    target: str
    permission: str
    guards: tuple[Guard, ...] = ()
    needs_note: bool = False
    note_label: str = ""  # what the note is (placeholder of its field)
    # The form that records more than the state: "proposal" (cause, department, person,
    # solution), "resolution" (what was done, the customer's signature), "evaluation".
    via: str = ""
    style: str = "primary"


def _solution_written(complaint: Complaint) -> bool:
    return all(value.strip() for value in (complaint.cause, complaint.solution))


NEEDS_SOLUTION = Guard(_solution_written, "方案缺少投诉原因或处理方案,请退回补充。")


def _second_result(complaint: Complaint) -> SecondCallResult | None:
    """What the linked second callback recorded (None: no link), read once per complaint."""
    if complaint.second_callback_id is None:
        return None
    pk = complaint.second_callback_id
    cached = getattr(complaint, "_second_result", None)
    if cached is None or cached[0] != pk:
        cached = complaint._second_result = (pk, second_callback_result(complaint.second_callback))
    return cached[1]


def _second_call_done(complaint: Complaint) -> bool:
    """No linked second callback (the close form records the clerk's call), or it
    reached the customer."""
    return _second_result(complaint) not in (
        SecondCallResult.PENDING,
        SecondCallResult.NOT_REACHED,
    )


def _second_call_not_unhappy(complaint: Complaint) -> bool:
    return _second_result(complaint) != SecondCallResult.UNHAPPY


# "It cannot be closed until the second callback records the customer as satisfied, or
# the manager closes it with a written reason" (DOMAIN §6).
NEEDS_SECOND_CALL = Guard(
    _second_call_done,
    "二次回访尚未完成:请客服专员在“回访拨打”中接通客户并记录回访结果后再以“客户满意”结案"
    "(无法联系客户时,可由经理填写理由关闭)。",
)
NEEDS_SATISFIED_CUSTOMER = Guard(
    _second_call_not_unhappy,
    "二次回访记录客户仍不满意(有低于 4 分的评分或问题未解决),不能以“客户满意”结案:"
    "请选择“二次回访:客户仍不满意”继续处理,或由经理填写理由关闭。",
)

P = "complaints."
WORK = P + "work_complaint"
APPROVE = P + "approve_complaint"
TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "judge_valid",
            "判定成立,开始调查",
            (S.RECEIVED,),
            S.INVESTIGATING,
            WORK,
            note_label="与客户沟通情况(可选)",
        ),
        Transition(
            "judge_invalid",
            "判定不成立",
            (S.RECEIVED,),
            S.INVALID,
            WORK,
            needs_note=True,
            note_label="向客户的解释(必填)",
            style="outline-danger",
        ),
        Transition("propose", "提交处理方案", (S.INVESTIGATING,), S.PROPOSED, WORK, via="proposal"),
        Transition(
            "approve",
            "批准方案",
            (S.PROPOSED,),
            S.APPROVED,
            APPROVE,
            (NEEDS_SOLUTION,),
            note_label="审批意见(可选)",
            style="success",
        ),
        Transition(
            "reject_solution",
            "退回方案",
            (S.PROPOSED,),
            S.INVESTIGATING,
            APPROVE,
            needs_note=True,
            note_label="退回原因(必填)",
            style="outline-danger",
        ),
        Transition(
            "resolve",
            "方案已执行,客户签字确认",
            (S.APPROVED,),
            S.RESOLVED,
            WORK,
            via="resolution",
            style="success",
        ),
        Transition(
            "second_satisfied",
            "二次回访:客户满意,结案",
            (S.RESOLVED,),
            S.CLOSED,
            WORK,
            (NEEDS_SECOND_CALL, NEEDS_SATISFIED_CUSTOMER),
            via="evaluation",
            style="success",
        ),
        Transition(
            "second_unsatisfied",
            "二次回访:客户仍不满意",
            (S.RESOLVED,),
            S.INVESTIGATING,
            WORK,
            needs_note=True,
            note_label="客户的意见(必填)",
            style="outline-danger",
        ),
        Transition(
            "manager_close",
            "经理关闭",
            OPEN,
            S.CLOSED,
            APPROVE,
            needs_note=True,
            note_label="关闭理由(必填)",
            style="outline-secondary",
        ),
    )
}


def refusals(transition: Transition, complaint: Complaint) -> list[str]:
    """The guards' sentences that block `transition` now (empty: it may go)."""
    return [guard.refusal for guard in transition.guards if not guard.test(complaint)]


def available_transitions(complaint: Complaint, user) -> list[tuple[Transition, list[str]]]:
    """The moves `user` may make from the complaint's state, each with what blocks it."""
    return [
        (t, refusals(t, complaint))
        for t in TRANSITIONS.values()
        if complaint.status in t.sources and user.has_perm(t.permission)
    ]
