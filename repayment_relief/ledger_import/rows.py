"""One ledger row (贷款台账的一行): the template's columns, the list cells, and a row → what is staged.

List columns in a cell, items separated by "；" or ";":
  利率        2024-12-21:3.05；2025-12-21:2.80           (from:annual rate in percent)
  逾期项目    本金:2025-12-20:4000.00；利息:2025-12-20:300.00
  还款计划    2026-12-20:4000.00；2028-09-20:4000.00
"""

import csv
import io
import json
import re
from decimal import Decimal, InvalidOperation

from loanportal import imports
from loanportal.imports.service import required_message, text_cell_message
from loanportal.rules import normalise_id_number

from ..ledger import FIELD_LABELS, LedgerError, ledger_parse

IMPORT_TEMPLATE = imports.Template(
    title="贷款台账",
    fields=(
        imports.Field("contract_no", "合同号", required=True, text=True),
        imports.Field("id_number", "借款人身份证号", required=True, text=True),
        imports.Field("county", "县区代码", text=True),
        imports.Field("principal", "合同金额"),
        imports.Field("school_year", "学年"),
        imports.Field("as_of", "台账日期", required=True),
        imports.Field("interest_settled_through", "利息结算至", required=True),
        imports.Field("outstanding_principal", "未还本金", required=True),
        imports.Field("penalty_accrued", "已计罚息", required=True),
        imports.Field("rates", "利率", required=True),
        imports.Field("overdue", "逾期项目"),
        imports.Field("schedule", "还款计划"),
    ),
)
HEADERS = IMPORT_TEMPLATE.headers
_SEPARATORS = re.compile(r"[；;\n]+")
_KINDS = {"本金": "principal", "利息": "interest", "principal": "principal", "interest": "interest"}
# The ledger's message names a field by its label; the first label found picks the sheet column.
_COLUMN_OF_LABEL = [
    (f"{FIELD_LABELS[key]}（{key}）", column)
    for key, column in (
        ("as_of", "as_of"),
        ("interest_settled_through", "interest_settled_through"),
        ("outstanding_principal", "outstanding_principal"),
        ("penalty_accrued", "penalty_accrued"),
        ("rates", "rates"),
        ("overdue", "overdue"),
        ("schedule", "schedule"),
        ("contract_no", "contract_no"),
    )
] + [
    (word, column)
    for word, column in (
        ("还款计划", "schedule"),
        ("逾期", "overdue"),
        ("利率", "rates"),
        ("利息结算", "interest_settled_through"),
        ("未还本金", "outstanding_principal"),
        ("罚息", "penalty_accrued"),
        ("台账日期", "as_of"),
    )
]


def _items(text: str, parts: int, column: str) -> list[list[str]]:
    items = []
    for piece in _SEPARATORS.split(text):
        piece = piece.strip()
        if not piece:
            continue
        fields = [f.strip() for f in piece.replace("：", ":").split(":")]
        if len(fields) != parts:
            raise LedgerError(f"“{piece}”格式不对", field=column)
        items.append(fields)
    return items


def _cell(value) -> str:
    return imports.cell_text(value)


def ledger_row_parse(cells: dict):
    """One sheet row → (LedgerSnapshot, extra values) or LedgerError(field=column key)."""
    try:
        rates = [
            {"from": start, "annual_rate": rate} for start, rate in _items(_cell(cells["rates"]), 2, "rates")
        ]
        overdue = []
        for kind, due, amount in _items(_cell(cells["overdue"]), 3, "overdue"):
            if kind not in _KINDS:
                raise LedgerError(f"逾期项目类别应为“本金”或“利息”，收到“{kind}”", field="overdue")
            overdue.append({"kind": _KINDS[kind], "due": due, "amount": amount})
        schedule = [
            {"due": due, "principal": amount}
            for due, amount in _items(_cell(cells["schedule"]), 2, "schedule")
        ]
    except LedgerError:
        raise
    data = {
        "contract_no": _cell(cells["contract_no"]),
        "as_of": _cell(cells["as_of"]),
        "interest_settled_through": _cell(cells["interest_settled_through"]),
        "outstanding_principal": _cell(cells["outstanding_principal"]),
        "penalty_accrued": _cell(cells["penalty_accrued"]),
        "rates": rates,
        "overdue": overdue,
        "schedule": schedule,
    }
    try:
        return ledger_parse(data)
    except LedgerError as exc:
        if exc.field is None:
            exc.field = next((column for label, column in _COLUMN_OF_LABEL if label in exc.message), None)
        raise


_REQUIRED = [(f.key, required_message(f.header)) for f in IMPORT_TEMPLATE.fields if f.required]
_TEXT_ONLY = [(f.key, text_cell_message(f.header)) for f in IMPORT_TEMPLATE.fields if f.text]
_PRINCIPAL_LIMIT = Decimal("1e10")  # LoanContract.principal: 12 digits, 2 decimals


def _json(items) -> str:
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def _principal(text: str) -> str | None:
    """A new contract's amount as text, or None when it is not a positive amount in yuan with ≤ 2 decimals."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0 or value >= _PRINCIPAL_LIMIT or value.as_tuple().exponent < -2:
        return None
    return str(value)


def _school_year(text: str) -> int | None:
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None


def ledger_row_stage(cells: dict) -> tuple[tuple | None, list[tuple[str, str]], str]:
    """One row → (the values staged for the file-wide checks and the write, or None when the row has
    errors; its errors as (field key, message), at most one per cell; its label, the contract number).

    Staged: contract_no, id_number, county, principal (text or None), school_year (int or None), as_of,
    interest_settled_through, outstanding_principal, penalty_accrued, rates, overdue, schedule (JSON)."""
    label = _cell(cells["contract_no"])
    errors: list[tuple[str, str]] = []
    seen: set = set()
    for key, message in _TEXT_ONLY:
        value = cells[key]
        if value.__class__ is float or value.__class__ is int:  # a number cell: digits already lost
            errors.append((key, message))
            seen.add(key)
    for key, message in _REQUIRED:
        value = cells[key]
        if key not in seen and (value is None or (value.__class__ is str and not value.strip())):
            errors.append((key, message))
            seen.add(key)
    try:
        snapshot = ledger_row_parse(cells)
    except LedgerError as exc:
        message = exc.message.split("：", 1)[1] if exc.message.startswith("合同") else exc.message
        if exc.field not in seen:
            errors.append((exc.field, message))
        return None, errors, label
    if errors:
        return None, errors, label
    data = snapshot.to_json()
    staged = (
        snapshot.contract_no,
        normalise_id_number(_cell(cells["id_number"])),
        _cell(cells["county"]),
        _principal(_cell(cells["principal"])),
        _school_year(_cell(cells["school_year"])),
        data["as_of"],
        data["interest_settled_through"],
        data["outstanding_principal"],
        data["penalty_accrued"],
        _json(data["rates"]),
        _json(data["overdue"]),
        _json(data["schedule"]),
    )
    return staged, errors, label


def ledger_workbook(rows: list[list]) -> bytes:
    """A ledger spreadsheet with the template's header (the download template, tests and the bench)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "贷款台账"
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ledger_csv(rows: list[list], *, encoding: str = "utf-8-sig") -> bytes:
    """The same ledger as CSV (header row first): what banks' systems export for a province-size ledger."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
