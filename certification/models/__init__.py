from .accounts import ActivationCode
from .applications import Application
from .certificates import Certificate, Reissue, SerialCounter, Series, SigningKey
from .issuance import BatchArchive, BatchChunk, BatchFailure, IssuanceBatch
from .promotions import Promotion
from .publicity import Objection
from .results import Result, ResultCorrection
from .sessions import Finding, Session, SessionStaff
from .statistics import HeldLevel, StatisticsRun, StatisticValue
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
    "HeldLevel",
    "IssuanceBatch",
    "Objection",
    "Promotion",
    "Reissue",
    "Report",
    "Result",
    "ResultCorrection",
    "Sanction",
    "SerialCounter",
    "Series",
    "SigningKey",
    "StatisticValue",
    "StatisticsRun",
    "Session",
    "SessionStaff",
    "VerificationSweep",
]
