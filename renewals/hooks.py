"""What the renewals app plugs into the portal: navigation, the calendar's hand-over to the county
(renewal_review_due, notice 三(七) 兜底), the open-review obligation, and demo data."""

from django.urls import reverse

from loanportal.registry import (
    NavItem,
    Panel,
    register_action_labels,
    register_nav,
    register_panel,
    register_seeder,
)
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, UNIVERSITY_ROLES, Role

HAND_OVER_ACTION = "renewals.hand_overdue_reviews_to_county"
LATE_FEE_ACTION = "renewals.list_late_fee_universities"


def _hand_over(*, loan_year, key_date, organisation, as_of, dry_run):
    from .services import renewal_hand_over_overdue

    return renewal_hand_over_overdue(
        loan_year=loan_year, key_date=key_date, organisation=organisation, as_of=as_of, dry_run=dry_run
    )


def _reviews_open(*, organisation, loan_year):
    from deadlines.registry import Obligation

    from . import states
    from .models import RenewalDeclaration

    year = getattr(loan_year, "year", loan_year)
    count = RenewalDeclaration.objects.filter(
        university=organisation, year=year, status__in=states.PENDING
    ).count()
    return Obligation(count=count, url=reverse("renewal-list") + "?status=submitted")


def _late_fee(*, loan_year, key_date, organisation, as_of, dry_run):
    from .fees import fee_late_universities_record

    return fee_late_universities_record(
        loan_year=loan_year, key_date=key_date, organisation=organisation, as_of=as_of, dry_run=dry_run
    )


def _fees_open(*, organisation, loan_year):
    """`fee_standard_due`: a university owes its fee standards (1) and its account confirmation (1)."""
    from deadlines.registry import Obligation

    from .fees import fee_obligation

    year = getattr(loan_year, "year", loan_year)
    return Obligation(
        count=fee_obligation(university=organisation, year=year), url=reverse("fee-standard-list")
    )


def register_calendar() -> None:
    from deadlines.registry import register_enforcement, register_obligation

    register_enforcement(HAND_OVER_ACTION, _hand_over)
    register_obligation("renewal_review_due", _reviews_open)
    register_enforcement(LATE_FEE_ACTION, _late_fee)
    register_obligation("fee_standard_due", _fees_open)


# --- demo data ------------------------------------------------------------------------------------------

# (index among the in-/out-of-province students, who decides, decision) — several states of both kinds
DEMO_IN_PROVINCE = [None, "approve", "return", "return+resubmit", "reject", None]
DEMO_OUT_OF_PROVINCE = [None, "approve", None, "county-approve", None]


def seed_renewals(context: dict) -> None:
    """A few renewal declarations for in- and out-of-province students in several states, through the
    services (audited). Idempotent: a student who already declared this year is skipped."""
    from deadlines.services import current_loan_year

    from .models import RenewalDeclaration
    from .selectors import fee_standard_find
    from .services import renewal_declare, renewal_resubmit, renewal_review

    year = current_loan_year()
    users = context["users"]
    by_org = {}
    for user in users.values():
        if user.role in (Role.UNIVERSITY_OFFICER, Role.COUNTY_STAFF):
            by_org.setdefault(user.organisation_id, user)
    students = [s for s in context["students"] if s.university_id is not None]
    inside = [s for s in students if s.university.in_province and s.university_id in by_org]
    # out of province: students of universities with an officer first (they review some of them)
    outside = sorted(
        (s for s in students if not s.university.in_province),
        key=lambda s: (s.university_id not in by_org, s.pk),
    )
    plan = list(zip(inside, DEMO_IN_PROVINCE, strict=False)) + list(
        zip(outside, DEMO_OUT_OF_PROVINCE, strict=False)
    )
    for index, (student, step) in enumerate(plan):
        if RenewalDeclaration.objects.filter(student=student, year=year).exists():
            continue
        fee = fee_standard_find(
            university=student.university, year=year, major=student.major, level=student.level
        )
        tuition, accommodation = (fee.tuition, fee.accommodation) if fee else (4000, 800)
        declaration = renewal_declare(
            actor=None,
            student=student,
            year=year,
            tuition_amount=tuition,
            accommodation_amount=accommodation,
            statement="本人承诺继续申请生源地信用助学贷款，所填信息真实。",
            contract_number=f"62{year - 1}{index + 1:06d}",
        )
        university_user = by_org.get(student.university_id)
        county_user = by_org.get(student.household_county_id)
        if step == "county-approve" and county_user is not None:
            renewal_review(actor=county_user, declaration=declaration, decision="approve")
            continue
        if step is None or step == "county-approve" or university_user is None:
            continue
        if step == "approve":
            renewal_review(actor=university_user, declaration=declaration, decision="approve")
        elif step == "reject":
            renewal_review(
                actor=university_user,
                declaration=declaration,
                decision="reject",
                reason="该生已毕业，不再续贷",
            )
        else:
            declaration = renewal_review(
                actor=university_user,
                declaration=declaration,
                decision="return",
                reason="住宿费金额与学校标准不符",
            )
            if step == "return+resubmit":
                renewal_resubmit(
                    actor=None,
                    declaration=declaration,
                    tuition_amount=tuition,
                    accommodation_amount=max(0, accommodation - 200),
                )


def _late_universities_card(user):
    """Province dashboard: the universities the calendar listed as late with their fee standards."""
    from deadlines.services import current_loan_year

    from .fees import late_fee_universities

    count = late_fee_universities(user=user, year=current_loan_year()).count()
    return {
        "title": "收费标准逾期高校",
        "value": count,
        "unit": "所",
        "url": reverse("fee-standard-list"),
        "level": "danger" if count else "",
        "note": "未录入收费标准或未确认收费账户" if count else "查看各高校收费标准录入情况",
    }


def _seed_university_year(context: dict) -> None:
    from .demo import seed_university_year

    seed_university_year(context)


def register() -> None:
    from . import reminders  # noqa: F401  (registers the class reminder export)

    reviewers = frozenset({*COUNTY_ROLES, *UNIVERSITY_ROLES, *PROVINCE_ROLES, Role.CITY_MANAGER})
    register_nav(NavItem("续贷", "renewal-list", reviewers, order=32))
    # universities only: the province's navigation is full at 1366 px; its overview is reached from the
    # dashboard card 收费标准逾期高校 (always shown to province staff)
    register_nav(NavItem("收费标准", "fee-standard-list", frozenset(UNIVERSITY_ROLES), order=34))
    register_nav(NavItem("毕业确认", "graduation-list", frozenset(UNIVERSITY_ROLES), order=36))
    register_action_labels(
        {
            "fee_standard.delete": "删除收费标准",
            "fee_standard.import": "导入收费标准",
            "fee_standard.late": "列入收费标准逾期高校",
            "fee_account.confirm": "确认收费账户",
            "renewal_import.succeeded": "导入续贷声明",
            "renewal_import.rejected": "续贷声明导入未通过",
            "renewal.class_reminder": "发送班级续贷提醒",
            "student.graduation": "毕业确认/信息维护",
        }
    )
    register_panel(Panel("renewals.late_fee", frozenset(PROVINCE_ROLES), _late_universities_card, order=40))
    register_calendar()
    register_seeder(60, seed_renewals)
    register_seeder(61, _seed_university_year)
