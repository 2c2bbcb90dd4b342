"""Issue 13: county summaries to the province (notice 八: 10月15日前报送《生源地助学贷款申请汇总表》和
《生源地助学贷款公示情况说明》), the public notice of borrowers (公示) and the year's progress charts."""

import datetime
import shutil
import subprocess

import openpyxl
import pytest
from django.urls import reverse

from applications import states
from applications.models import Application, CountySummary, PublicNotice
from applications.rules import summaries as rules
from applications.selectors import summaries as selectors
from applications.services import summaries as services
from applications.services.preapplications import pre_application_add
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.exports import services as export_services
from loanportal.models import AuditEvent
from renewals.services import renewal_declare, renewal_review
from tests.concurrency import race
from tests.factories import valid_id
from tests.factories_lifecycle import make_application, open_calendar

YEAR = 2026
# A notice that ran before "today" in these tests (recorded by the system, as demo data may).
PAST_START = datetime.date(2026, 10, 12)  # Monday
PAST_END = datetime.date(2026, 10, 16)  # Friday: 5 working days
AFTER = datetime.date(2026, 10, 20)

FORBIDDEN_PHONE = "13812345678"
FORBIDDEN_ADDRESS = "榆中县城关镇1号"


@pytest.fixture
def seeded(world, settings, tmp_path):
    """County 1 with first loans in several states (pre-applied and by written commitment, in and out of
    province), closed ones that must not count, and an approved renewal."""
    settings.EXPORT_ROOT = str(tmp_path)
    open_calendar(YEAR)
    staff = world.users.county1_staff
    pre_applied_id = valid_id("620123", "20070101")
    pre_application_add(
        actor=staff,
        county=world.county1,
        year=YEAR,
        name="预申",
        id_number=pre_applied_id,
        basis="minimum_living",
    )
    apps = [
        make_application(world, to="contract_signed"),  # written commitment, the forbidden fields' owner
        make_application(
            world,
            to="receipt_confirmed",
            student={"name": "预申", "id_number": pre_applied_id, "phone": "", "address": ""},
            commitment_accepted=False,
        ),
        make_application(
            world,
            to="disbursed",
            student={"name": "省外生", "id_number": valid_id("620123", "20070202")},
            university=world.university4,
            tuition_amount=8000,
            accommodation_amount=1500,
        ),
        make_application(
            world,
            to="contract_signed",
            student={"name": "研究生", "id_number": valid_id("620123", "19990303")},
            study={"level": "graduate"},
            tuition_amount=9000,
            accommodation_amount=0,
        ),
    ]
    # not counted: only accepted, and a withdrawn one
    make_application(
        world, to="accepted", student={"name": "受理中", "id_number": valid_id("620123", "20070404")}
    )
    withdrawn = make_application(
        world, to="contract_signed", student={"name": "已撤回", "id_number": valid_id("620123", "20070505")}
    )
    from applications.services import lifecycle

    lifecycle.application_transition(actor=staff, application=withdrawn, to="withdrawn", reason="学生放弃")
    renewal = renewal_declare(
        actor=None,
        student=world.students.c1_u1,
        year=YEAR,
        tuition_amount=4000,
        accommodation_amount=800,
        contract_number="622025000001",
    )
    renewal_review(actor=world.users.university1_officer, declaration=renewal, decision="approve")
    return apps


def _past_notice(world, county=None):
    return services.public_notice_publish(
        actor=None,
        county=county or world.county1,
        year=YEAR,
        place="榆中县学生资助管理中心公告栏",
        starts_on=PAST_START,
        ends_on=PAST_END,
    )


def _submitted(world):
    _past_notice(world)
    summary = services.county_summary_generate(
        actor=world.users.county1_staff, county=world.county1, year=YEAR
    )
    return services.summary_transition(
        actor=world.users.county1_manager, summary=summary, to=states.SUMMARY_SUBMITTED, today=AFTER
    )


# --- the table ----------------------------------------------------------------------------------------------


def test_issue13_notice_8_summary_totals_equal_the_sum_over_the_applications(world, seeded):
    """notice 八 汇总表: the totals are the sum over the county's reported first loans (signed and live) and
    approved renewals; every section adds up to the totals, the basis section to the first loans."""
    summary = services.county_summary_generate(
        actor=world.users.county1_staff, county=world.county1, year=YEAR
    )
    counted = Application.objects.filter(county=world.county1, year=YEAR, status__in=states.SUMMARY_COUNTED)
    assert counted.count() == 4
    first_tuition = sum(a.tuition_amount for a in counted)
    first_accommodation = sum(a.accommodation_amount for a in counted)
    total = summary.total
    assert total["count"] == 4 + 1
    assert total["tuition"] == first_tuition + 4000
    assert total["accommodation"] == first_accommodation + 800
    assert total["total"] == total["tuition"] + total["accommodation"]
    lines = summary.figures["lines"]
    for section in rules.SECTIONS[:3]:
        group = [line for line in lines if line["section"] == section]
        for key in ("count", "tuition", "accommodation", "total"):
            assert sum(line[key] for line in group) == total[key], (section, key)
    basis = [line for line in lines if line["section"] == rules.SECTIONS[3]]
    assert sum(line["count"] for line in basis) == 4
    by_label = {(line["section"], line["label"]): line for line in lines}
    assert by_label[("认定依据（首贷）", "城乡低保户")]["count"] == 1
    assert by_label[("认定依据（首贷）", "未预申请（书面承诺）")]["count"] == 3
    assert by_label[("高校所在地", "省外高校")]["count"] == 1
    assert by_label[("学历层次", "研究生")]["tuition"] == 9000
    assert by_label[("贷款类型", "续贷")]["total"] == 4800
    assert AuditEvent.objects.filter(action="summary.generate", object_pk=str(summary.pk)).count() == 1


def test_issue13_notice_8_returned_table_is_regenerated_and_resubmitted(world, seeded):
    """notice 八: the city returns a table with a reason; the county regenerates and submits it again;
    each step is audited with who and why."""
    summary = _submitted(world)
    assert summary.status == states.SUMMARY_SUBMITTED
    with pytest.raises(DomainError, match="原因"):
        services.summary_transition(
            actor=world.users.city1_manager, summary=summary, to=states.SUMMARY_RETURNED
        )
    returned = services.summary_transition(
        actor=world.users.city1_manager,
        summary=summary,
        to=states.SUMMARY_RETURNED,
        reason="续贷人数与系统不符",
    )
    assert returned.status == states.SUMMARY_RETURNED and returned.returned_reason == "续贷人数与系统不符"
    regenerated = services.county_summary_generate(
        actor=world.users.county1_staff, county=world.county1, year=YEAR
    )
    again = services.summary_transition(
        actor=world.users.county1_manager, summary=regenerated, to=states.SUMMARY_SUBMITTED, today=AFTER
    )
    assert again.status == states.SUMMARY_SUBMITTED and again.returned_reason == ""
    forwarded = services.summary_transition(
        actor=world.users.city1_manager, summary=again, to=states.SUMMARY_FORWARDED
    )
    assert (
        forwarded.status == states.SUMMARY_FORWARDED and forwarded.forwarded_by == world.users.city1_manager
    )
    actions = list(
        AuditEvent.objects.filter(object_pk=str(summary.pk), action__startswith="summary.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "summary.generate",
        "summary.submitted",
        "summary.returned",
        "summary.regenerate",
        "summary.submitted",
        "summary.forwarded",
    ]
    assert AuditEvent.objects.get(action="summary.returned").reason == "续贷人数与系统不符"
    with pytest.raises(ConflictError):
        services.county_summary_generate(actor=world.users.county1_staff, county=world.county1, year=YEAR)


def test_issue13_notice_8_who_may_move_a_summary(world, seeded):
    """Checked and submitted by the county manager (not staff); returned/forwarded by its own city only."""
    _past_notice(world)
    summary = services.county_summary_generate(
        actor=world.users.county1_staff, county=world.county1, year=YEAR
    )
    with pytest.raises(PermissionDeniedError):
        services.summary_transition(
            actor=world.users.county1_staff, summary=summary, to=states.SUMMARY_SUBMITTED, today=AFTER
        )
    with pytest.raises(PermissionDeniedError):
        services.county_summary_generate(actor=world.users.county2_staff, county=world.county1, year=YEAR)
    summary = services.summary_transition(
        actor=world.users.county1_manager, summary=summary, to=states.SUMMARY_SUBMITTED, today=AFTER
    )
    from tests.factories import UserFactory

    city2_manager = UserFactory(username="city2_manager", role="city_manager", organisation=world.city2)
    with pytest.raises(PermissionDeniedError):
        services.summary_transition(actor=city2_manager, summary=summary, to=states.SUMMARY_FORWARDED)
    assert not selectors.summaries_visible_to(user=city2_manager).filter(pk=summary.pk).exists()
    assert not selectors.summaries_visible_to(user=world.users.university1_officer).exists()
    summary.refresh_from_db()
    assert summary.status == states.SUMMARY_SUBMITTED


def test_issue13_notice_8_statement_needs_an_ended_notice_with_objections_handled(world, seeded):
    """The 公示情况说明 reports the notice's result: no submission without a notice, before it ends, or with
    an objection not yet handled; the statement carries period, place, objections and handling."""
    summary = services.county_summary_generate(
        actor=world.users.county1_staff, county=world.county1, year=YEAR
    )
    with pytest.raises(DomainError, match="尚未发布贷款学生公示"):
        services.summary_transition(
            actor=world.users.county1_manager, summary=summary, to=states.SUMMARY_SUBMITTED, today=AFTER
        )
    notice = _past_notice(world)
    entry = notice.entries.first()
    objection = services.notice_objection_record(
        actor=world.users.county1_staff,
        notice=notice,
        entry=entry,
        received_on=PAST_START + datetime.timedelta(days=1),
        content="反映家庭经济情况不实",
    )
    summary = services.county_summary_generate(
        actor=world.users.county1_staff, county=world.county1, year=YEAR
    )
    with pytest.raises(DomainError, match="公示期至2026年10月16日结束"):
        services.summary_transition(
            actor=world.users.county1_manager, summary=summary, to=states.SUMMARY_SUBMITTED, today=PAST_END
        )
    with pytest.raises(DomainError, match="异议尚未全部处理"):
        services.summary_transition(
            actor=world.users.county1_manager, summary=summary, to=states.SUMMARY_SUBMITTED, today=AFTER
        )
    services.notice_objection_handle(
        actor=world.users.county1_staff, objection=objection, handling="经核实情况属实"
    )
    summary = services.county_summary_generate(
        actor=world.users.county1_staff, county=world.county1, year=YEAR
    )
    statement = summary.statement
    assert statement["place"] == "榆中县学生资助管理中心公告栏"
    assert (statement["starts_on"], statement["ends_on"], statement["working_days"]) == (
        "2026-10-12",
        "2026-10-16",
        5,
    )
    assert (statement["people"], statement["objections"], statement["handled"]) == (4, 1, 1)
    assert statement["items"][0]["handling"] == "经核实情况属实"
    summary = services.summary_transition(
        actor=world.users.county1_manager, summary=summary, to=states.SUMMARY_SUBMITTED, today=AFTER
    )
    assert summary.status == states.SUMMARY_SUBMITTED


def test_issue13_concurrent_loser_gets_409(world, seeded):
    """One transition service: two city managers' clicks on the same table — one forward, the other return —
    one wins, the other gets a ConflictError (409) and nothing of it is written."""
    summary = _submitted(world)
    stale = CountySummary.objects.get(pk=summary.pk)
    services.summary_transition(actor=world.users.city1_manager, summary=summary, to=states.SUMMARY_FORWARDED)
    with pytest.raises(ConflictError) as caught:
        services.summary_transition(
            actor=world.users.city1_manager, summary=stale, to=states.SUMMARY_RETURNED, reason="晚到的退回"
        )
    assert caught.value.status_code == 409
    assert CountySummary.objects.get(pk=summary.pk).status == states.SUMMARY_FORWARDED
    assert not AuditEvent.objects.filter(action="summary.returned").exists()


@pytest.mark.django_db(transaction=True)
def test_issue13_concurrent_forward_and_return_race_one_wins(live_world, settings, tmp_path):
    """Two threads race on the row lock (select_for_update): exactly one move, the other a 409."""
    world = live_world
    open_calendar(YEAR)
    make_application(world, to="contract_signed")
    summary = _submitted(world)
    moves = [(states.SUMMARY_FORWARDED, ""), (states.SUMMARY_RETURNED, "退回")]
    results = race(
        *(
            lambda to=to, reason=reason: services.summary_transition(
                actor=world.users.city1_manager, summary=summary, to=to, reason=reason
            )
            for to, reason in moves
        )
    )
    assert sorted("409" if isinstance(r, ConflictError) else "ok" for r in results) == ["409", "ok"], results
    winner = next(to for (to, _), r in zip(moves, results, strict=True) if not isinstance(r, Exception))
    assert CountySummary.objects.get(pk=summary.pk).status == winner
    assert AuditEvent.objects.filter(action__in=["summary.forwarded", "summary.returned"]).count() == 1


# --- city and province views ---------------------------------------------------------------------------------


def test_issue13_notice_8_province_view_lists_missing_cities_and_counties(world, seeded, client_for, api_for):
    """The province sees which cities and counties have not submitted (not yet forwarded to it)."""
    summary = _submitted(world)
    services.summaries_forward_all(actor=world.users.city1_manager, city=world.city1, year=YEAR)
    summary.refresh_from_db()
    assert summary.status == states.SUMMARY_FORWARDED
    missing = selectors.summaries_missing(user=world.users.province_manager, year=YEAR)
    assert [c.name for c in missing["counties"]] == [world.county2.name, world.county3.name]
    assert [c.name for c in missing["cities"]] == [world.city1.name, world.city2.name]
    html = (
        client_for(world.users.province_manager)
        .get(reverse("summary-list") + f"?year={YEAR}")
        .content.decode()
    )
    block = html.split('id="summary-missing"')[1].split("</div></div>")[0]
    assert world.county2.name in block and world.county3.name in block and world.county1.name not in block
    data = api_for(world.users.province_manager).get(f"/api/v1/summaries/missing/?year={YEAR}").json()
    assert [c["name"] for c in data["counties"]] == [world.county2.name, world.county3.name]
    # the city sees only its own counties
    data = api_for(world.users.city1_manager).get(f"/api/v1/summaries/missing/?year={YEAR}").json()
    assert [c["name"] for c in data["counties"]] == [world.county2.name]


def test_issue13_notice_8_due_date_comes_from_the_calendar(world, seeded, client_for):
    """The 10/15 date is the calendar's city_summary_due (with the city's extension), never a constant;
    the calendar counts the city's counties not yet forwarded."""
    from deadlines.registry import count_obligation
    from deadlines.services import key_date_extend, key_date_get

    page = (
        client_for(world.users.city1_manager).get(reverse("summary-list") + f"?year={YEAR}").content.decode()
    )
    assert "2026年10月15日" in page
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("city_summary_due", year=YEAR),
        organisation=world.city1,
        end_date=datetime.date(2026, 10, 22),
        reason="测试：延期报送",
    )
    page = (
        client_for(world.users.city1_manager).get(reverse("summary-list") + f"?year={YEAR}").content.decode()
    )
    assert "2026年10月22日" in page
    owed = count_obligation("city_summary_due", organisation=world.city1, loan_year=YEAR)
    assert owed.count == 2
    summary = _submitted(world)
    services.summary_transition(actor=world.users.city1_manager, summary=summary, to=states.SUMMARY_FORWARDED)
    assert count_obligation("city_summary_due", organisation=world.city1, loan_year=YEAR).count == 1


def test_issue13_summary_pages_print_amounts_with_thousands_separators(world, seeded, client_for):
    """notice 八 汇总表 on the pages: amounts in yuan as 35,700.00 (grouped, two decimals), in the county's
    table and in the province's overview, the same figure the stored summary holds."""
    summary = services.county_summary_generate(
        actor=world.users.county1_staff, county=world.county1, year=YEAR
    )
    total = summary.total["total"]
    assert total >= 10_000  # a figure that has a thousands separator to print
    grouped, plain = f">{total:,.2f}<", f">{total}<"
    html = client_for(world.users.county1_staff).get(reverse("summary-detail", args=[summary.pk])).content
    assert grouped in html.decode() and plain not in html.decode()
    html = client_for(world.users.province_manager).get(reverse("summary-list"), {"year": YEAR}).content
    assert grouped in html.decode() and plain not in html.decode()


def test_issue13_pages_county_submits_city_forwards(world, seeded, client_for):
    """Buttons come from summary_actions: the county manager's 审核并报送市级, the city's 退回/报送省中心."""
    _past_notice(world)
    client = client_for(world.users.county1_staff)
    response = client.post(reverse("summary-generate"), {"year": YEAR})
    summary = CountySummary.objects.get(county=world.county1, year=YEAR)
    assert response.status_code == 302 and response["Location"] == reverse(
        "summary-detail", args=[summary.pk]
    )
    html = client.get(reverse("summary-detail", args=[summary.pk])).content.decode()
    assert "重新生成" in html and "审核并报送市级" not in html and 'id="summary-table"' in html
    html = (
        client_for(world.users.county1_manager)
        .get(reverse("summary-detail", args=[summary.pk]))
        .content.decode()
    )
    assert "审核并报送市级" in html
    client_for(world.users.county1_manager).post(
        reverse("summary-act", args=[summary.pk]), {"action": "submit"}
    )
    summary.refresh_from_db()
    assert summary.status == states.SUMMARY_SUBMITTED
    city = client_for(world.users.city1_manager)
    html = city.get(reverse("summary-list") + f"?year={YEAR}").content.decode()
    assert "全部报送省中心" in html
    city.post(reverse("summary-forward-all"), {"year": YEAR})
    summary.refresh_from_db()
    assert summary.status == states.SUMMARY_FORWARDED
    # out of scope → 404; a university may not read summaries at all → 403
    from tests.factories import UserFactory

    city2_manager = UserFactory(username="city2_manager", role="city_manager", organisation=world.city2)
    assert client_for(city2_manager).get(reverse("summary-detail", args=[summary.pk])).status_code == 404
    assert client_for(world.users.university1_officer).get(reverse("summary-list")).status_code == 403


# --- the spreadsheet --------------------------------------------------------------------------------------------


def _summary_file(world):
    summary = _submitted(world)
    export = export_services.export_request_create(
        actor=world.users.county1_manager, kind="county_summary", params={"summary": str(summary.pk)}
    )
    assert export.status == "approved" and not export.personal  # aggregate only: no approval needed
    export_services.export_generate(pk=export.pk)
    export.refresh_from_db()
    assert export.status == "ready", export.status
    return summary, export_services.file_path_for(export)


def test_issue13_summary_spreadsheet_is_laid_out_like_the_paper_form(world, seeded):
    """Through the one export path: title row, merged two-row header, units, numbers as numbers, totals
    equal to the table's, signature and date lines; the 公示情况说明 on its own sheet."""
    summary, path = _summary_file(world)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:F1", "A3:B4", "C3:C4", "D3:F3"} <= merged
    assert "申请汇总表" in sheet["A1"].value and world.county1.name in sheet["A1"].value
    assert sheet["E2"].value == "单位：人、元"
    assert [sheet.cell(4, c).value for c in (4, 5, 6)] == ["学费", "住宿费", "合计"]
    total_row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "合计")
    values = [sheet.cell(total_row, c).value for c in range(3, 7)]
    assert all(isinstance(v, (int, float)) for v in values)
    total = summary.total
    assert values == [total["count"], total["tuition"], total["accommodation"], total["total"]]
    counts = [sheet.cell(r, 3).value for r in range(5, total_row)]
    assert all(isinstance(v, (int, float)) for v in counts)
    # the loan-type section (first two data rows) adds up to the totals row
    assert sheet.cell(5, 3).value + sheet.cell(6, 3).value == total["count"]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(t.startswith("填表人") for t in texts) and any("填报日期" in t for t in texts)
    assert any("市级审核意见" in t for t in texts)
    statement = book["公示情况说明"]
    cells = {statement.cell(r, 1).value: statement.cell(r, 2).value for r in range(1, statement.max_row + 1)}
    assert cells["公示人数（人）"] == 4 and isinstance(cells["公示人数（人）"], int)
    assert "2026年10月12日至2026年10月16日" in cells["公示期间"]


@pytest.mark.skipif(not shutil.which("libreoffice"), reason="Debian libreoffice-calc-nogui not installed")
def test_issue13_summary_spreadsheet_converts_to_pdf_with_libreoffice(world, seeded, tmp_path):
    """The file opens in LibreOffice: headless conversion to PDF succeeds."""
    _, path = _summary_file(world)
    out = tmp_path / "pdf"
    result = subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    pdf = out / (path.stem + ".pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


# --- the public notice --------------------------------------------------------------------------------------


def test_issue13_notice_rule_at_least_5_working_days():
    """National aid center rule: a notice lasts at least 5 working days (Monday–Friday)."""
    friday = datetime.date(2026, 10, 9)
    assert rules.working_days(friday, datetime.date(2026, 10, 15)) == 5
    assert rules.notice_earliest_end(friday) == datetime.date(2026, 10, 15)
    assert rules.notice_period_error(friday, datetime.date(2026, 10, 14)) is not None
    assert rules.notice_period_error(friday, datetime.date(2026, 10, 15)) is None
    monday = datetime.date(2026, 10, 12)
    assert rules.working_days(monday, monday + datetime.timedelta(days=13)) == 10
    assert rules.working_days(monday, monday - datetime.timedelta(days=1)) == 0


def test_issue13_notice_publish_refuses_short_or_past_periods(world, seeded):
    """A county publishes for at least 5 working days from today on; once per county and year."""
    staff = world.users.county1_staff
    today = datetime.date(2026, 10, 12)
    with pytest.raises(DomainError, match="不少于5个工作日"):
        services.public_notice_publish(
            actor=staff,
            county=world.county1,
            year=YEAR,
            place="公告栏",
            starts_on=today,
            ends_on=today + datetime.timedelta(days=3),
            today=today,
        )
    with pytest.raises(DomainError, match="不能早于今天"):
        services.public_notice_publish(
            actor=staff,
            county=world.county1,
            year=YEAR,
            place="公告栏",
            starts_on=today - datetime.timedelta(days=1),
            ends_on=today + datetime.timedelta(days=10),
            today=today,
        )
    with pytest.raises(PermissionDeniedError):
        services.public_notice_publish(
            actor=world.users.county2_staff,
            county=world.county1,
            year=YEAR,
            place="公告栏",
            starts_on=today,
            ends_on=today + datetime.timedelta(days=6),
            today=today,
        )
    notice = services.public_notice_publish(
        actor=staff,
        county=world.county1,
        year=YEAR,
        place="公告栏",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=4),
        today=today,
    )
    assert notice.entries.count() == 4
    with pytest.raises(ConflictError):
        services.public_notice_publish(
            actor=staff,
            county=world.county1,
            year=YEAR,
            place="公告栏",
            starts_on=today,
            ends_on=today + datetime.timedelta(days=4),
            today=today,
        )
    with pytest.raises(DomainError, match="公示期内"):
        services.notice_objection_record(
            actor=staff, notice=notice, content="逾期异议", received_on=today + datetime.timedelta(days=5)
        )


def _showing_notice(world):
    from django.utils import timezone

    today = timezone.localdate()
    return services.public_notice_publish(
        actor=world.users.county1_staff,
        county=world.county1,
        year=YEAR,
        place="榆中县学生资助管理中心公告栏",
        starts_on=today,
        ends_on=rules.notice_earliest_end(today),
    )


def _forbidden_values(world):
    application = Application.objects.filter(county=world.county1, student__name="新同学").get()
    student = application.student
    assert student.id_number[6:14] == "20070315" and student.phone == FORBIDDEN_PHONE
    co = application.co_borrower
    values = {
        student.id_number,
        student.id_number[6:14],  # birth date as in the ID
        "2007-03-15",
        "2007年3月15日",
        student.phone,
        student.address,
        co.id_number,
        co.phone,
    }
    return {v for v in values if v}


def test_issue13_notice_page_never_shows_id_address_phone_birth_or_card(world, seeded, client_for):
    """National aid center rule: the rendered notice shows only name, school, department, year, major
    and class — no ID number (nor its masked form), address, phone, birth date or bank card."""
    notice = _showing_notice(world)
    html = (
        client_for(world.users.county1_staff).get(reverse("notice-detail", args=[notice.pk])).content.decode()
    )
    assert "新同学" in html and world.university1.name in html and "计算机科学与技术" in html
    for value in _forbidden_values(world):
        assert value not in html, value
    head = html.split('id="notice-entries"')[1].split("</thead>")[0]
    for header in ("身份证", "住址", "电话", "出生", "银行卡"):
        assert header not in head
    assert [h for _, h in rules.NOTICE_FIELDS] == ["姓名", "学校", "院系", "年级", "专业", "班级"]
    assert all(h in head for _, h in rules.NOTICE_FIELDS)
    # the model holds no column for them at all
    from applications.models import PublicNoticeEntry

    columns = {f.name for f in PublicNoticeEntry._meta.get_fields()}
    assert not columns & {"id_number", "address", "phone", "birth_date", "bank_card"}
    # the API answers the same six fields
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.users.city1_manager)
    data = api.get(f"/api/v1/public-notices/{notice.pk}/").json()
    assert set(data["entries"][0]) == {
        "name",
        "school",
        "department",
        "enrolment_year",
        "major",
        "class_name",
    }
    body = api.get(f"/api/v1/public-notices/{notice.pk}/").content.decode()
    for value in _forbidden_values(world):
        assert value not in body


def test_issue13_notice_export_never_holds_forbidden_fields(world, seeded, settings):
    """The notice's spreadsheet (names: a manager approves it) holds the six fields only."""
    notice = _showing_notice(world)
    export = export_services.export_request_create(
        actor=world.users.county1_staff,
        kind="public_notice",
        params={"notice": notice.pk},
        purpose="张贴公示名单",
    )
    assert export.personal and export.status == "requested"
    export_services.export_approve(actor=world.users.county1_manager, export=export)
    export_services.export_generate(pk=export.pk)
    export.refresh_from_db()
    book = openpyxl.load_workbook(export_services.file_path_for(export))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "学校", "院系", "年级", "专业", "班级"]
    values = {
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None
    }
    assert "新同学" in values
    for value in _forbidden_values(world):
        assert not any(value in v for v in values), value


def test_issue13_notice_taken_down_when_it_ends(world, seeded, client_for, api_for):
    """Computed visibility: the lines are shown from the first to the last day of the period and no
    longer the day after (no job has to run for it to disappear); the objection log stays."""
    notice = _past_notice(world)
    assert (
        list(selectors.notice_entries_shown(notice=notice, on=PAST_START - datetime.timedelta(days=1))) == []
    )
    assert len(list(selectors.notice_entries_shown(notice=notice, on=PAST_START))) == 4
    assert len(list(selectors.notice_entries_shown(notice=notice, on=PAST_END))) == 4
    assert list(selectors.notice_entries_shown(notice=notice, on=PAST_END + datetime.timedelta(days=1))) == []
    html = (
        client_for(world.users.county1_staff).get(reverse("notice-detail", args=[notice.pk])).content.decode()
    )
    assert "期满撤下" in html and "新同学" not in html and 'id="notice-entries"' not in html
    data = api_for(world.users.county1_staff).get(f"/api/v1/public-notices/{notice.pk}/").json()
    assert data["phase"] == "ended" and data["entries"] == []


def test_issue13_notice_objection_log_pages(world, seeded, client_for):
    """County staff record an objection during the notice and how it was handled; both audited."""
    notice = _showing_notice(world)
    client = client_for(world.users.county1_staff)
    html = client.get(reverse("notice-detail", args=[notice.pk])).content.decode()
    assert "登记异议" in html  # the form while the notice runs
    entry = notice.entries.first()
    client.post(
        reverse("notice-objection-add", args=[notice.pk]),
        {"entry": entry.pk, "content": "反映该生家庭情况", "received_on": notice.starts_on.isoformat()},
    )
    objection = notice.objections.get()
    client.post(reverse("notice-objection-handle", args=[objection.pk]), {"handling": "已入户核实，情况属实"})
    objection.refresh_from_db()
    assert objection.is_handled and objection.handled_by == world.users.county1_staff
    assert AuditEvent.objects.filter(action__startswith="public_notice.objection").count() == 2
    # hostile input → a message, never a 500
    response = client.post(reverse("notice-objection-add", args=[notice.pk]), {"received_on": "x" * 50})
    assert response.status_code == 302
    assert client.post(reverse("notice-publish"), {"starts_on": "not-a-date"}).status_code == 302


# --- API ------------------------------------------------------------------------------------------------------


def test_issue13_api_summaries_submit_forward_return(world, seeded, api_for):
    """/api/v1/summaries/ scoped; submit (county manager), return with a reason, forward (city); 409 on the
    second forward; 403 for the wrong role; out of scope 404."""
    _past_notice(world)
    county = api_for(world.users.county1_staff)
    response = county.post("/api/v1/summaries/generate/", {"year": YEAR}, format="json")
    assert response.status_code == 200, response.content
    pk = response.json()["id"]
    assert response.json()["available_actions"] == ["regenerate"]
    assert county.post(f"/api/v1/summaries/{pk}/submit/", {}, format="json").status_code == 403
    # the notice ended before "today" (2026-10-16 < today), so the manager may submit now
    manager = api_for(world.users.county1_manager)
    response = manager.post(f"/api/v1/summaries/{pk}/submit/", {}, format="json")
    assert response.status_code == 200, response.content
    city = api_for(world.users.city1_manager)
    assert city.post(f"/api/v1/summaries/{pk}/return/", {}, format="json").status_code == 400
    response = city.post(f"/api/v1/summaries/{pk}/return/", {"reason": "金额有误"}, format="json")
    assert response.json()["status"] == "returned"
    assert manager.post(f"/api/v1/summaries/{pk}/submit/", {}, format="json").status_code == 200
    assert city.post(f"/api/v1/summaries/{pk}/forward/", {}, format="json").json()["status"] == "forwarded"
    assert city.post(f"/api/v1/summaries/{pk}/forward/", {}, format="json").status_code == 409
    assert city.post(f"/api/v1/summaries/{pk}/forward/", ["x"], format="json").status_code == 400
    data = api_for(world.users.province_officer).get("/api/v1/summaries/").json()
    assert [row["id"] for row in data["results"]] == [pk]
    assert data["results"][0]["total"]["count"] == 5
    assert api_for(world.users.county2_staff).get(f"/api/v1/summaries/{pk}/").status_code == 404
    assert api_for(world.users.university1_officer).get("/api/v1/summaries/").status_code == 403
    assert api_for(world.users.bank_officer).get("/api/v1/public-notices/").status_code == 403


def test_issue13_api_schema_lists_the_endpoints(world, client_for):
    schema = client_for(world.users.province_manager).get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/summaries/",
        "/api/v1/summaries/{id}/submit/",
        "/api/v1/summaries/{id}/forward/",
        "/api/v1/summaries/{id}/return/",
        "/api/v1/summaries/missing/",
        "/api/v1/public-notices/",
        "/api/v1/public-notices/{id}/",
    ):
        assert path in schema["paths"], path
    assert "409" in schema["paths"]["/api/v1/summaries/{id}/forward/"]["post"]["responses"]


# --- dashboards -----------------------------------------------------------------------------------------------


def test_issue13_progress_charts_with_their_numbers(world, seeded, client_for):
    """County, city and province progress as server-drawn SVG charts (no script), each with its numbers one
    click away (<details>), equal to the applications in scope."""
    html = (
        client_for(world.users.city1_manager)
        .get(reverse("progress-dashboard") + f"?year={YEAR}")
        .content.decode()
    )
    assert html.count('class="bar-chart"') == 4 and html.count("<details") == 4
    assert "<script>" not in html and "style=" not in html
    assert reverse("export-progress") in html  # the cumulative per-county table, exportable, one click away
    figures = selectors.progress_figures(user=world.users.city1_manager, year=YEAR)
    stages = {s["code"]: s["count"] for s in figures["stages"]}
    for code, count in stages.items():
        assert count == Application.objects.filter(year=YEAR, status=code, county__parent=world.city1).count()
    receipts = {r["label"]: r["value"] for r in figures["receipts"]}
    assert receipts == {"应录入回执": 4, "回执已录入": 2, "回执已确认": 2}
    disbursed = {r["label"]: r["value"] for r in figures["disbursed"]}
    assert disbursed["已放款"] == 1
    amounts = {r["label"]: r["value"] for r in figures["amounts"]}
    assert amounts["已放款金额"] == 9500  # no amounts recorded by the bank yet: the signed amount
    # the bank's recorded disbursement (university account + remainder to the student) wins once present
    Application.objects.filter(county=world.county1, status="disbursed").update(
        disbursed_to_university=8000, disbursed_to_student=1000
    )
    figures = selectors.progress_figures(user=world.users.city1_manager, year=YEAR)
    assert {r["label"]: r["value"] for r in figures["amounts"]}["已放款金额"] == 9000
    assert [u["name"] for u in figures["units"]] == ["榆中县"]  # the place, not the centre's name
    assert client_for(world.users.county1_staff).get(reverse("progress-dashboard")).status_code == 200
    assert client_for(world.users.province_officer).get(reverse("progress-dashboard")).status_code == 200
    assert client_for(world.users.university1_officer).get(reverse("progress-dashboard")).status_code == 403


def test_issue13_seed_demo_leaves_summaries_and_notices(today, world):
    """seed_demo's seeder publishes an ended notice and generates the summary of each county with loans."""
    from applications.hooks.summaries import seed_summaries

    open_calendar(YEAR)
    make_application(world, to="contract_signed")
    context = {
        "users": {u.username: u for u in vars(world.users).values()},
        "counties": [world.county1, world.county2, world.county3],
    }
    seed_summaries(context)  # today (conftest: 2026-12-02) lies in loan year 2026
    seed_summaries(context)  # idempotent
    assert PublicNotice.objects.filter(county=world.county1).count() == 1
    assert CountySummary.objects.filter(county=world.county1, status="generated").count() == 1
    assert not CountySummary.objects.filter(county=world.county2).exists()  # no loans there


def test_issue13_api_public_notice_publish_and_objection(world, seeded, api_for):
    """POST /api/v1/public-notices/ (county): at least 5 working days from today (400 otherwise), once
    (409); objections during the period; other roles 403; bodies checked (400, never 500)."""
    from django.utils import timezone

    today = timezone.localdate()
    county = api_for(world.users.county1_staff)
    body = {"year": YEAR, "place": "公告栏", "starts_on": today.isoformat()}
    short = {**body, "ends_on": (today + datetime.timedelta(days=2)).isoformat()}
    assert county.post("/api/v1/public-notices/", short, format="json").status_code == 400
    good = {**body, "ends_on": rules.notice_earliest_end(today).isoformat()}
    assert (
        api_for(world.users.city1_manager).post("/api/v1/public-notices/", good, format="json").status_code
        == 403
    )
    response = county.post("/api/v1/public-notices/", good, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["phase"] == "showing" and data["people"] == 4
    assert county.post("/api/v1/public-notices/", good, format="json").status_code == 409
    assert county.post("/api/v1/public-notices/", {"year": "x"}, format="json").status_code == 400
    pk = data["id"]
    entry = PublicNotice.objects.get(pk=pk).entries.first()
    response = county.post(
        f"/api/v1/public-notices/{pk}/objections/",
        {"content": "反映情况不实", "entry": entry.pk},
        format="json",
    )
    assert response.status_code == 201 and response.json()["about"] == entry.name
    assert (
        county.post(
            f"/api/v1/public-notices/{pk}/objections/", {"content": "x", "entry": 999999}, format="json"
        )
    ).status_code == 400
    assert (
        api_for(world.users.county2_staff)
        .post(f"/api/v1/public-notices/{pk}/objections/", {"content": "反映情况"}, format="json")
        .status_code
        == 404
    )
