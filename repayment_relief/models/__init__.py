"""Models of repayment relief: the bank's loan ledger (ledger.py) and the relief cases (cases.py)."""

from .cases import (
    ApplicantKind,
    CountySummary,
    ReliefArchiveBox,
    ReliefArchiveItem,
    ReliefBatch,
    ReliefBlacklistEntry,
    ReliefCase,
    ReliefCaseStatus,
    ReliefCategory,
    ReliefDocument,
    ReliefInformationOfficer,
    ReliefObjection,
    ReliefPublicNotice,
    ReliefVerification,
    VerificationMethod,
)
from .ledger import LoanContract, LoanLedgerSnapshot

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
