from .applications import Application
from .certificates import Certificate, Reissue, SerialCounter, Series
from .issuance import BatchArchive, BatchChunk, BatchFailure, IssuanceBatch
from .results import Result, ResultCorrection
from .sessions import Finding, Session, SessionStaff

__all__ = [
    "Application",
    "BatchArchive",
    "BatchChunk",
    "BatchFailure",
    "Certificate",
    "Finding",
    "IssuanceBatch",
    "Reissue",
    "Result",
    "ResultCorrection",
    "SerialCounter",
    "Series",
    "Session",
    "SessionStaff",
]
