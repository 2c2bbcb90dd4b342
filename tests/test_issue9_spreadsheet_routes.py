"""Issue 9 check 5: "an exported cell starting =HYPERLINK( is text in the sheet XML — in every spreadsheet the
portal writes, including the import error reports and templates".

The spreadsheets are found, not listed: every GET route of the URL configuration (HTML and API) is requested
for every object of its model as every role, and every response that is a spreadsheet is read at the XML
level. The data holds hostile text (=HYPERLINK(…), +, -, @, tab, CR at the start) wherever a user puts text:
names and schools of a pre-application list, a booking, an audit entry, students' names, the rows of refused
imports (their error reports). A grep-level guard keeps every writer inside loanportal/exports.
"""

import ast
import pathlib
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from loanportal.audit import audit_record
from loanportal.exports import services as export_services
from loanportal.exports.models import ExportStatus
from loanportal.exports.registry import definitions_all
from loanportal.exports.workbook import XLSX_CONTENT_TYPE, SafeWorkbook
from loanportal.models import Student
from tests.factories import valid_id
from tests.factories_lifecycle import make_application
from tests.factories_preapplications import good_row, upload
from tests.test_urls_guarded import ROUTE_EXTRA_KWARGS, ROUTE_OBJECTS, ROUTES, api_model
from tests.xlsx_inspect import Book

PAYLOAD = '=HYPERLINK("http://x","y")'
HOSTILE = [PAYLOAD, "+1+2", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
STRING_KINDS = ("s", "inlineStr", "str")
ROOT = pathlib.Path(__file__).resolve().parent.parent
APP_PACKAGES = ("loanportal", "applications", "renewals", "repayment_relief", "deadlines")


def _sheet(rows) -> bytes:
    """An upload as a clerk's spreadsheet holds it: every value a text cell (no formula in the input)."""
    book = SafeWorkbook()
    sheet = book.add_sheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            book.value(sheet, r, c, value)
    return book.close()


def _hostile_data(world, django_capture_on_commit_callbacks):
    """Hostile text in every place a user writes text that a spreadsheet shows, and one ready export of
    every registered definition (approved when personal)."""
    from applications.models import PreApplication
    from applications.rules.preapplications import HEADERS
    from applications.services.preapplications import (
        PreApplicationImportRejected,
        pre_application_import,
    )
    from applications.services.summaries import county_summary_generate
    from tests.factories_intake import DAY, booking_on_day

    staff, manager = world.users.county1_staff, world.users.county1_manager
    application = make_application(world)
    Student.objects.filter(pk=application.student_id).update(name=PAYLOAD)
    for index, value in enumerate(HOSTILE):
        PreApplication.objects.create(
            year=2026,
            county=world.county1,
            name=value,
            id_number=valid_id(world.county1.code, f"200801{index + 10:02d}"),
            basis="national_grant",
            high_school=value,
            phone="13800001234",
            note=value,
            source="manual",
            created_by=staff,
        )
    site = booking_on_day(world.county1, name=PAYLOAD).site
    audit_record(actor=manager, action="test.hostile", object_type="x", object_repr=PAYLOAD)
    # a refused pre-application list: its error report names each row by the (hostile) name typed in it
    rows = [good_row(姓名=value, 高中学校=value, 备注=value, 联系电话="abc") for value in HOSTILE]
    with pytest.raises(PreApplicationImportRejected):
        pre_application_import(
            actor=staff, county=world.county1, year=2026, file=upload(_sheet([list(HEADERS), *rows]))
        )
    # a refused bank status sheet: its error report names the rows by the contract numbers typed in it
    from applications.services.yearend import (
        BANK_IMPORT_TEMPLATE,
        BankStatusImportRejected,
        bank_status_import,
    )

    bank_rows = [[value, value, "已放款", 1, 1, 0, "2026-11-15", value] for value in HOSTILE]
    with pytest.raises(BankStatusImportRejected):
        bank_status_import(
            actor=world.users.bank_officer,
            file=upload(_sheet([list(BANK_IMPORT_TEMPLATE.headers), *bank_rows]), name="银行.xlsx"),
        )
    summary = county_summary_generate(actor=staff, county=world.county1, year=2026)
    params = {
        "appointments_day": {"site": str(site.pk), "day": DAY.isoformat()},
        "intake_warning_daily": {"county": str(world.county1.pk)},
        "intake_warning_weekly": {"county": str(world.county1.pk)},
        "audit_log": {"object_repr": "HYPERLINK"},
        "county_progress": {"year": "2026"},
        "county_summary": {"summary": str(summary.pk)},
        "public_notice": {"notice": "999999"},
    }
    for definition in definitions_all():
        requester, approver = manager, world.users.city1_manager
        if manager.role not in definition.roles:
            requester, approver = world.users.university1_officer, world.users.university1_manager
        if requester.role not in definition.roles:
            requester, approver = world.users.province_officer, world.users.province_manager
        with django_capture_on_commit_callbacks(execute=True):
            export = export_services.export_request_create(
                actor=requester,
                kind=definition.name,
                params=params.get(definition.name, {}),
                purpose="核对本单位数据",
            )
        if definition.personal:
            with django_capture_on_commit_callbacks(execute=True):
                export_services.export_approve(actor=approver, export=export)
        export.refresh_from_db()
        assert export.status == ExportStatus.READY, (definition.name, export.error)


def _get_routes():
    """(route name, is_api, url for a pk or None, model or None) for every GET route of the URL conf."""
    routes = []
    for path, entry in ROUTES:
        if path.startswith("api/"):
            actions = getattr(entry.callback, "actions", None) or {}
            cls = getattr(entry.callback, "cls", None)
            if "get" not in actions and not (cls and hasattr(cls, "get")):
                continue
            keys = re.findall(r"\(\?P<(\w+)>", path)
            if keys == ["pk"] and api_model(cls) is not None:
                routes.append(
                    (entry.name, True, lambda pk, n=entry.name: reverse(n, kwargs={"pk": pk}), api_model(cls))
                )
            elif not keys and entry.name:
                routes.append((entry.name, True, None, None))
            continue
        method, model = ROUTE_OBJECTS.get(entry.name, (None, None))
        if method != "GET" or model == "global":
            continue
        if model is None:
            routes.append((entry.name, False, None, None))
            continue
        key = re.search(r"<(?:\w+:)?(\w+)>", path).group(1)
        extra = ROUTE_EXTRA_KWARGS.get(entry.name, {})
        model = apps.get_model("loanportal.Organisation") if model == "county" else apps.get_model(model)
        routes.append(
            (
                entry.name,
                False,
                lambda pk, n=entry.name, k=key, e=extra: reverse(n, kwargs={k: pk, **e}),
                model,
            )
        )
    return routes


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _check_text_cells(book: Book, where: str) -> list[str]:
    """No formula anywhere; every formula-like text is a string cell with the quote prefix."""
    problems = []
    if book.any_formula():
        problems.append(f"{where}: an <f> element")
    for name, sheet in book.sheets.items():
        for ref, (kind, value, formula, quoted) in sheet.cells.items():
            if formula:
                problems.append(f"{where} {name}!{ref}: formula")
            if kind in STRING_KINDS and value and value[0] in "=+-@\t\r\n" and not quoted:
                problems.append(f"{where} {name}!{ref}: {value!r} without quote prefix")
    return problems


def test_issue9_check5_every_spreadsheet_route_writes_hostile_text_as_text(
    world, eager, django_capture_on_commit_callbacks, settings, tmp_path
):
    """Walk every GET route (HTML and API) for every object of its model as every role; every response that
    is a spreadsheet has no formula and holds the hostile values as quote-prefixed text cells."""
    settings.EXPORT_ROOT = str(tmp_path / "exports")
    settings.EXPORT_MAX_DOWNLOADS = 1000
    _hostile_data(world, django_capture_on_commit_callbacks)
    routes = _get_routes()
    assert len(routes) > 60
    users = list(vars(world.users).values())
    found: dict[str, list[Book]] = {}
    problems: list[str] = []
    for user in users:
        html = Client()
        html.force_login(user)
        api = APIClient()
        api.force_authenticate(user)
        for name, is_api, url_for, model in routes:
            urls = (
                [reverse(name)]
                if url_for is None
                else [url_for(o.pk) for o in model.objects.order_by("pk")[:30]]
            )
            for url in urls:
                response = (api if is_api else html).get(url)
                if response.status_code != 200 or not response.get("Content-Type", "").startswith(
                    XLSX_CONTENT_TYPE
                ):
                    continue
                book = Book(_body(response))
                found.setdefault(name, []).append(book)
                problems += _check_text_cells(book, f"{user.username} {url}")
    assert not problems, "\n".join(problems)
    # What the walk found (a floor, not the source of the walk): the templates, both error reports, the
    # exports (HTML and API download).
    expected = {
        "preapplication-template",
        "preapplication-import-errors",
        "application-receipt-template",
        "bank-status-template",
        "bank-status-import-errors",
        "relief-ledger-template",
        "renewal-import-template",
        "fee-standard-template",
        "export-download",
    }
    assert expected <= set(found), sorted(expected - set(found))
    assert any(n.startswith("api") and "download" in n for n in found), sorted(found)
    # The hostile values reached the files: every one as text in the error reports (as read from the upload:
    # a cell's surrounding whitespace is stripped on reading, so "\t=1+1" is reported as "=1+1"), the payload
    # in the exports.
    for route in ("preapplication-import-errors", "bank-status-import-errors"):
        for value in HOSTILE:
            expected_text = value.strip()
            cells = [c for book in found[route] for c in book.text_cells(expected_text)]
            assert cells, (route, value)
            assert all(kind in STRING_KINDS and quoted for _, _, kind, quoted in cells), (route, value)
    exported = [c for book in found["export-download"] for c in book.text_cells(PAYLOAD)]
    assert exported and all(kind in STRING_KINDS and quoted for _, _, kind, quoted in exported)


# --- the grep-level guard: one writer ------------------------------------------------------------------


def _modules():
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _writers_outside_exports(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "xlsxwriter"]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] == "xlsxwriter":
                found.append(f"from {node.module} import …")
            if node.module.split(".")[0] == "openpyxl" and any(
                a.name == "Workbook" or a.name == "*" for a in node.names
            ):
                found.append(f"from {node.module} import Workbook")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "Workbook":
                owner = func.value
                if isinstance(owner, ast.Name) and owner.id in ("openpyxl", "xlsxwriter"):
                    found.append(f"{owner.id}.Workbook(")
    return [f"{path.relative_to(ROOT)}:{item}" for item in found]


def test_issue9_one_writer_no_spreadsheet_writer_outside_exports():
    """Only loanportal/exports writes spreadsheets (SafeWorkbook): no module elsewhere imports xlsxwriter
    or creates an openpyxl Workbook."""
    exports = ROOT / "loanportal" / "exports"
    offenders = [
        item for path in _modules() if exports not in path.parents for item in _writers_outside_exports(path)
    ]
    assert not offenders, offenders
    # the guard sees a writer when there is one
    seen = _writers_outside_exports(exports / "workbook.py")
    assert "loanportal/exports/workbook.py:import xlsxwriter" in seen
    assert "loanportal/exports/workbook.py:xlsxwriter.Workbook(" in seen
