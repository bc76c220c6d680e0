from .accounts import ActivationCode
from .applications import Application
from .certificates import Certificate, Reissue, SerialCounter, Series, SigningKey
from .issuance import BatchArchive, BatchChunk, BatchFailure, IssuanceBatch
from .publicity import Objection
from .results import Result, ResultCorrection
from .sessions import Finding, Session, SessionStaff
from .supervision import Report, Sanction
from .sweeps import VerificationSweep

__all__ = [
    "ActivationCode",
    "Application",
    "BatchArchive",
    "BatchChunk",
    "BatchFailure",
    "Certificate",
    "Finding",
    "IssuanceBatch",
    "Objection",
    "Reissue",
    "Report",
    "Result",
    "ResultCorrection",
    "Sanction",
    "SerialCounter",
    "Series",
    "SigningKey",
    "Session",
    "SessionStaff",
    "VerificationSweep",
]
