from .accounts import ActivationCode
from .applications import Application
from .certificates import Certificate, Reissue, SerialCounter, Series, SigningKey
from .issuance import BatchArchive, BatchChunk, BatchFailure, IssuanceBatch
from .promotions import Promotion
from .publicity import Objection
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
    "Objection",
    "Promotion",
    "Reissue",
    "Result",
    "ResultCorrection",
    "SerialCounter",
    "Series",
    "SigningKey",
    "Session",
    "SessionStaff",
]
