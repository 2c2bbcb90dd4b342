"""Issue 10, fee standards (收费标准) and the fee account (收费账户) — notice 八: universities enter their
tuition and accommodation per major and level and confirm their fee account by 7/15 (`fee_standard_due`);
after that date a university that has not is on its own obligations and on the province's late list."""

import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from deadlines.models import EnforcementRun
from deadlines.registry import count_obligation
from deadlines.services import calendar_run, key_date_extend, key_date_get, loan_year_ensure
from loanportal import imports
from loanportal.errors import PermissionDeniedError
from loanportal.models import AuditEvent, Notification
from renewals import fee_import
from renewals.fees import FeeRow, FeeTableRejected, fee_account_confirm, fee_standards_save
from renewals.models import FeeAccount, FeeStandard, LateFeeUniversity

from .factories_preapplications import upload, workbook_bytes

# The 2026 data here meet pages and services that read the date (a list defaults to today's loan year):
# the portal's clock is on a day of loan year 2026 (conftest.today).
pytestmark = pytest.mark.usefixtures("today")

YEAR = 2026
HEADERS = ["专业", "学历层次", "学费（元/年）", "住宿费（元/年）"]


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def table(world, rows, user=None):
    return fee_standards_save(
        actor=user or world.users.university1_officer, university=world.university1, year=YEAR, rows=rows
    )


def confirm(world, user=None, number="6228480012345678"):
    return fee_account_confirm(
        actor=user or world.users.university1_officer,
        university=world.university1,
        year=YEAR,
        account_name="兰州大学",
        bank_name="中国银行兰州分行",
        account_number=number,
    )


# --- the table: save all at once, per-row errors, all or nothing ---------------------------------------


def test_issue10_fee_table_saves_every_row_and_audits_each(world):
    counts = table(
        world,
        [
            FeeRow(major="化学", level="undergraduate", tuition="4800", accommodation="1200"),
            FeeRow(major="临床医学", level="本科", tuition="6,200", accommodation="1200"),
        ],
    )
    assert counts == {"created": 2, "updated": 0, "deleted": 0}
    assert set(FeeStandard.objects.values_list("major", "level", "tuition")) == {
        ("化学", "undergraduate", 4800),
        ("临床医学", "undergraduate", 6200),
    }
    assert AuditEvent.objects.filter(action="fee_standard.set").count() == 2


def test_issue10_fee_table_one_bad_row_saves_nothing_and_names_the_row(world):
    with pytest.raises(FeeTableRejected) as caught:
        table(
            world,
            [
                FeeRow(major="化学", level="undergraduate", tuition="4800", accommodation="1200"),
                FeeRow(major="", level="undergraduate", tuition="abc", accommodation="-5"),
                FeeRow(major="化学", level="undergraduate", tuition="5000", accommodation="1000"),
            ],
        )
    errors = caught.value.errors
    assert set(errors) == {1, 2}
    assert errors[1]["major"] == "请填写专业名称"
    assert "学费应为整数" in errors[1]["tuition"]
    assert "住宿费" in errors[1]["accommodation"]
    assert "与第1行重复" in errors[2]["major"]
    assert not FeeStandard.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="fee_standard").exists()


def test_issue10_fee_table_update_and_delete_are_audited_old_to_new(world):
    table(world, [FeeRow(major="化学", level="undergraduate", tuition="4800", accommodation="1200")])
    standard = FeeStandard.objects.get()
    table(
        world,
        [FeeRow(pk=standard.pk, major="化学", level="undergraduate", tuition="5000", accommodation="1200")],
    )
    event = AuditEvent.objects.filter(action="fee_standard.set").order_by("pk").last()
    assert event.old == {"tuition": 4800} and event.new == {"tuition": 5000}
    counts = table(
        world,
        [
            FeeRow(
                pk=standard.pk, major="化学", level="undergraduate", tuition="", accommodation="", delete=True
            )
        ],
    )
    assert counts["deleted"] == 1 and not FeeStandard.objects.exists()
    assert AuditEvent.objects.filter(action="fee_standard.delete").count() == 1


def test_issue10_fee_table_only_the_university_itself(world):
    row = [FeeRow(major="化学", level="undergraduate", tuition="4800", accommodation="1200")]
    for user in (world.users.county1_staff, world.users.university4_officer, world.users.province_officer):
        with pytest.raises(PermissionDeniedError):
            table(world, row, user=user)
    assert not FeeStandard.objects.exists()


def test_issue10_fee_table_page_shows_errors_in_their_row_and_adds_rows(world, client_for):
    client = client_for(world.users.university1_officer)
    page = client.get(reverse("fee-standard-list"))
    assert page.status_code == 200
    assert page.content.decode().count("data-fee-row=") == 3  # three blank rows to start with
    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-0-major": "化学",
        "form-0-level": "undergraduate",
        "form-0-tuition": "4800",
        "form-0-accommodation": "1200",
        "form-1-major": "统计学",
        "form-1-level": "undergraduate",
        "form-1-tuition": "4800.5",
        "form-1-accommodation": "1000",
    }
    response = client.post(reverse("fee-standard-save"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "学费应为整数（元）" in html and 'class="table-danger"' in html
    assert not FeeStandard.objects.exists()
    more = client.post(reverse("fee-standard-save"), {**data, "add_rows": "1"})
    assert more.content.decode().count("data-fee-row=") == 8
    data["form-1-tuition"] = "4800"
    saved = client.post(reverse("fee-standard-save"), data)
    assert saved.status_code == 302
    assert FeeStandard.objects.count() == 2
    again = client.get(reverse("fee-standard-list")).content.decode()
    assert again.count("data-fee-row=") == 5  # two saved rows + three blank ones


def test_issue10_fee_pages_refuse_other_roles(world, client_for):
    assert client_for(world.users.county1_staff).get(reverse("fee-standard-list")).status_code == 403
    assert client_for(world.users.county1_staff).post(reverse("fee-standard-save"), {}).status_code == 403
    assert client_for(world.users.province_officer).get(reverse("fee-standard-list")).status_code == 200


# --- the spreadsheet import ------------------------------------------------------------------------------


def test_issue10_fee_template_downloads_and_imports_as_it_is(world, client_for):
    client = client_for(world.users.university1_officer)
    response = client.get(reverse("fee-standard-template"))
    assert response.status_code == 200
    sheet = load_workbook(__import__("io").BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == HEADERS
    # the example row alone is no data
    with pytest.raises(Exception, match="没有收费标准数据"):
        fee_import.fee_standard_import(
            actor=world.users.university1_officer,
            university=world.university1,
            year=YEAR,
            file=upload(response.content),
        )


def test_issue10_fee_import_writes_all_rows_and_updates_existing(world):
    table(world, [FeeRow(major="化学", level="undergraduate", tuition="4000", accommodation="1000")])
    content = workbook_bytes(
        [
            ["化学", "本科", 4800, 1200],
            ["临床医学", "本科", 6200, 1200],
            ["计算机科学与技术", "专科", 4500, 900],
        ],
        headers=HEADERS,
    )
    count = fee_import.fee_standard_import(
        actor=world.users.university1_officer, university=world.university1, year=YEAR, file=upload(content)
    )
    assert count == 3
    assert FeeStandard.objects.get(major="化学").tuition == 4800
    assert FeeStandard.objects.get(major="计算机科学与技术").level == "vocational"


def test_issue10_fee_import_is_all_or_nothing_with_row_and_column_in_chinese(world):
    content = workbook_bytes(
        [
            ["化学", "本科", 4800, 1200],
            ["临床医学", "博士后", 6200, 1200],
            ["统计学", "本科", "四千", None],
            ["化学", "本科", 4800, 1200],
        ],
        headers=HEADERS,
    )
    with pytest.raises(imports.ImportRejected) as caught:
        fee_import.fee_standard_import(
            actor=world.users.university1_officer,
            university=world.university1,
            year=YEAR,
            file=upload(content),
        )
    found = {(e.row, e.column): e.message for e in caught.value.errors}
    assert "无法识别" in found[(3, "B")]
    assert "学费应为整数" in found[(4, "C")]
    assert found[(4, "D")] == "“住宿费（元/年）”不能为空"
    assert "与第2行重复" in found[(5, "A")]
    assert not FeeStandard.objects.exists()


def test_issue10_fee_import_page_lists_errors(world, client_for):
    content = workbook_bytes([["化学", "本科", -1, 1200]], headers=HEADERS)
    response = client_for(world.users.university1_officer).post(
        reverse("fee-standard-import"), {"file": upload(content)}
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="fee-import-errors"' in html and "学费不能为负数" in html


# --- the fee account, confirmed once a year with who and when -------------------------------------------


def test_issue10_notice_8_fee_account_confirmed_with_who_and_when_masked_and_audited(world, client_for):
    client = client_for(world.users.university1_officer)
    response = client.post(
        reverse("fee-account-confirm"),
        {
            "account_name": "兰州大学",
            "bank_name": "中国银行兰州分行",
            "account_number": "6228 4800 1234 5678",
        },
    )
    assert response.status_code == 302
    account = FeeAccount.objects.get()
    assert account.account_number == "6228480012345678"
    assert account.confirmed_by == world.users.university1_officer and account.confirmed_at is not None
    html = client.get(reverse("fee-standard-list")).content.decode()
    assert "************5678" in html and "6228480012345678" not in html
    confirm(world, user=world.users.university1_manager, number="6228480099998888")
    events = AuditEvent.objects.filter(action="fee_account.confirm").order_by("pk")
    assert events.count() == 2
    assert events.last().old["account_number"] == "6228480012345678"
    assert FeeAccount.objects.get().confirmed_by == world.users.university1_manager
    bad = client.post(
        reverse("fee-account-confirm"),
        {"account_name": "兰州大学", "bank_name": "中行", "account_number": "12ab"},
    )
    assert "账号应为8–30位数字" in bad.content.decode()
    with pytest.raises(PermissionDeniedError):
        confirm(world, user=world.users.county1_staff)


def test_issue10_notice_8_obligation_counts_standards_and_account(world):
    loan_year_ensure(year=YEAR)
    ask = lambda: count_obligation(  # noqa: E731
        "fee_standard_due", organisation=world.university1, loan_year=YEAR
    )
    assert ask().count == 2
    table(world, [FeeRow(major="化学", level="undergraduate", tuition="4800", accommodation="1200")])
    assert ask().count == 1
    confirm(world)
    assert ask().count == 0 and ask().url == reverse("fee-standard-list")


# --- the late universities (enforcement of fee_standard_due, notice 八 7/15) --------------------------


def test_issue10_notice_8_late_universities_listed_once_after_the_date_run_twice_or_late(world, client_for):
    loan_year_ensure(year=YEAR)
    table(world, [FeeRow(major="化学", level="undergraduate", tuition="4800", accommodation="1200")])
    confirm(world)  # university1 is complete; university2 and university4 have nothing
    calendar_run(as_of=d("2026-07-15"))  # the due day itself is still open
    assert not LateFeeUniversity.objects.exists()
    calendar_run(as_of=d("2026-07-20"))  # catching up after an outage
    calendar_run(as_of=d("2026-07-20"))
    calendar_run(as_of=d("2026-07-21"))
    late = LateFeeUniversity.objects.order_by("university__code")
    assert [row.university for row in late] == [world.university4, world.university2]
    assert all(row.missing_standards and row.missing_account for row in late)
    assert AuditEvent.objects.filter(action="fee_standard.late").count() == 2
    assert EnforcementRun.objects.filter(key_date__code="fee_standard_due").count() == 3
    assert (
        Notification.objects.filter(recipient=world.users.province_officer, category="fee_standard").count()
        == 2
    )
    html = client_for(world.users.province_officer).get(reverse("fee-standard-list")).content.decode()
    assert "西北师范大学" in html and "未录入收费标准、未确认收费账户" in html


def test_issue10_notice_8_late_list_dry_run_writes_nothing_and_extension_moves_it(world):
    loan_year_ensure(year=YEAR)
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("fee_standard_due", year=YEAR),
        organisation=world.university2,
        end_date=d("2026-07-25"),
        reason="测试：收费标准延期",
    )
    report = calendar_run(as_of=d("2026-07-16"), dry_run=True)
    assert not LateFeeUniversity.objects.exists()
    assert "列入收费标准逾期高校名单" in str(report.__dict__)
    calendar_run(as_of=d("2026-07-16"))
    assert set(LateFeeUniversity.objects.values_list("university__code", flat=True)) == {"10730", "10698"}
    calendar_run(as_of=d("2026-07-26"))
    assert LateFeeUniversity.objects.filter(university=world.university2).count() == 1


def test_issue10_university_sees_late_item_on_its_dashboard(world, client_for):
    loan_year_ensure(year=YEAR)
    html = client_for(world.users.university1_officer).get(reverse("dashboard")).content.decode()
    assert "收费标准录入" in html and reverse("fee-standard-list") in html


def test_issue10_intake_form_still_prefills_from_the_standard_and_flags_the_account(world, client_for):
    table(world, [FeeRow(major="化学", level="undergraduate", tuition="4800", accommodation="1100")])
    client = client_for(world.users.county1_staff)
    params = {"university": world.university1.pk, "major": "化学", "level": "undergraduate"}
    html = client.get("/applications/new/fee-standard/", params).content.decode()
    assert 'data-tuition="4800"' in html and "收费账户尚未核对确认" in html
    confirm(world)
    html = client.get("/applications/new/fee-standard/", params).content.decode()
    assert 'data-tuition="4800"' in html and "收费账户尚未核对确认" not in html


def test_issue10_province_dashboard_counts_late_universities(world, client_for):
    loan_year_ensure(year=YEAR)
    calendar_run(as_of=d("2026-07-16"))
    html = client_for(world.users.province_officer).get(reverse("dashboard")).content.decode()
    assert "收费标准逾期高校" in html
    assert LateFeeUniversity.objects.filter(year=YEAR).count() == 3  # no university has anything


def test_issue10_fee_table_hostile_posts_answer_without_500(world, client_for):
    client = client_for(world.users.university1_officer)
    for data in (
        {"form-TOTAL_FORMS": "abc", "add_rows": "1"},
        {"form-TOTAL_FORMS": "abc", "form-INITIAL_FORMS": "x"},
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-0-pk": "99999", "form-0-major": "化学"},
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-0-major": "x" * 500},
    ):
        assert client.post(reverse("fee-standard-save"), data).status_code in (200, 302, 400)
    assert not FeeStandard.objects.exists()


def test_issue10_two_officers_enter_the_same_new_standard_at_once_one_wins_the_other_409(live_world):
    """Two first entries of one major and level at once: one row, one audit row; the loser gets 409."""
    from loanportal.errors import ConflictError

    from .concurrency import race
    from .factories import is_postgresql

    if not is_postgresql():
        pytest.skip("the race needs PostgreSQL")

    def save(user, tuition):
        def job():
            return fee_standards_save(
                actor=user,
                university=live_world.university1,
                year=YEAR,
                rows=[FeeRow(major="化学", level="undergraduate", tuition=tuition, accommodation="1200")],
            )

        return job

    results = race(
        save(live_world.users.university1_officer, "4800"), save(live_world.users.university1_manager, "5000")
    )
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert FeeStandard.objects.count() == 1
    assert AuditEvent.objects.filter(action="fee_standard.set").count() == 1
