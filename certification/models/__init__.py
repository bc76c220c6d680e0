from .accounts import ActivationCode
from .applications import Application
from .certificates import Certificate, SerialCounter, Series
from .issuance import BatchArchive, BatchChunk, BatchFailure, IssuanceBatch
from .results import Result, ResultCorrection
from .sessions import Finding, Session, SessionStaff

__all__ = [
    "ActivationCode",
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
    "Session",
    "SessionStaff",
]
