"""Every state change of the certification process, as one function each."""

from .applications import application_decide, application_enrol, application_enrol_bulk, application_withdraw
from .results import result_correct, result_record
from .sessions import (
    finding_clear,
    finding_open,
    session_plan,
    session_staff_assign,
    session_staffing_shortfalls,
    session_submit,
)

__all__ = [
    "application_decide",
    "application_enrol",
    "application_enrol_bulk",
    "application_withdraw",
    "finding_clear",
    "finding_open",
    "result_correct",
    "result_record",
    "session_plan",
    "session_staff_assign",
    "session_staffing_shortfalls",
    "session_submit",
]
