"""Models of the first-loan cycle at the county (首贷): policy parameters, pre-application lists,
intake sites and appointments, queue snapshots, applications."""

from .application import Application, ApplicationCorrection, ApplicationStatus, CorrectionStatus
from .fee_certificate import FeeCertificate
from .intake import (
    Appointment,
    AppointmentStatus,
    IntakePlan,
    IntakeSite,
    IntakeWindow,
    QueueLevel,
    QueueSnapshot,
    SiteKind,
    TimeSlot,
)
from .parameters import LoanPolicy
from .preapplication import PreApplication, PreApplicationBasis, PreApplicationImport, PreApplicationStatus
from .yearend import ArchiveBox, BankStatusImport

__all__ = [
    "Application",
    "ArchiveBox",
    "BankStatusImport",
    "ApplicationCorrection",
    "ApplicationStatus",
    "Appointment",
    "AppointmentStatus",
    "CorrectionStatus",
    "FeeCertificate",
    "IntakePlan",
    "IntakeSite",
    "IntakeWindow",
    "LoanPolicy",
    "PreApplication",
    "PreApplicationBasis",
    "PreApplicationImport",
    "PreApplicationStatus",
    "QueueLevel",
    "QueueSnapshot",
    "SiteKind",
    "TimeSlot",
]
