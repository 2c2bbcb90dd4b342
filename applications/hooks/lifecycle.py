"""Navigation, dashboard cards, audit labels, demo seeder and calendar hooks of the application lifecycle
(called from AppConfig.ready)."""

from django.urls import reverse
from django.utils import timezone

from deadlines.rules import ABANDON_UNRECEIPTED as ABANDON_ACTION  # noqa: E402
from loanportal.registry import (
    ALL_ROLES,
    NavItem,
    Panel,
    register_action_labels,
    register_nav,
    register_panel,
    register_seeder,
)
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, UNIVERSITY_ROLES, Role

from .. import states  # noqa: E402

ACTION_LABELS = {
    "application.create": "录入贷款申请",
    "application.accepted": "受理",
    "application.contract_signed": "签订合同",
    "application.receipt_entered": "录入回执",
    "application.receipt_confirmed": "确认回执",
    "application.bank_approved": "银行审批通过",
    "application.disbursed": "放款",
    "application.fee_certified": "开具收费证明",
    "application.archived": "归档",
    "application.returned": "退回",
    "application.rejected": "不予受理",
    "application.withdrawn": "撤回申请",
    "application.abandoned": "视为放弃",
    "application.correction_request": "申请更正",
    "application.correction_approve": "批准更正",
    "application.correction_reject": "驳回更正",
    "loan_policy.create": "建立年度政策参数",
    "loan_policy.update": "修改年度政策参数",
    "fee_standard.set": "设置收费标准",
}


# --- dashboard cards ----------------------------------------------------------------------------


def _year() -> int:
    from deadlines.services import current_loan_year

    return current_loan_year(timezone.localdate())


def _by(code: str, organisation) -> str:
    """ "（10月10日前）" from the calendar with the organisation's extension; empty without a calendar."""
    from deadlines.rules import format_date
    from deadlines.services import deadline_for
    from loanportal.errors import DomainError

    try:
        return f"{format_date(deadline_for(code, organisation, year=_year()))}前"
    except DomainError:
        return ""


def _figures(user):
    """The county's figures, computed once per request (loanportal.context.memoised) though three cards
    show them."""
    from loanportal.context import memoised

    from ..selectors.lifecycle import county_figures

    today = timezone.localdate()
    return memoised(("county_figures", user.pk, today), lambda: county_figures(user=user, today=today))


def _card_accepted_today(user):
    return {
        "title": "今日受理",
        "value": _figures(user)["accepted_today"],
        "unit": "件",
        "url": reverse("application-list"),
    }


def _card_signed_this_year(user):
    return {
        "title": f"{_year()}年度已签合同",
        "value": _figures(user)["signed_this_year"],
        "unit": "件",
        "url": reverse("application-list"),
    }


def _card_waiting_receipt(user):
    figures = _figures(user)
    return {
        "title": "待高校录入回执",
        "value": figures["waiting_receipt"],
        "unit": "件",
        "url": reverse("application-list") + "?status=contract_signed",
        "note": f"待本县确认回执 {figures['receipts_to_confirm']} 件"
        + (f"（{by}）" if (by := _by("receipt_confirm_due", user.organisation)) else ""),
        "level": "warning" if figures["receipts_to_confirm"] else "",
    }


def _card_receipts_to_enter(user):
    from ..selectors.lifecycle import obligation_receipts_to_enter

    count = obligation_receipts_to_enter(university=user.organisation, year=_year())
    return {
        "title": "待录入回执",
        "value": count,
        "unit": "人",
        "url": reverse("application-receipt-entry"),
        "note": f"{_by('receipt_entry_due', user.organisation) or '逾期'}未录入的视为放弃（通知八）",
        "level": "warning" if count else "",
    }


def _card_fee_certificates(user):
    from ..selectors.receipts import obligation_fee_certificates

    count = obligation_fee_certificates(university=user.organisation, year=_year())
    return {
        "title": "待开具收费证明",
        "value": count,
        "unit": "人",
        "url": reverse("fee-certificate-list"),
        "note": f"学费已到账；开具期{span}"
        if (span := _fee_window(user.organisation))
        else "学费已到账（通知八）",
        "level": "warning" if count else "",
    }


def _fee_window(organisation) -> str:
    """ "11月20日至11月30日" from the calendar (with the organisation's extension), "" without one."""
    from deadlines.rules import format_span
    from deadlines.services import deadline_for, key_date_get
    from loanportal.errors import DomainError

    try:
        key_date = key_date_get("fee_certificate_window", year=_year())
        return format_span(
            key_date.start_date, deadline_for("fee_certificate_window", organisation, year=_year())
        )
    except DomainError:
        return ""


def _card_totals(user):
    from ..selectors.lifecycle import status_totals

    year = _year()
    totals = status_totals(user=user, year=year)
    live = sum(n for status, n in totals.items() if status not in states.APPLICATION_CLOSED)
    return {
        "title": f"{year}年度首贷申请",
        "value": live,
        "unit": "件",
        "url": reverse("application-list"),
        "note": f"已放款 {totals.get('disbursed', 0) + totals.get('fee_certified', 0) + totals.get('archived', 0)} 件 · "
        f"视为放弃 {totals.get('abandoned', 0)} 件",
    }


def _card_bank(user):
    from ..selectors.lifecycle import status_totals

    totals = status_totals(user=user, year=_year())
    return {
        "title": "待审批贷款",
        "value": totals.get("receipt_confirmed", 0),
        "unit": "件",
        "url": reverse("bank-status-list") + "?status=receipt_confirmed",
    }


# --- calendar (deadlines registry) --------------------------------------------------------------


def _abandon_unreceipted(*, loan_year, key_date=None, organisation=None, as_of=None, dry_run=False):
    from ..services.lifecycle import abandon_unreceipted

    return abandon_unreceipted(
        loan_year=loan_year, key_date=key_date, organisation=organisation, as_of=as_of, dry_run=dry_run
    )


def _receipts_to_enter(*, organisation, loan_year):
    from deadlines.registry import Obligation

    from ..selectors.lifecycle import obligation_receipts_to_enter

    year = getattr(loan_year, "year", loan_year)
    return Obligation(
        count=obligation_receipts_to_enter(university=organisation, year=year),
        url=reverse("application-receipt-entry"),
    )


def _receipts_to_confirm(*, organisation, loan_year):
    from deadlines.registry import Obligation

    from ..selectors.lifecycle import obligation_receipts_to_confirm

    year = getattr(loan_year, "year", loan_year)
    return Obligation(
        count=obligation_receipts_to_confirm(county=organisation, year=year),
        url=reverse("application-list") + "?status=receipt_entered",
    )


def _fee_certificates_to_issue(*, organisation, loan_year):
    from deadlines.registry import Obligation

    from ..selectors.receipts import obligation_fee_certificates

    year = getattr(loan_year, "year", loan_year)
    return Obligation(
        count=obligation_fee_certificates(university=organisation, year=year),
        url=reverse("fee-certificate-list"),
    )


def register_calendar() -> None:
    try:
        from deadlines.registry import register_enforcement, register_obligation
    except ImportError:  # pragma: no cover - the deadlines app is always installed
        return
    register_enforcement(ABANDON_ACTION, _abandon_unreceipted)
    register_obligation("receipt_entry_due", _receipts_to_enter)
    register_obligation("receipt_confirm_due", _receipts_to_confirm)
    register_obligation("fee_certificate_window", _fee_certificates_to_issue)


def register():
    register_nav(NavItem("贷款申请", "application-list", ALL_ROLES, order=30))
    register_nav(NavItem("录入回执", "application-receipt-entry", frozenset(UNIVERSITY_ROLES), order=31))
    register_nav(NavItem("收费证明", "fee-certificate-list", frozenset(UNIVERSITY_ROLES), order=33))
    register_nav(NavItem("政策参数", "loan-policy-list", frozenset(PROVINCE_ROLES), order=85))
    county = frozenset(COUNTY_ROLES)
    register_panel(Panel("lifecycle.accepted_today", county, _card_accepted_today, order=20))
    register_panel(Panel("lifecycle.signed", county, _card_signed_this_year, order=21))
    register_panel(Panel("lifecycle.waiting_receipt", county, _card_waiting_receipt, order=22))
    register_panel(
        Panel("lifecycle.receipts_to_enter", frozenset(UNIVERSITY_ROLES), _card_receipts_to_enter, order=20)
    )
    register_panel(
        Panel("lifecycle.fee_certificates", frozenset(UNIVERSITY_ROLES), _card_fee_certificates, order=21)
    )
    managers = frozenset({Role.CITY_MANAGER, Role.PROVINCE_MANAGER, Role.PROVINCE_OFFICER})
    register_panel(Panel("lifecycle.totals", managers, _card_totals, order=20))
    register_panel(Panel("lifecycle.bank", frozenset({Role.BANK_OFFICER}), _card_bank, order=20))
    register_action_labels(ACTION_LABELS)
    register_seeder(40, seed_applications)
    register_calendar()


# --- demo data ----------------------------------------------------------------------------------

# (county index, student index within the county's 12, target state)
DEMO_PLAN = [
    (0, 0, "receipt_confirmed"),  # county 1 student at university 4 (out of province)
    (0, 1, "contract_signed"),
    (0, 2, "accepted"),
    (0, 3, "receipt_entered"),  # university 4
    (0, 4, "returned"),
    (0, 5, "withdrawn"),
    (0, 6, "disbursed"),  # university 4
    (0, 7, "accepted"),
    (1, 0, "contract_signed"),
    (1, 1, "accepted"),
    (1, 2, "rejected"),
    (2, 0, "accepted"),
    (2, 1, "contract_signed"),
    (2, 3, "accepted"),
    # 兰州大学 (university1_officer): receipts to scan, one entered, disbursed students awaiting their
    # fee certificates (收费证明)
    (1, 5, "disbursed"),
    (1, 11, "disbursed"),
    (2, 4, "receipt_entered"),
    (2, 10, "contract_signed"),
    (3, 3, "contract_signed"),
    (3, 9, "receipt_confirmed"),
    # the loan year's close (issue 13): receipts waiting for county 1 and 2
    (0, 9, "receipt_entered"),
    (1, 8, "receipt_entered"),
]
PATH = ["contract_signed", "receipt_entered", "receipt_confirmed", "bank_approved", "disbursed"]


def seed_applications(context: dict) -> None:
    """Applications in several states for counties 1–3, through the services (so audit rows exist).
    Idempotent: a student who already has an application this year is skipped. The demo calendar holds
    today in the intake window (deadlines' seeder), so every step passes the same calendar checks as a
    clerk's."""
    from loanportal.models import User

    from ..models import Application
    from ..services import lifecycle as services

    year = services.current_loan_year()
    services.loan_policy_ensure(year=year)
    _seed_fee_standards(context, year)
    users = context["users"]
    staff = [
        users.get("county1_staff"),
        users.get("county2_staff"),
        users.get("county3_staff"),
        users.get("county4_staff"),
    ]
    bank = users.get("bank_officer")
    students_by_county = {}
    for student in context["students"]:
        students_by_county.setdefault(student.household_county_id, []).append(student)
    counties = context["counties"]
    for county_index, student_index, target in DEMO_PLAN:
        actor = staff[county_index]
        students = students_by_county.get(counties[county_index].pk, [])
        if actor is None or student_index >= len(students):
            continue
        student = students[student_index]
        if Application.objects.filter(student=student, year=year).exists():
            continue
        co = student.co_borrowers.first()
        level = student.level
        limit = 20000 if level != "graduate" else 25000
        tuition = min(5000 + 500 * student_index, limit - 1500)
        application = services.application_create(
            actor=actor,
            student={
                "name": student.name,
                "id_number": student.id_number,
                "phone": student.phone,
                "address": student.address,
            },
            co_borrower={
                "name": co.name,
                "id_number": co.id_number,
                "relationship": co.relationship,
                "phone": co.phone,
            }
            if co
            else None,
            study={
                "university": student.university,
                "major": student.major,
                "level": level,
                "enrolment_year": student.enrolment_year or year,
                "study_years": student.study_years or 4,
            },
            tuition_amount=tuition,
            accommodation_amount=1200,
            commitment_accepted=True,
        )
        if target in ("returned", "withdrawn", "rejected"):
            services.application_transition(
                actor=actor, application=application, to=target, reason="演示：材料不全，请补充后再办理"
            )
            continue
        university_user = User.objects.filter(
            organisation=student.university, role__in=UNIVERSITY_ROLES
        ).first()
        for step in PATH:
            if target == "accepted" or (step == "receipt_entered" and university_user is None):
                break
            if step == "contract_signed":
                application = services.application_transition(actor=actor, application=application, to=step)
            elif step == "receipt_entered":
                application = services.receipt_enter(
                    actor=university_user, receipt_code=application.receipt_code
                )
            elif step == "receipt_confirmed":
                application = services.application_transition(actor=actor, application=application, to=step)
            elif bank is not None and step == "disbursed":
                from ..services.yearend import bank_status_record

                # tuition and accommodation to the university's fee account, except for a student who
                # lives off campus (accommodation to the student)
                off_campus = application.pk % 3 == 2
                application = bank_status_record(
                    actor=bank,
                    application=application,
                    result="disbursed",
                    to_university=application.tuition_amount
                    + (0 if off_campus else application.accommodation_amount),
                    to_student=application.accommodation_amount if off_campus else 0,
                    disbursed_on=timezone.localdate(),
                )
            elif bank is not None:
                application = services.application_transition(actor=bank, application=application, to=step)
            if step == target:
                break


DEMO_FEES = [
    ("计算机科学与技术", "undergraduate", 5000, 1200),
    ("临床医学", "undergraduate", 6200, 1200),
    ("金融学", "undergraduate", 4800, 1000),
    ("土木工程", "undergraduate", 5000, 1000),
    ("汉语言文学", "undergraduate", 4400, 1000),
    ("化学", "undergraduate", 4800, 1200),
    ("统计学", "undergraduate", 4800, 1200),
    ("计算机科学与技术", "vocational", 4500, 900),
    ("计算机科学与技术", "graduate", 8000, 1500),
]


def _seed_fee_standards(context: dict, year: int) -> None:
    """收费标准 for the demo universities (their fee accounts are confirmed by renewals' seeder)."""
    from renewals.models import FeeStandard
    from renewals.services import fee_standard_set

    for index, university in enumerate(context["universities"]):
        actor = next((u for u in context["users"].values() if u.organisation_id == university.pk), None)
        for major, level, tuition, accommodation in DEMO_FEES:
            if FeeStandard.objects.filter(
                university=university, year=year, major=major, level=level
            ).exists():
                continue
            fee_standard_set(
                actor=actor,
                university=university,
                year=year,
                major=major,
                level=level,
                tuition=tuition + 200 * index,
                accommodation=accommodation,
            )
