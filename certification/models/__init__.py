from .applications import Application
from .results import Result, ResultCorrection
from .sessions import Finding, Session, SessionStaff

__all__ = ["Application", "Finding", "Result", "ResultCorrection", "Session", "SessionStaff"]
