"""Models of repayment relief: the bank's loan ledger (ledger.py), the relief cases (cases.py) and the records kept around them (records.py)."""

from .cases import (
    ApplicantKind,
    CountySummary,
    ReliefBatch,
    ReliefCase,
    ReliefCaseStatus,
    ReliefCategory,
    ReliefDocument,
    ReliefObjection,
    ReliefPublicNotice,
    ReliefVerification,
    VerificationMethod,
)
from .ledger import LoanContract, LoanLedgerSnapshot
from .records import ReliefArchiveBox, ReliefArchiveItem, ReliefBlacklistEntry, ReliefInformationOfficer

__all__ = [
    "ApplicantKind",
    "CountySummary",
    "LoanContract",
    "LoanLedgerSnapshot",
    "ReliefArchiveBox",
    "ReliefArchiveItem",
    "ReliefBatch",
    "ReliefBlacklistEntry",
    "ReliefCase",
    "ReliefCaseStatus",
    "ReliefCategory",
    "ReliefDocument",
    "ReliefInformationOfficer",
    "ReliefObjection",
    "ReliefPublicNotice",
    "ReliefVerification",
    "VerificationMethod",
]
