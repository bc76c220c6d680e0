"""Every state change of the certification process, as one function each."""

from .applications import application_decide, application_enrol, application_enrol_bulk, application_withdraw
from .publicity import mask_name, objection_answer, objection_file, objection_resolve
from .results import correction_approve, correction_file, correction_reject, result_correct, result_record
from .sessions import (
    session_plan,
    session_staff_assign,
    session_staffing_shortfalls,
    session_submit,
)
from .supervision import (
    finding_clear,
    finding_open,
    report_dismiss,
    report_file,
    report_to_finding,
    sanction_decide,
)

__all__ = [
    "application_decide",
    "application_enrol",
    "application_enrol_bulk",
    "application_withdraw",
    "correction_approve",
    "correction_file",
    "correction_reject",
    "finding_clear",
    "finding_open",
    "mask_name",
    "objection_answer",
    "objection_file",
    "objection_resolve",
    "report_dismiss",
    "report_file",
    "report_to_finding",
    "result_correct",
    "result_record",
    "sanction_decide",
    "session_plan",
    "session_staff_assign",
    "session_staffing_shortfalls",
    "session_submit",
]
