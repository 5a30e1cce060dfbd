"""The states of an appointment as one table (as workorders/transitions.py for orders).

booked ─confirm→ confirmed; booked|confirmed ─arrive→ arrived (the work order opens),
─no_show→ no-show, ─cancel→ cancelled, ─rebook→ re-booked (a new appointment takes its
place). The last four are final. `services` is the only writer of `Appointment.status`:
it claims a move with a conditional UPDATE (… WHERE status = <the status the user saw>)
and writes an AppointmentStatusChange; the pages' buttons come from `available`.
"""

from dataclasses import dataclass

from .models import Appointment, Reason

S = Appointment.Status
A = "appointments."


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    permissions: tuple[str, ...]
    reasons: tuple[str, ...] = ()  # the reasons offered; a move with reasons needs one


OPEN = (S.BOOKED, S.CONFIRMED)
CHANGE = (A + "change_appointment",)
TRANSITIONS = {
    t.name: t
    for t in (
        Transition("confirm", "确认", (S.BOOKED,), S.CONFIRMED, CHANGE),
        Transition("arrive", "到店接车", OPEN, S.ARRIVED, (*CHANGE, "workorders.add_workorder")),
        Transition(
            "no_show",
            "爽约",
            OPEN,
            S.NO_SHOW,
            CHANGE,
            (
                Reason.FORGOT,
                Reason.CUSTOMER_BUSY,
                Reason.UNREACHABLE,
                Reason.DONE_ELSEWHERE,
                Reason.OTHER,
            ),
        ),
        Transition(
            "cancel",
            "取消预约",
            OPEN,
            S.CANCELLED,
            CHANGE,
            (
                Reason.CUSTOMER_BUSY,
                Reason.DONE_ELSEWHERE,
                Reason.VEHICLE_GONE,
                Reason.PRICE,
                Reason.DEALER,
                Reason.OTHER,
            ),
        ),
        Transition(
            "rebook",
            "改约",
            OPEN,
            S.REBOOKED,
            CHANGE,
            (Reason.CUSTOMER_ASKED, Reason.DEALER, Reason.PARTS, Reason.OTHER),
        ),
    )
}


def reason_choices(name: str) -> list[tuple[str, str]]:
    """The reasons a move offers, as form choices."""
    return [(code, Reason(code).label) for code in TRANSITIONS[name].reasons]


def available(appointment: Appointment, user) -> list[Transition]:
    """The moves `user` may make on `appointment` now (the buttons of its page)."""
    return [
        t
        for t in TRANSITIONS.values()
        if appointment.status in t.sources and user.has_perms(t.permissions)
    ]
