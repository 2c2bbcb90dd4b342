"""Issue 10 — fast receipt entry (回执录入, notice 八: 10月10日前高校完成学生贷款回执信息的录入; 逾期未完成的，
视为该校借款学生放弃当年申请): a scanned code is entered at once or refused with the reason (check
character, another university's student, already entered, after the deadline with the extension), a list
import enters all or nothing, GET /api/v1/receipts/ is scoped and masked, and the acceptance certificate
carries the code as a Code 128 barcode."""

import datetime
import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.barcodes import code128_modules
from applications.models import Application, ApplicationStatus
from applications.rules import lifecycle as rules
from applications.services import lifecycle as services
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.imports import ImportRejected
from loanportal.models import AuditEvent

from .factories import valid_id
from .factories_lifecycle import RECEIPT_DAY, make_application, open_calendar, receipt_entry_open

AFTER_DEADLINE = datetime.date(2026, 10, 11)


@pytest.fixture
def signed(world):
    """Three signed contracts of 兰州大学 students and one of 西安交大's, waiting for their receipts."""
    open_calendar(2026)
    apps = [
        make_application(
            world,
            to="contract_signed",
            student={"name": name, "id_number": valid_id(world.county1.code, f"2007031{i}")},
        )
        for i, name in enumerate(["张三丰", "李四", "王小五"], start=1)
    ]
    foreign = make_application(
        world,
        to="contract_signed",
        university=world.university4,
        student={"name": "赵外校", "id_number": valid_id(world.county1.code, "20070319")},
    )
    return apps, foreign


def _mistyped(code: str) -> str:
    """The code with its last (check) character replaced by another one."""
    return code[:-1] + ("A" if code[-1] != "A" else "B")


# --- the service every entry goes through ---------------------------------------------------------


def test_issue10_notice_8_receipt_scan_valid_enters_with_who_and_when(world, signed):
    """A valid code of the university's own student: entered, with receipt_entered_at/by, audited."""
    application = signed[0][0]
    officer = world.users.university1_officer
    scan = services.receipt_scan(actor=officer, receipt_code=application.receipt_code, on=RECEIPT_DAY)
    assert scan.ok and scan.status == 200
    assert scan.student == "张*丰"  # masked name beside the input
    assert scan.code == rules.receipt_code_display(application.receipt_code)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECEIPT_ENTERED
    assert application.receipt_entered_by == officer
    assert application.receipt_entered_at is not None
    assert AuditEvent.objects.filter(
        object_pk=str(application.pk), action="application.receipt_entered"
    ).exists()


def test_issue10_notice_8_receipt_scan_mistyped_check_character(world, signed):
    """A mistyped code (wrong check character, ISO 7064 MOD 37,36) is refused before any lookup."""
    application = signed[0][0]
    scan = services.receipt_scan(
        actor=world.users.university1_officer,
        receipt_code=_mistyped(application.receipt_code),
        on=RECEIPT_DAY,
    )
    assert not scan.ok and scan.status == 400
    assert "校验位错误" in scan.message
    assert scan.student == ""
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CONTRACT_SIGNED


def test_issue10_notice_8_receipt_scan_foreign_university(world, signed):
    """Another university's student: "未找到该回执码", and the name is not revealed."""
    foreign = signed[1]
    scan = services.receipt_scan(
        actor=world.users.university1_officer, receipt_code=foreign.receipt_code, on=RECEIPT_DAY
    )
    assert not scan.ok and scan.message == "未找到该回执码" and scan.student == ""
    assert "赵" not in scan.message
    foreign.refresh_from_db()
    assert foreign.status == ApplicationStatus.CONTRACT_SIGNED


def test_issue10_notice_8_receipt_scan_duplicate(world, signed):
    """The same code twice: the second says by whom and when it was entered (409), name masked."""
    application = signed[0][0]
    officer = world.users.university1_officer
    services.receipt_scan(actor=officer, receipt_code=application.receipt_code, on=RECEIPT_DAY)
    again = services.receipt_scan(actor=officer, receipt_code=application.receipt_code, on=RECEIPT_DAY)
    assert not again.ok and again.status == 409
    assert "无需重复录入" in again.message and "张*丰" in again.message and "张三丰" not in again.message
    assert (
        AuditEvent.objects.filter(object_pk=str(application.pk), action="application.receipt_entered").count()
        == 1
    )


def test_issue10_notice_8_receipt_scan_after_the_deadline_and_with_extension(world, signed):
    """After 10/10 the entry is refused with the real date; the university's extension reopens it."""
    application = signed[0][0]
    officer = world.users.university1_officer
    late = services.receipt_scan(actor=officer, receipt_code=application.receipt_code, on=AFTER_DEADLINE)
    assert not late.ok and late.status == 400
    assert late.message == "回执录入已于2026年10月10日截止，不能录入回执"
    receipt_entry_open(world, until=datetime.date(2026, 10, 20))
    extended = services.receipt_scan(actor=officer, receipt_code=application.receipt_code, on=AFTER_DEADLINE)
    assert extended.ok


def test_issue10_receipt_scan_only_universities(world, signed):
    with pytest.raises(PermissionDeniedError):
        services.receipt_scan(actor=world.users.county1_staff, receipt_code=signed[0][0].receipt_code)


# --- the page and its JSON endpoint ---------------------------------------------------------------


def test_issue10_scan_endpoint_answers_json_for_the_script(world, signed, client_for):
    receipt_entry_open(world)
    application = signed[0][0]
    client = client_for(world.users.university1_officer)
    url = reverse("application-receipt-scan")
    ok = client.post(url, {"receipt_code": application.receipt_code.lower()})
    assert ok.status_code == 200
    assert ok.json() == {
        "ok": True,
        "code": rules.receipt_code_display(application.receipt_code),
        "student": "张*丰",
        "message": "回执已录入",
    }
    bad = client.post(url, {"receipt_code": _mistyped(signed[0][1].receipt_code)})
    assert bad.status_code == 400 and bad.json()["ok"] is False
    hostile = client.post(url, {"receipt_code": "<script>alert(1)</script>" * 5})
    assert hostile.status_code == 400 and hostile.json()["ok"] is False


def test_issue10_scan_endpoint_refuses_county_and_get(world, signed, client_for):
    client = client_for(world.users.county1_staff)
    assert client.post(reverse("application-receipt-scan"), {"receipt_code": "X"}).status_code == 403
    assert client.get(reverse("application-receipt-entry")).status_code == 403
    client = client_for(world.users.university1_officer)
    assert client.get(reverse("application-receipt-scan")).status_code == 405


def test_issue10_plain_form_without_js_lists_the_result_above_the_input(world, signed, client_for):
    """Without JS the form posts to the page, which lists the result (green) and today's entries."""
    receipt_entry_open(world)
    client = client_for(world.users.university1_officer)
    first, second = signed[0][0], signed[0][1]
    client.post(reverse("application-receipt-entry"), {"receipt_code": first.receipt_code})
    response = client.post(reverse("application-receipt-entry"), {"receipt_code": second.receipt_code})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-result="ok"') == 3  # the latest on top, then today's two entries
    assert "李*" in html and "张*丰" in html and "张三丰" not in html
    assert html.index("scan-log") < html.index('name="receipt_code"')  # listed above the input
    wrong = client.post(reverse("application-receipt-entry"), {"receipt_code": "ABC"})
    assert wrong.status_code == 400 and 'data-result="bad"' in wrong.content.decode()


# --- list import (all or nothing) -----------------------------------------------------------------


def _xlsx(rows) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("回执")
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row)
    workbook.close()
    return SimpleUploadedFile(
        "回执.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def test_issue10_receipt_list_import_row_errors_nothing_entered(world, signed):
    """A list with mistakes: every bad row is reported with its row, column and student; none entered."""
    (a, b, c), foreign = signed
    officer = world.users.university1_officer
    services.receipt_enter(actor=officer, receipt_code=c.receipt_code, on=RECEIPT_DAY)
    upload = _xlsx(
        [
            ["回执码", "学生姓名"],
            [a.receipt_code, "张三丰"],  # fine
            [_mistyped(b.receipt_code), ""],  # check character
            [foreign.receipt_code, ""],  # another university's
            [c.receipt_code, ""],  # already entered
            [a.receipt_code, ""],  # twice in the list
            [b.receipt_code, "王五"],  # name does not match
        ]
    )
    with pytest.raises(ImportRejected) as caught:
        services.receipt_import(actor=officer, file=upload, on=RECEIPT_DAY)
    errors = {(e.row, e.column): e for e in caught.value.errors}
    assert "校验位错误" in errors[(3, "A")].message
    assert "不是本校学生" in errors[(4, "A")].message
    assert "已录入" in errors[(5, "A")].message and errors[(5, "A")].name == "王小五"
    assert "与第2行的回执码重复" in errors[(6, "A")].message
    assert "不一致" in errors[(7, "B")].message
    a.refresh_from_db()
    assert a.status == ApplicationStatus.CONTRACT_SIGNED  # all or nothing


def test_issue10_receipt_list_import_pasted_text_enters_all(world, signed):
    (a, b, c), _ = signed
    text = f"{rules.receipt_code_display(a.receipt_code)}\n\n  {b.receipt_code.lower()}  \n{c.receipt_code}\n"
    entered = services.receipt_import(actor=world.users.university1_officer, text=text, on=RECEIPT_DAY)
    assert {x.pk for x in entered} == {a.pk, b.pk, c.pk}
    assert set(Application.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("status", flat=True)) == {
        ApplicationStatus.RECEIPT_ENTERED
    }


def test_issue10_receipt_list_import_too_long_and_empty(world, signed):
    officer = world.users.university1_officer
    with pytest.raises(DomainError, match="一次最多导入2000个回执码"):
        services.receipt_import(actor=officer, text="ABCDE23456\n" * 2001, on=RECEIPT_DAY)
    with pytest.raises(DomainError, match="清单为空"):
        services.receipt_import(actor=officer, text="\n  \n", on=RECEIPT_DAY)
    with pytest.raises(DomainError, match="缺少列"):
        services.receipt_import(actor=officer, file=_xlsx([["姓名"], ["张三丰"]]), on=RECEIPT_DAY)


def test_issue10_receipt_list_import_after_the_deadline_enters_none(world, signed):
    (a, b, _), _ = signed
    with pytest.raises(DomainError, match="回执录入已于2026年10月10日截止"):
        services.receipt_import(
            actor=world.users.university1_officer,
            text=f"{a.receipt_code}\n{b.receipt_code}",
            on=AFTER_DEADLINE,
        )
    assert not Application.objects.filter(status=ApplicationStatus.RECEIPT_ENTERED).exists()


def test_issue10_receipt_import_page_shows_row_errors(world, signed, client_for):
    receipt_entry_open(world)
    (a, b, _), _ = signed
    client = client_for(world.users.university1_officer)
    response = client.post(
        reverse("application-receipt-import"), {"codes": f"{a.receipt_code}\n{_mistyped(b.receipt_code)}"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "第2行" in html and "校验位错误" in html and "未导入任何数据" in html
    ok = client.post(reverse("application-receipt-import"), {"codes": f"{a.receipt_code}\n{b.receipt_code}"})
    assert ok.status_code == 302
    assert Application.objects.filter(status=ApplicationStatus.RECEIPT_ENTERED).count() == 2
    template = client.get(reverse("application-receipt-template"))
    assert template.status_code == 200 and template["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    bad_file = client.post(
        reverse("application-receipt-import"),
        {"file": SimpleUploadedFile("x.xlsx", b"not a zip", content_type="application/octet-stream")},
    )
    assert bad_file.status_code == 400


# --- GET /api/v1/receipts/ ------------------------------------------------------------------------


def test_issue10_api_receipts_scoped_masked_and_filterable(world, signed, api_for):
    (a, b, _), foreign = signed
    services.receipt_enter(actor=world.users.university1_officer, receipt_code=a.receipt_code, on=RECEIPT_DAY)
    services.receipt_enter(
        actor=world.users.university4_officer, receipt_code=foreign.receipt_code, on=RECEIPT_DAY
    )
    body = api_for(world.users.university1_officer).get("/api/v1/receipts/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["application"] for r in rows] == [a.pk]
    row = rows[0]
    assert row["student_name"] == "张*丰"
    assert "*" in row["student_id_number"]
    assert row["receipt_code"] == rules.receipt_code_display(a.receipt_code)
    assert row["receipt_entered_by"]
    other = api_for(world.users.university4_officer).get("/api/v1/receipts/").json()
    other_rows = other["results"] if isinstance(other, dict) else other
    assert [r["application"] for r in other_rows] == [foreign.pk]
    for user in (
        world.users.county2_staff,
        world.users.bank_officer,
    ):  # another county; the bank before 回执确认
        data = api_for(user).get("/api/v1/receipts/").json()
        assert (data["results"] if isinstance(data, dict) else data) == []
    county = (
        api_for(world.users.county1_staff).get(f"/api/v1/receipts/?university={world.university4.pk}").json()
    )
    assert [r["application"] for r in (county["results"] if isinstance(county, dict) else county)] == [
        foreign.pk
    ]
    assert api_for(world.users.university1_officer).get("/api/v1/receipts/?year=abc").status_code == 400
    assert b.pk not in [r["application"] for r in rows]


def test_issue10_api_receipts_in_openapi_schema(world, api_for):
    schema = api_for(world.users.province_officer).get("/api/schema/?format=json").json()
    assert "/api/v1/receipts/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/fee-certificates/"]


# --- the barcode on the acceptance certificate --------------------------------------------------


def test_issue10_acceptance_certificate_prints_the_receipt_code_as_code128(world, signed, client_for):
    application = signed[0][0]
    html = (
        client_for(world.users.county1_staff)
        .get(reverse("application-certificate", args=[application.pk]))
        .content.decode()
    )
    assert '<svg class="barcode"' in html and f'data-code="{application.receipt_code}"' in html
    assert "style=" not in html.split('<svg class="barcode"')[1].split("</svg>")[0]  # CSP: no inline style
    # the bars drawn are the Code 128 modules of the code (start, data, checksum, stop)
    svg = html.split('<svg class="barcode"')[1].split("</svg>")[0]
    import re

    widths = [int(w) for w in re.findall(r'<rect x="\d+" y="0" width="(\d+)"', svg)]
    assert sum(widths) == code128_modules(application.receipt_code).count("1")
    # START B, or START C when the code begins with digit pairs (python-barcode picks the shorter set); STOP
    modules = code128_modules(application.receipt_code)
    assert modules.startswith(("11010010000", "11010011100")) and modules.endswith("1100011101011")
