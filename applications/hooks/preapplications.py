"""Navigation, dashboard cards, audit labels and demo seeder of preapplications (called from AppConfig.ready)."""

import io
import random

from django.urls import reverse

from loanportal.registry import (
    NavItem,
    Panel,
    register_action_labels,
    register_nav,
    register_panel,
    register_seeder,
)
from loanportal.roles import COUNTY_ROLES

DEMO_FILE = "演示-{code}-首贷预申请名单.xlsx"
DEMO_SCHOOLS = {
    "620123": ("榆中县第一中学", "榆中县职业中等专业学校"),
    "620522": ("秦安县第一中学", "秦安县第二中学"),
}


def _pending_card(user):
    from ..forms.preapplications import current_year
    from ..selectors.preapplications import pre_applications_pending_count

    year = current_year()
    return {
        "title": f"{year}年度已预申请（尚未受理）",
        "value": pre_applications_pending_count(user=user, year=year),
        "unit": "人",
        "url": reverse("preapplication-list") + f"?year={year}&status=listed",
        "note": "受理时免于现场资格审核",
    }


def seed_pre_applications(context: dict) -> None:
    """One imported list for county 1 and county 3 (~15 rows, mixed bases, two high schools); idempotent."""
    from loanportal.demo import GIVEN, SURNAMES, make_id_number
    from loanportal.exports.workbook import SafeWorkbook

    from ..forms.preapplications import current_year
    from ..models.preapplication import PreApplicationBasis, PreApplicationImport
    from ..rules.preapplications import HEADERS
    from ..services.preapplications import pre_application_import

    year = current_year()
    counties = context["counties"]
    users = context["users"]
    staff_of = {"620123": users.get("county1_staff"), "620522": users.get("county3_staff")}
    bases = list(PreApplicationBasis)
    for county in (counties[0], counties[2]):
        actor = staff_of.get(county.code)
        file_name = DEMO_FILE.format(code=county.code)
        if (
            actor is None
            or PreApplicationImport.objects.filter(
                county=county, year=year, file_name=file_name, succeeded=True
            ).exists()
        ):
            continue
        rng = random.Random(f"{county.code}-{year}")
        schools = DEMO_SCHOOLS.get(county.code, ("第一中学", "第二中学"))
        rows = [list(HEADERS)]
        # The first three of the county's demo students are pre-applied, so intake finds them on the list.
        known = [s for s in context.get("students", []) if s.household_county_id == county.pk][:3]
        for i in range(15):
            if i < len(known):
                name, id_number = known[i].name, known[i].id_number
            else:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                id_number = make_id_number(county.code, f"2008{i % 12 + 1:02d}{i % 27 + 1:02d}", 700 + i)
            rows.append(
                [
                    name,
                    id_number,
                    bases[i % len(bases)].label,
                    county.code,
                    schools[i % 2],
                    f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                    "",
                ]
            )
        book = SafeWorkbook()
        sheet = book.add_sheet("预申请名单")
        for row_number, row in enumerate(rows):
            for col, value in enumerate(row):
                book.value(sheet, row_number, col, value)
        buffer = io.BytesIO(book.close())
        buffer.name = file_name
        pre_application_import(actor=actor, county=county, year=year, file=buffer)


def register():
    register_nav(
        NavItem(
            "预申请名单",
            "preapplication-list",
            frozenset(
                {"county_staff", "county_manager", "city_manager", "province_officer", "province_manager"}
            ),
            order=20,
        )
    )
    register_panel(Panel("applications.preapplications", frozenset(COUNTY_ROLES), _pending_card, order=20))
    register_action_labels(
        {
            "pre_application_import.succeeded": "导入预申请名单",
            "pre_application_import.rejected": "预申请名单导入未通过",
            "pre_application.create": "现场补录预申请",
            "pre_application.withdrawn": "撤销预申请",
            "pre_application.applied": "预申请学生已受理",
            "pre_application.listed": "恢复预申请",
        }
    )
    register_seeder(20, seed_pre_applications)
