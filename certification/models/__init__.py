from .applications import Application
from .certificates import Certificate, SerialCounter, Series, SigningKey
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
    "Result",
    "ResultCorrection",
    "SerialCounter",
    "Series",
    "SigningKey",
    "Session",
    "SessionStaff",
]
