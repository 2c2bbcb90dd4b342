"""Navigation, audit labels, the calendar's obligation for city_summary_due (notice 八: 10月15日前), the
exports and demo data of the county summaries and public notices (called from AppConfig.ready)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from loanportal.registry import (
    NavItem,
    Panel,
    register_action_labels,
    register_nav,
    register_panel,
    register_seeder,
)
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role

from .. import states
from ..rules import summaries as rules

ACTION_LABELS = {
    "summary.generate": "生成申请汇总表",
    "summary.regenerate": "重新生成申请汇总表",
    "summary.submitted": "县级报送汇总表",
    "summary.returned": "市级退回汇总表",
    "summary.forwarded": "市级报送省中心",
    "public_notice.publish": "发布贷款学生公示",
    "public_notice.objection": "登记公示异议",
    "public_notice.objection_handled": "处理公示异议",
}


def _summaries_owed(*, organisation, loan_year):
    """A city owes the tables of its counties not yet forwarded to the province."""
    from deadlines.registry import Obligation
    from loanportal.models import Organisation
    from loanportal.roles import OrgKind

    from ..models import CountySummary

    year = getattr(loan_year, "year", loan_year)
    counties = Organisation.objects.filter(parent=organisation, kind=OrgKind.COUNTY, is_active=True)
    done = CountySummary.objects.filter(
        county__in=counties, year=year, status=states.SUMMARY_FORWARDED
    ).count()
    return Obligation(count=max(0, counties.count() - done), url=reverse("summary-list") + f"?year={year}")


def _card_summary(user):
    """The county's card: where its summary stands, the city's date from the calendar."""
    from deadlines.services import current_loan_year

    from ..models import CountySummary, PublicNotice

    year = current_loan_year(timezone.localdate())
    summary = CountySummary.objects.filter(county_id=user.organisation_id, year=year).first()
    has_notice = PublicNotice.objects.filter(county_id=user.organisation_id, year=year).exists()
    if summary is None:
        value, level = "未生成", "warning"
    else:
        value = summary.get_status_display()
        level = {states.SUMMARY_FORWARDED: "success", states.SUMMARY_RETURNED: "danger"}.get(
            summary.status, "info"
        )
    return {
        "title": f"{year}年度申请汇总表",
        "value": value,
        "url": reverse("summary-list"),
        "note": "贷款学生公示：" + ("已发布" if has_notice else "未发布"),
        "level": level,
    }


def register_calendar() -> None:
    from deadlines.registry import register_obligation

    register_obligation("city_summary_due", _summaries_owed)


def seed_summaries(context: dict) -> None:
    """Each demo county with signed loans publishes a notice (recorded by the system: counties 1 and 2 one
    that ended three days ago, with one objection handled at county 1; county 3 one that runs from today)
    and generates its summary, so county 1's manager can check and submit it. Idempotent."""
    from deadlines.services import current_loan_year
    from loanportal.errors import DomainError

    from ..models import CountySummary, PublicNotice
    from ..services import summaries as services

    year = current_loan_year()
    today = timezone.localdate()
    users = context["users"]
    for index, county in enumerate(context["counties"][:3]):
        staff = users.get(f"county{index + 1}_staff")
        if staff is None:
            continue
        notice = PublicNotice.objects.filter(county=county, year=year).first()
        if notice is None:
            # counties 1 and 2: a notice that has run; county 3: one that runs from today
            start = today - datetime.timedelta(days=12) if index < 2 else today
            try:
                notice = services.public_notice_publish(
                    actor=None,
                    county=county,
                    year=year,
                    place=f"{county.name}公告栏及县教育局网站",
                    starts_on=start,
                    ends_on=today - datetime.timedelta(days=3)
                    if index < 2
                    else rules.notice_earliest_end(today),
                )
            except DomainError:
                continue  # no signed loans in this county
            first = notice.entries.order_by("pk").first()
            if index == 0 and first is not None:
                objection = services.notice_objection_record(
                    actor=staff,
                    notice=notice,
                    entry=first,
                    received_on=start + datetime.timedelta(days=1),
                    content="反映该生家庭经济情况好转，申请核实",
                )
                services.notice_objection_handle(
                    actor=staff, objection=objection, handling="经入户核实，家庭仍属经济困难，维持公示名单"
                )
        if not CountySummary.objects.filter(county=county, year=year).exists():
            services.county_summary_generate(actor=staff, county=county, year=year)


def register() -> None:
    from ..exports import register_exports

    readers = frozenset({*COUNTY_ROLES, Role.CITY_MANAGER, *PROVINCE_ROLES})
    # counties reach it from their dashboard card (their navigation is full at 1366 px)
    register_nav(NavItem("汇总报送", "summary-list", readers - COUNTY_ROLES, order=70))
    register_panel(Panel("summaries.county", frozenset(COUNTY_ROLES), _card_summary, order=60))
    register_nav(
        NavItem("年度进度", "progress-dashboard", frozenset({Role.CITY_MANAGER, *PROVINCE_ROLES}), order=71)
    )
    register_action_labels(ACTION_LABELS)
    register_exports()
    register_calendar()
    register_seeder(70, seed_summaries)
