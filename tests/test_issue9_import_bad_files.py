"""Issue 9, protection check 4 ("Bad files"), for EACH import kind — pre-application lists, fee standards,
renewal feeds, receipt lists, bank status and ledgers — through the page AND, where the kind has one, the API:
every bad file is answered with a clear Chinese message, before the reader parses it, the database is
unchanged (no row of any table an import writes, no job, no audit event, no notification) and the memory
used stays bounded (tracemalloc peak of the whole request).

The bad files: a zip bomb, a sheet spanning the whole grid, too many zip entries, .xlsm by name, a macro
(vbaProject.bin) inside a file named .xlsx, an Excel 97–2003 .xls (by name, and renamed to .xlsx), a renamed
HTML / CSV / Word file, a DOCTYPE (entity expansion), a formula, merged cells (also as `<x:mergeCell>`), a hidden
sheet, a very hidden data sheet, an encrypted zip member, a file over the size limit — every one of them before
calamine opens the file ("One import path: checked before parsing"). A large bad file is refused on the page,
not turned into a job.
"""

import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from applications.models import (
    Application,
    BankStatusImport,
    PreApplication,
    PreApplicationImport,
)
from loanportal.models import AuditEvent, ImportJob, Notification, Student
from renewals.models import FeeStandard, RenewalDeclaration, RenewalImport
from repayment_relief.models import LedgerImport, LoanContract, LoanLedgerSnapshot
from tests.factories_preapplications import good_row, workbook_bytes, zip_bytes

YEAR = timezone.localdate().year
MB = 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# kind → (page route, user, extra form data, API path or None)
KINDS = {
    "pre_applications": (
        "preapplication-import",
        "county1_staff",
        {"year": YEAR},
        "/api/v1/pre-applications/import/",
    ),
    "fee_standards": ("fee-standard-import", "university1_officer", {}, None),
    "renewals": ("renewal-import", "university1_officer", {}, "/api/v1/renewals/import/"),
    "receipts": ("application-receipt-import", "university1_officer", {}, None),
    "bank_status": ("bank-status-import", "bank_officer", {"go": "1"}, "/api/v1/bank-status/import/"),
    "ledger": ("relief-ledger-import", "bank_officer", {"go": "1"}, "/api/v1/ledger-imports/"),
}
WRITTEN = (
    PreApplication,
    PreApplicationImport,
    Student,
    Application,
    BankStatusImport,
    FeeStandard,
    RenewalImport,
    RenewalDeclaration,
    LoanContract,
    LoanLedgerSnapshot,
    LedgerImport,
    ImportJob,
    AuditEvent,
    Notification,
)


def database_state() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values_list()) for model in WRITTEN}


# --- the bad files ---------------------------------------------------------------------------------------------


def good_members() -> dict:
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([good_row()])))
    return {name: source.read(name) for name in source.namelist()}


def with_sheet(replace: str, by: str) -> bytes:
    members = good_members()
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    assert replace in sheet
    members["xl/worksheets/sheet1.xml"] = sheet.replace(replace, by, 1).encode()
    return zip_bytes(members)


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in good_members().items():
            package.writestr(name, data)
        with package.open("xl/media/image1.png", "w") as member:
            for _ in range(120):
                member.write(b"\x00" * MB)
    return buffer.getvalue()


def huge_span() -> bytes:
    return with_sheet(
        "</sheetData>",
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )


def too_many_entries() -> bytes:
    members = good_members()
    members.update({f"xl/media/x{i}.bin": b"x" for i in range(1500)})
    return zip_bytes(members)


def macro_inside() -> bytes:
    members = good_members()
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\x00" * 512
    return zip_bytes(members)


def doctype() -> bytes:
    members = good_members()
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        "<worksheet",
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet',
        1,
    ).encode()
    return zip_bytes(members)


def formula() -> bytes:
    return with_sheet(
        '<c r="A2" t="inlineStr">',
        '<c r="A2" t="str"><f>HYPERLINK("http://x","y")</f><v>y</v></c><c r="Z2" t="inlineStr">',
    )


def merged() -> bytes:
    return with_sheet(
        "</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="A2:B2"/></mergeCells>'
    )


def merged_prefixed() -> bytes:
    x = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return with_sheet(
        "</sheetData>", f'</sheetData><x:mergeCells {x} count="1"><x:mergeCell ref="A2:B2"/></x:mergeCells>'
    )


def very_hidden_data_sheet() -> bytes:
    def extra(workbook):
        workbook.create_sheet("说明")  # a visible sheet, so the workbook stays valid
        workbook["名单"].sheet_state = "veryHidden"

    return workbook_bytes([good_row()], extra=extra)


def hidden_sheet() -> bytes:
    def extra(workbook):
        secret = workbook.create_sheet("隐藏页")
        secret.append(["x"])
        secret.sheet_state = "hidden"

    return workbook_bytes([good_row()], extra=extra)


def encrypted_member() -> bytes:
    data = bytearray(workbook_bytes([good_row()]))
    # set the "encrypted" flag (bit 0) of every local header and central directory entry
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x1
            start += 4
    return bytes(data)


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * (MB // 2)

# name → (build, file name, content type, words the message must hold); each refused before calamine opens it
BAD = {
    "zip bomb": (zip_bomb, "名单.xlsx", XLSX, "已拒绝"),
    "whole-grid span": (huge_span, "名单.xlsx", XLSX, "使用范围过大"),
    "too many entries": (too_many_entries, "名单.xlsx", XLSX, "部件"),
    "xlsm by name": (lambda: workbook_bytes([good_row()]), "名单.xlsm", XLSX, "宏"),
    "macro inside xlsx": (macro_inside, "名单.xlsx", XLSX, "宏"),
    "xls": (lambda: OLE, "名单.xls", "application/vnd.ms-excel", "另存为"),
    "xls renamed xlsx": (lambda: OLE, "名单.xlsx", XLSX, "另存为"),
    "renamed html": (
        lambda: b"<html><body>" + b"x" * MB + b"</body></html>",
        "名单.xlsx",
        XLSX,
        "不是Excel",
    ),
    "renamed docx": (
        lambda: zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>" * 1000}),
        "名单.xlsx",
        XLSX,
        "不是Excel",
    ),
    "doctype": (doctype, "名单.xlsx", XLSX, "已损坏"),
    "formula": (formula, "名单.xlsx", XLSX, "公式"),
    "encrypted member": (encrypted_member, "名单.xlsx", XLSX, "加密"),
    # issue 9 check 4 / "One import path: checked before parsing": these two were refused from calamine's metadata
    "merged cells": (merged, "名单.xlsx", XLSX, "合并单元格"),
    "merged cells x:mergeCell": (merged_prefixed, "名单.xlsx", XLSX, "合并单元格"),
    "hidden sheet": (hidden_sheet, "名单.xlsx", XLSX, "隐藏"),
    "veryHidden data sheet": (very_hidden_data_sheet, "名单.xlsx", XLSX, "隐藏的工作表：名单"),
}


@pytest.fixture(scope="module")
def bad_bytes():
    return {name: spec[0]() for name, spec in BAD.items()}


def _post(channel, world, kind, content, name, content_type, client_for, api_for):
    route, user, data, api_path = KINDS[kind]
    actor = getattr(world.users, user)
    file = SimpleUploadedFile(name, content, content_type=content_type)
    if channel == "page":
        response = client_for(actor).post(reverse(route), {**data, "file": file}, follow=True)
        return response, response.content.decode()
    response = api_for(actor).post(api_path, {**data, "file": file}, format="multipart")
    return response, response.json()["detail"]


CASES = [
    pytest.param(channel, kind, bad, id=f"{kind}-{channel}-{bad}")
    for kind, spec in KINDS.items()
    for channel in ("page", "api")
    if channel == "page" or spec[3]
    for bad in BAD
]


@pytest.mark.parametrize("channel, kind, bad", CASES)
def test_issue9_check4_bad_file_refused_in_chinese_before_parsing_database_unchanged_memory_bounded(
    world, client_for, api_for, calamine_calls, bad_bytes, channel, kind, bad
):
    """Issue 9 protection check 4 (notice 二十一 / relief measures 第二十七条: controlled transfer of data)."""
    _build, name, content_type, words = BAD[bad]
    before = database_state()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response, text = _post(channel, world, kind, bad_bytes[bad], name, content_type, client_for, api_for)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert words in text, (
        f"{kind} {channel} {bad}: {text[:300] if channel == 'api' else response.status_code}"
    )
    if channel == "api":
        assert response.status_code == 400
    else:
        assert response.redirect_chain == [] or "jobs" not in response.redirect_chain[-1][0]
    assert calamine_calls == [], "refused before the reader opened the file"
    assert database_state() == before, "a refused file leaves the database as it was"
    assert peak < 60 * MB, f"{kind} {channel} {bad}: peak {peak / MB:.1f} MB"


@pytest.mark.parametrize("kind", list(KINDS))
def test_issue9_check4_file_over_the_size_limit_is_refused_before_it_is_read(
    world, client_for, settings, kind
):
    """Check 4: over the upload limit → 文件过大, at once (no job recorded), nothing written."""
    settings.UPLOAD_MAX_BYTES = settings.LEDGER_UPLOAD_MAX_BYTES = 200 * 1024
    settings.IMPORT_JOB_MIN_BYTES = 100 * 1024
    before = database_state()
    content = zip_bytes({"[Content_Types].xml": b"x", "pad.bin": os.urandom(300 * 1024)})  # incompressible
    assert len(content) > 200 * 1024
    response, text = _post("page", world, kind, content, "名单.xlsx", XLSX, client_for, None)
    assert "文件过大" in text
    assert database_state() == before


@pytest.mark.parametrize("bad", ["xls", "xls renamed xlsx", "renamed html", "xlsm by name"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_issue9_check4_large_bad_file_is_refused_on_the_page_not_made_a_job(
    world, client_for, settings, tmp_path, bad_bytes, kind, bad
):
    """A file the name, type and magic-byte checks refuse is not saved as a background job: the page says
    why at once (before, a 1 MB renamed file became a job that failed later)."""
    settings.IMPORT_JOB_ROOT = str(tmp_path)
    settings.IMPORT_JOB_MIN_BYTES = 1
    _build, name, content_type, words = BAD[bad]
    response, text = _post("page", world, kind, bad_bytes[bad], name, content_type, client_for, None)
    assert words in text or (kind == "ledger" and "只接受" in text), text[:200]
    assert ImportJob.objects.count() == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", [kind for kind, spec in KINDS.items() if spec[3]])
def test_issue9_api_large_file_is_a_job_and_a_large_bad_file_is_refused_at_once(
    world, api_for, settings, tmp_path, bad_bytes, kind
):
    """ "Large files as jobs with a progress bar" through the API too (before: only the ledger's endpoint made
    a job; the pre-application, bank status and renewal endpoints imported any size in the request): 202
    with the job and its page; a large .xls is still a 400 at once, no job."""
    from loanportal.imports import jobs

    settings.IMPORT_JOB_ROOT = str(tmp_path)
    settings.IMPORT_JOB_MIN_BYTES = 1
    _route, user, data, api_path = KINDS[kind]
    api = api_for(getattr(world.users, user))
    refused = api.post(
        api_path,
        {
            **data,
            "file": SimpleUploadedFile("名单.xls", bad_bytes["xls"], content_type="application/vnd.ms-excel"),
        },
        format="multipart",
    )
    assert refused.status_code == 400 and "另存为" in refused.json()["detail"]
    assert not ImportJob.objects.exists()
    accepted = api.post(
        api_path,
        {**data, "file": SimpleUploadedFile("名单.xlsx", workbook_bytes([good_row()]), content_type=XLSX)},
        format="multipart",
    )
    assert accepted.status_code == 202, accepted.content
    job = ImportJob.objects.get()
    assert (job.kind, job.created_by) == (kind, getattr(world.users, user))
    assert accepted.json() == {
        "job": job.pk,
        "status": "queued",
        "url": reverse(jobs.PAGES[kind], args=[job.pk]),
    }


TEMPLATES = {
    "pre_applications": "preapplication-template",
    "fee_standards": "fee-standard-template",
    "renewals": "renewal-import-template",
    "receipts": "application-receipt-template",
    "bank_status": "bank-status-template",
    "ledger": "relief-ledger-template",
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_issue9_every_kind_offers_its_template_and_the_template_passes_its_own_checks(
    world, client_for, kind
):
    """ "Headers matched to the template": each kind's template downloads as .xlsx and, sent back unfilled,
    passes the file checks and the header match — refused, if at all, for its rows, never for its file."""
    route, user, data, _api = KINDS[kind]
    client = client_for(getattr(world.users, user))
    template = client.get(reverse(TEMPLATES[kind]))
    assert template.status_code == 200 and template.content.startswith(b"PK\x03\x04")
    file = SimpleUploadedFile("模板.xlsx", template.content, content_type=XLSX)
    text = client.post(reverse(route), {**data, "file": file}, follow=True).content.decode()
    refusals = (
        "表头不符合模板",
        "文件不是Excel工作簿",
        "文件已损坏",
        "工作表中有公式",
        "不接受含宏的工作簿（",
        "工作簿含有隐藏的工作表",
    )
    for refusal in (*refusals, "中有合并单元格（如", "工作表的使用范围过大", "不是普通的 .xlsx"):
        assert refusal not in text, f"{kind}: the portal's own template refused: {refusal}"
