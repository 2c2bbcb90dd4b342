"""Navigation, dashboard cards, audit labels, calendar obligations and demo data of the loan year's close
(receipt confirmation, bank status, archives)."""

import contextlib
import io

from django.urls import reverse
from django.utils import timezone

from loanportal.errors import DomainError
from loanportal.registry import (
    NavItem,
    Panel,
    register_action_labels,
    register_nav,
    register_panel,
    register_seeder,
)
from loanportal.roles import COUNTY_ROLES, Role

from .. import states

# The bank's own page; the province (officer who imports the bank's file, manager who reads) opens it from the
# application list's header — the province's top navigation is full at 1366 pixels.
BANK_PAGE_ROLES = frozenset({Role.BANK_OFFICER})

ACTION_LABELS = {
    "application.bank_declined": "银行审批不通过",
    "bank_status_import.succeeded": "导入银行审批放款表",
    "bank_status_import.rejected": "银行审批放款表未导入（有错误）",
    "archive_box.create": "登记档案盒",
}


def _year() -> int:
    from deadlines.services import current_loan_year

    return current_loan_year(timezone.localdate())


def _card_receipts_to_confirm(user):
    from ..selectors.lifecycle import obligation_receipts_to_confirm

    count = obligation_receipts_to_confirm(county=user.organisation, year=_year())
    return {
        "title": "待确认电子回执",
        "value": count,
        "unit": "份",
        "url": reverse("receipt-confirmation"),
        "note": "高校已录入，待本县确认后移交银行（通知八）",
        "level": "warning" if count else "",
    }


def _card_unarchived(user):
    from ..selectors.yearend import applications_unarchived

    count = applications_unarchived(user=user, year=_year()).count()
    if not count:
        return None
    return {
        "title": "待归档",
        "value": count,
        "unit": "件",
        "url": reverse("archive-unarchived"),
        "note": "次年3月底前完成信贷材料归档（通知八）",
    }


# --- calendar obligations -----------------------------------------------------------------------


def _receipts_to_confirm(*, organisation, loan_year):
    from deadlines.registry import Obligation

    from ..selectors.lifecycle import obligation_receipts_to_confirm

    year = getattr(loan_year, "year", loan_year)
    return Obligation(
        count=obligation_receipts_to_confirm(county=organisation, year=year),
        url=reverse("receipt-confirmation"),
    )


def _bank_open(*, organisation, loan_year):
    """The bank owes a result on every contract handed to it (回执已确认) and a disbursement on every
    approved one."""
    from deadlines.registry import Obligation

    from ..models import Application

    year = getattr(loan_year, "year", loan_year)
    count = Application.objects.filter(
        year=year, status__in=(states.RECEIPT_CONFIRMED, states.BANK_APPROVED)
    ).count()
    return Obligation(count=count, url=reverse("bank-status-list"))


def _archives_open(*, organisation, loan_year):
    from deadlines.registry import Obligation

    from ..models import Application

    year = getattr(loan_year, "year", loan_year)
    count = Application.objects.filter(
        county=organisation, year=year, status__in=states.ARCHIVABLE_STATES, contract_number__isnull=False
    ).count()
    return Obligation(count=count, url=reverse("archive-unarchived"))


def register_calendar() -> None:
    from deadlines.registry import register_obligation

    # replaces lifecycle's counter of the same code: same count, the bulk confirmation page as the link
    register_obligation("receipt_confirm_due", _receipts_to_confirm)
    register_obligation("bank_approval_due", _bank_open)
    register_obligation("archive_due", _archives_open)


def register():
    # The county's pages (确认回执, 归档) are reached from the dashboard cards, the calendar's obligations and
    # the application list's header: the top navigation must fit a 1366-pixel screen.
    register_nav(NavItem("审批放款", "bank-status-list", BANK_PAGE_ROLES, order=33))
    county = frozenset(COUNTY_ROLES)
    register_panel(Panel("yearend.receipts_to_confirm", county, _card_receipts_to_confirm, order=23))
    register_panel(Panel("yearend.unarchived", county, _card_unarchived, order=26))
    register_action_labels(ACTION_LABELS)
    register_seeder(45, seed_year_end)
    register_calendar()


# --- demo data ----------------------------------------------------------------------------------

DEMO_BOXES = [
    ("001", "借款合同、受理证明、身份证复印件", "档案室A柜1层"),
    ("002", "借款合同、受理证明", "档案室A柜2层"),
]


def seed_year_end(context: dict) -> None:
    """Demo: a bank file imported by the province officer (one succeeded, one refused with its error
    report), and county 1's archive boxes holding its finished cases. Idempotent."""
    from ..models import Application, ArchiveBox, BankStatusImport
    from ..services import yearend as services

    year = _year()
    users = context["users"]
    officer = users.get("province_officer")
    if officer is not None and not BankStatusImport.objects.exists():
        waiting = list(
            Application.objects.filter(year=year, status=states.RECEIPT_CONFIRMED)
            .select_related("student")
            .order_by("pk")[:2]
        )
        if waiting:
            good = [(a, "已放款" if i == 0 else "审批通过") for i, a in enumerate(waiting)]
            # outside the bank's dates (a calendar edited by hand) the demo simply has no import
            with contextlib.suppress(DomainError):
                services.bank_status_import(actor=officer, file=_demo_file(good, year, mistakes=False))
        rest = list(Application.objects.filter(year=year, status=states.RECEIPT_ENTERED).order_by("pk")[:1])
        bad = [(a, "已放款") for a in waiting[:1]] + [(a, "审批通过") for a in rest]
        if bad:
            with contextlib.suppress(DomainError):  # refused on purpose: the demo's error report
                services.bank_status_import(actor=officer, file=_demo_file(bad, year, mistakes=True))
    clerk = users.get("county1_staff")
    county = context["counties"][0] if context.get("counties") else None
    if clerk is None or county is None:
        return
    for number, contents, location in DEMO_BOXES:
        box = ArchiveBox.objects.filter(county=county, year=year, number=f"{year}-{number}").first()
        if box is None:
            box = services.archive_box_create(
                actor=clerk,
                year=year,
                number=f"{year}-{number}",
                archived_on=timezone.localdate(),
                contents=contents,
                location=location,
            )
        if number == "001":
            ready = Application.objects.filter(
                county=county,
                year=year,
                status__in=(states.DISBURSED, states.WITHDRAWN),
                contract_number__isnull=False,
                archive_box__isnull=True,
            ).order_by("pk")[:2]
            if ready:
                services.archive_box_assign(actor=clerk, box=box, applications=list(ready))


def _demo_file(rows, year: int, *, mistakes: bool):
    """An .xlsx laid out like the bank's file (the template's columns) for the demo import."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from loanportal.exports.workbook import SafeWorkbook

    from ..services.yearend import BANK_IMPORT_TEMPLATE

    book = SafeWorkbook()
    sheet = book.add_sheet("银行审批放款情况")
    for col, field in enumerate(BANK_IMPORT_TEMPLATE.fields):
        book.text(sheet, 0, col, field.header)
    today = timezone.localdate().isoformat()
    for index, (application, result) in enumerate(rows, start=1):
        amount = application.total_amount + (500 if mistakes and index == 1 else 0)
        values = {
            "contract_number": application.contract_number,
            "student_name": application.student.name,
            "result": result,
            "loan_amount": amount,
            "to_university": application.tuition_amount + application.accommodation_amount
            if result == "已放款"
            else None,
            "to_student": 0 if result == "已放款" else None,
            "disbursed_on": today if result == "已放款" else "",
            "reason": "",
        }
        for col, field in enumerate(BANK_IMPORT_TEMPLATE.fields):
            value = values[field.key]
            if isinstance(value, int):
                book.value(sheet, index, col, value)
            elif value:
                book.text(sheet, index, col, value)
    name = f"国开行{year}年度审批放款情况{'（有误）' if mistakes else ''}.xlsx"
    return SimpleUploadedFile(
        name,
        io.BytesIO(book.close()).getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
