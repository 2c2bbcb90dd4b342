"""Issue 9 "One import path" / "One export path": the templates every import offers (written by the one
writer, numbers as numbers), the messages of the import forms, the progress of import jobs (done == total
in data rows), and the bad files refused before the reader opens them, in bounded memory."""

import datetime
import io
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
import python_calamine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from applications.services.preapplications import PreApplicationImportRejected, pre_application_import
from loanportal.errors import DomainError
from loanportal.imports import jobs
from loanportal.imports.models import ImportJobStatus
from tests.factories import valid_id
from tests.factories_lifecycle import make_application
from tests.factories_preapplications import good_row, upload, workbook_bytes, zip_bytes
from tests.xlsx_inspect import Book

YEAR = timezone.localdate().year
MB = 1024 * 1024


@pytest.fixture
def jobs_root(settings, tmp_path):
    settings.IMPORT_JOB_ROOT = str(tmp_path / "imports")
    settings.IMPORT_JOB_MIN_BYTES = 1


# --- templates: one writer, typed example rows --------------------------------------------------------------


def test_issue9_ledger_template_amounts_are_numbers_dates_are_dates_and_text_columns_text(world, client_for):
    from repayment_relief.ledger_import import HEADERS

    response = client_for(world.users.bank_officer).get(reverse("relief-ledger-template"))
    assert response.status_code == 200
    book = Book(response.content)
    cells = book.sheets["贷款台账"].cells
    assert [cells[f"{chr(65 + i)}1"][1] for i in range(len(HEADERS))] == list(HEADERS)
    assert not book.any_formula()
    # 合同金额, 学年, 未还本金, 已计罚息: number cells; the dates: number cells with a date format
    for ref, value in (("D2", 24000), ("E2", 2021), ("H2", 16000), ("I2", 120.5)):
        kind, text, _, _ = cells[ref]
        assert kind == "n" and float(text) == value, (ref, cells[ref])
    assert cells["F2"][0] == "n" and cells["G2"][0] == "n"
    # 合同号, 身份证号, 县区代码: text cells
    for ref in ("A2", "B2", "C2"):
        assert cells[ref][0] in ("s", "inlineStr", "str"), (ref, cells[ref])
    assert 'formatCode="@"' in book.zip.read("xl/styles.xml").decode()


def test_issue9_ledger_template_example_row_reads_back_as_the_ledger_expects(world):
    """The template's typed example row passes the row checks (amounts read as numbers, dates as dates)."""
    from repayment_relief.ledger_import import ledger_row_stage, ledger_template_workbook
    from repayment_relief.ledger_import.rows import IMPORT_TEMPLATE

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(ledger_template_workbook()))
    header, example = book.get_sheet_by_index(0).to_python()[:2]
    assert list(header) == list(IMPORT_TEMPLATE.headers)
    cells = dict(zip((f.key for f in IMPORT_TEMPLATE.fields), example, strict=True))
    assert isinstance(cells["principal"], float) and isinstance(cells["as_of"], datetime.date)
    staged, errors, label = ledger_row_stage(cells)
    assert errors == [] and staged is not None and label == "GS2021-0107"
    assert staged[3] == str(Decimal("24000")) and staged[4] == 2021 and staged[5] == "2026-10-31"


def test_issue9_receipt_template_through_the_one_writer(world, client_for):
    response = client_for(world.users.university1_officer).get(reverse("application-receipt-template"))
    assert response.status_code == 200
    book = Book(response.content)
    assert list(book.sheets) == ["回执码清单"] and not book.any_formula()
    cells = book.sheets["回执码清单"].cells
    assert cells["A1"][1] == "回执码" and cells["B1"][1] == "学生姓名"
    # the code column is formatted as text (Excel keeps the scanner's digits) with a hint on its header
    assert 'formatCode="@"' in book.zip.read("xl/styles.xml").decode()
    assert any(name.startswith("xl/comments") for name in book.zip.namelist())


# --- messages ------------------------------------------------------------------------------------------------


def _rejected(world, rows):
    with pytest.raises(PreApplicationImportRejected) as caught:
        pre_application_import(
            actor=world.users.county1_staff,
            county=world.county1,
            year=YEAR,
            file=upload(workbook_bytes(rows)),
        )
    return caught.value.errors


def test_issue9_number_cell_message_fits_the_column(world):
    """A phone stored as a number is told about the phone (a landline's leading 0), an ID number about its
    lost digits; neither gets the other's explanation."""
    errors = _rejected(world, [good_row(联系电话=9318888888), good_row(身份证号=620123200803151234)])
    by_header = {e["header"]: e["message"] for e in errors}
    phone, id_number = by_header["联系电话"], by_header["身份证号"]
    assert "固定电话" in phone and "开头的0" in phone and "文本格式" in phone
    assert "1.4E+17" not in phone and "身份证" not in phone and "15位" not in phone
    assert "15位有效数字" in id_number and "1.4E+17" in id_number and "文本格式" in id_number
    assert "固定电话" not in id_number


def test_issue9_generic_text_column_number_message():
    from loanportal.imports.service import text_cell_message, text_kind

    message = text_cell_message("合同号", text_kind("contract_no"))
    assert "文本格式" in message and "开头的0" in message
    assert "1.4E+17" not in message and "身份证" not in message and "固定电话" not in message


@pytest.mark.parametrize(
    "route, user, data, message",
    [
        ("preapplication-import", "county1_staff", {"year": YEAR}, "请选择要导入的文件（.xlsx）"),
        ("bank-status-import", "bank_officer", {"go": "1"}, "请选择要导入的文件（.xlsx）"),
        ("relief-ledger-import", "bank_officer", {"go": "1"}, "请选择要导入的台账文件（.csv 或 .xlsx）"),
    ],
)
def test_issue9_import_form_without_a_file_says_choose_a_file(world, client_for, route, user, data, message):
    response = client_for(getattr(world.users, user)).post(reverse(route), data)
    body = response.content.decode()
    assert message in body and "该字段是必填项" not in body


def test_issue9_city_manager_refused_the_import_is_told_it_is_the_import(world, client_for):
    client = client_for(world.users.city1_manager)
    assert client.get(reverse("preapplication-list")).status_code == 200  # the list itself is theirs to read
    response = client.get(reverse("preapplication-import"))
    body = response.content.decode()
    assert response.status_code == 403
    assert "您的角色无权导入预申请名单" in body and "无权使用预申请名单" not in body


# --- progress: done == total, in data rows -----------------------------------------------------------------


def _job(world, content, *, kind="pre_applications", user=None, file=None):
    user = user or world.users.county1_staff
    job = jobs.import_job_create(
        actor=user, kind=kind, organisation=user.organisation, year=YEAR, file=file or upload(content)
    )
    jobs.import_job_run(pk=job.pk)
    job.refresh_from_db()
    return job


def _with_blank_rows(rows: list) -> list:
    """The rows with blank rows between them and a row of spaces at the end (the sheet spans them)."""
    spaced = []
    for index, row in enumerate(rows):
        spaced.append(row)
        if index % 10 == 9:
            spaced.append([None] * len(row))
    return [*spaced, ["  "] * len(rows[0])]


def test_issue9_job_done_counts_data_rows_and_ends_with_done_equal_total(world, client_for, jobs_root):
    job = _job(world, workbook_bytes(_with_blank_rows([good_row() for _ in range(30)])))
    assert job.status == ImportJobStatus.DONE, job.message
    assert (job.rows_done, job.total_rows) == (30, 30)
    page = client_for(world.users.county1_staff).get(reverse("preapplication-import-job", args=[job.pk]))
    assert "30 / 30 行（100%）" in page.content.decode()


def test_issue9_job_rejected_ends_with_done_equal_total(world, jobs_root):
    rows = [good_row() for _ in range(30)]
    rows[12] = good_row(联系电话="abc")
    job = _job(world, workbook_bytes(_with_blank_rows(rows)))
    assert job.status == ImportJobStatus.REJECTED
    assert (job.rows_done, job.total_rows) == (30, 30)


def test_issue9_ledger_job_rejected_ends_with_done_equal_total(world, settings, jobs_root):
    """The ledger counted rows per chunk with an estimate one above (22000 / 22001 at the end)."""
    from repayment_relief.ledger_import import ledger_csv

    settings.LEDGER_IMPORT_CHUNK_ROWS = 3
    schedule = "2031-12-20:4800.00；2032-12-20:4800.00"
    rows = [
        [f"GS{i:07d}", valid_id("620123", "19990101"), "620123", "24000.00", "2021", "2026-03-10"]
        + ["2025-12-20", "24000.00", "0.00", "2024-12-21:3.05", "", schedule]
        for i in range(7)
    ]
    csv = SimpleUploadedFile("台账.csv", ledger_csv(rows), content_type="text/csv")
    job = _job(world, None, kind="ledger", user=world.users.bank_officer, file=csv)
    assert job.status == ImportJobStatus.REJECTED and "错误" in job.message, job.message
    assert (job.rows_done, job.total_rows) == (7, 7)


# --- bad files: refused before calamine opens them, in bounded memory ---------------------------------------


def members_of_workbook(content: bytes) -> dict:
    source = zipfile.ZipFile(io.BytesIO(content))
    return {name: source.read(name) for name in source.namelist()}


def _zip_bomb() -> bytes:
    """A workbook with a 100 MB member of zeros (~100 KB compressed), written in chunks."""
    members = members_of_workbook(workbook_bytes([good_row()]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
        with package.open("xl/media/image1.png", "w") as member:
            chunk = b"\x00" * MB
            for _ in range(100):
                member.write(chunk)
    return buffer.getvalue()


def _huge_span() -> bytes:
    members = members_of_workbook(workbook_bytes([good_row()]))
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>",
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    ).encode()
    return zip_bytes(members)


def _merged() -> bytes:
    return workbook_bytes([good_row(), good_row()], extra=lambda wb: wb.active.merge_cells("E2:E3"))


def _hidden() -> bytes:
    def extra(workbook):
        workbook.create_sheet("备用").sheet_state = "hidden"

    return workbook_bytes([good_row()], extra=extra)


def _too_many_entries() -> bytes:
    members = members_of_workbook(workbook_bytes([good_row()]))
    members.update({f"xl/media/x{i}.bin": b"x" for i in range(1500)})
    return zip_bytes(members)


BAD_FILES = {
    "zip bomb": (_zip_bomb, "名单.xlsx", "解压后"),
    "huge sheet span": (_huge_span, "名单.xlsx", "使用范围过大"),
    "too many entries": (_too_many_entries, "名单.xlsx", "部件"),
    "renamed html": (lambda: b"<html><body>" + b"x" * MB + b"</body></html>", "名单.xlsx", "不是Excel"),
    "renamed xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * MB, "名单.xlsx", "另存为"),
    "renamed docx": (
        lambda: zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>" * 1000}),
        "名单.xlsx",
        "不是Excel",
    ),
    "renamed csv": (lambda: "姓名,身份证号\n".encode() * 1000, "名单.xlsx", "不是Excel"),
    # issue 9 check 4 / "One import path: checked before parsing" (before: refused from calamine's metadata)
    "merged cells": (_merged, "名单.xlsx", "合并单元格"),
    "hidden sheet": (_hidden, "名单.xlsx", "隐藏的工作表"),
}


def test_issue9_bad_file_spy_sees_calamine_open_a_good_file(world, calamine_calls):
    pre_application_import(
        actor=world.users.county1_staff,
        county=world.county1,
        year=YEAR,
        file=upload(workbook_bytes([good_row()])),
    )
    assert len(calamine_calls) == 1


@pytest.mark.parametrize("kind", list(BAD_FILES), ids=list(BAD_FILES))
def test_issue9_bad_files_refused_before_calamine_in_bounded_memory(world, calamine_calls, kind):
    build, name, expected = BAD_FILES[kind]
    content = build()
    file = upload(content, name)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with pytest.raises(DomainError) as caught:
            pre_application_import(
                actor=world.users.county1_staff, county=world.county1, year=YEAR, file=file
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not isinstance(caught.value, PreApplicationImportRejected)
    assert expected in caught.value.message, caught.value.message
    assert calamine_calls == [], "refused before the reader opened the file"
    assert peak < 50 * MB, f"{kind}: peak {peak / MB:.1f} MB"


# --- every import has the job path: fee standards and receipt lists -------------------------------------


FEE_HEADERS = ["专业", "学历层次", "学费（元/年）", "住宿费（元/年）"]


def _post_as_job(client, route, data, callbacks_fixture):
    with callbacks_fixture(execute=True):
        response = client.post(reverse(route), data)
    from loanportal.imports.models import ImportJob

    job = ImportJob.objects.order_by("-pk").first()
    assert response.status_code == 302 and job is not None, response.status_code
    job.refresh_from_db()
    assert response.url == reverse(jobs.PAGES[job.kind], args=[job.pk])
    return job, client.get(response.url).content.decode()


def test_issue9_fee_standards_large_file_is_a_job_with_progress_and_errors(
    world, client_for, jobs_root, eager, django_capture_on_commit_callbacks
):
    from renewals.models import FeeStandard

    client = client_for(world.users.university1_officer)
    rows = [["化学", "本科", 4800, 1200], ["临床医学", "本科", 6200, 1200], ["统计学", "专科", 4500, 900]]
    content = workbook_bytes(_with_blank_rows(rows), headers=FEE_HEADERS)
    job, page = _post_as_job(
        client, "fee-standard-import", {"file": upload(content)}, django_capture_on_commit_callbacks
    )
    assert job.kind == "fee_standards" and job.status == ImportJobStatus.DONE, job.message
    assert (job.rows_done, job.total_rows) == (3, 3) and FeeStandard.objects.count() == 3
    assert "3 / 3 行（100%）" in page and "导入成功：3 行收费标准已保存" in page
    assert 'hx-trigger="every' not in page and "<script>" not in page  # finished: no more polling

    bad = workbook_bytes([["化学", "本科", -1, 1200], ["物理学", "本科", 4000, 1000]], headers=FEE_HEADERS)
    job, page = _post_as_job(
        client, "fee-standard-import", {"file": upload(bad)}, django_capture_on_commit_callbacks
    )
    assert job.status == ImportJobStatus.REJECTED and (job.rows_done, job.total_rows) == (2, 2)
    assert 'id="import-job-errors"' in page and "第2行" in page and "学费不能为负数" in page
    assert not FeeStandard.objects.filter(major="物理学").exists()
    # the job page is its uploader's: another university's officer gets a 404
    other = client_for(world.users.university4_officer)
    assert other.get(reverse("fee-standard-import-job", args=[job.pk])).status_code == 404


def test_issue9_receipt_list_large_file_is_a_job_with_progress_and_errors(
    world, client_for, jobs_root, eager, django_capture_on_commit_callbacks
):
    from applications.models import Application, ApplicationStatus
    from tests.factories_lifecycle import receipt_entry_open
    from tests.test_issue10_receipts import _xlsx

    receipt_entry_open(world)
    signed = [
        make_application(
            world,
            to="contract_signed",
            student={"name": name, "id_number": valid_id(world.county1.code, f"2007031{i}")},
        )
        for i, name in enumerate(["张三丰", "李四"], start=1)
    ]
    client = client_for(world.users.university1_officer)
    bad = _xlsx(
        [["回执码", "学生姓名"], [signed[0].receipt_code, "张三丰"], [signed[1].receipt_code, "王五"]]
    )
    job, page = _post_as_job(
        client, "application-receipt-import", {"file": bad}, django_capture_on_commit_callbacks
    )
    assert job.kind == "receipts" and job.status == ImportJobStatus.REJECTED, job.message
    assert (job.rows_done, job.total_rows) == (2, 2)
    assert 'id="import-job-errors"' in page and "第3行" in page and "不一致" in page
    assert not Application.objects.filter(status=ApplicationStatus.RECEIPT_ENTERED).exists()

    good = _xlsx([["回执码"], *[[a.receipt_code] for a in signed]])
    job, page = _post_as_job(
        client, "application-receipt-import", {"file": good}, django_capture_on_commit_callbacks
    )
    assert job.status == ImportJobStatus.DONE, job.message
    assert Application.objects.filter(status=ApplicationStatus.RECEIPT_ENTERED).count() == 2
    assert "2 / 2 行（100%）" in page and "已录入 2 名学生的贷款回执" in page
