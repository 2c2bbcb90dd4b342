"""One ledger row (贷款台账的一行): the template's columns, the list cells, and a row → what is staged.

List columns in a cell, items separated by "；" or ";":
  利率        2024-12-21:3.05；2025-12-21:2.80           (from:annual rate in percent)
  逾期项目    本金:2025-12-20:4000.00；利息:2025-12-20:300.00
  还款计划    2026-12-20:4000.00；2028-09-20:4000.00
"""

import csv
import datetime
import io
import json
import re
from decimal import Decimal, InvalidOperation

from loanportal import imports
from loanportal.imports.service import number_lost_digits, required_message, text_cell_message, text_kind
from loanportal.rules import EXAMPLE_ID_NUMBER, normalise_id_number

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
_TEXT_ONLY = [
    (f.key, text_cell_message(f.header, text_kind(f.key))) for f in IMPORT_TEMPLATE.fields if f.text
]
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
        if number_lost_digits(cells[key]):  # a number cell, or 1.40102E+17 in a CSV: digits already lost
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
    """A ledger spreadsheet with the template's header (tests and the bench), through the one safe writer:
    each value as its type (a string stays text, never a formula)."""
    from loanportal.exports.templates import import_template_workbook

    return import_template_workbook(
        title="贷款台账", fields=IMPORT_TEMPLATE.fields, rows=rows, hints=HINTS, grey_rows=False
    )


# The downloadable template's example row: amounts and the school year as numbers, dates as dates.
EXAMPLE_ROW = [
    "GS2021-0107",
    EXAMPLE_ID_NUMBER,
    "620123",
    Decimal("24000.00"),
    2021,
    datetime.date(2026, 10, 31),
    datetime.date(2025, 12, 20),
    Decimal("16000.00"),
    Decimal("120.50"),
    "2024-12-21:3.05；2025-12-21:2.80",
    "本金:2025-12-20:4000.00；利息:2025-12-20:300.00",
    "2026-12-20:4000.00；2027-12-20:4000.00；2028-09-20:4000.00",
]
HINTS = {
    "contract_no": "银行合同号（文本）",
    "id_number": "18位身份证号（文本格式，末位可为X）",
    "county": "新合同填写经办县的6位县区代码（文本）",
    "principal": "新合同填写合同金额（元，数字，最多两位小数）",
    "school_year": "新合同填写学年开始年份（数字，如2021）",
    "as_of": "台账日期（日期，如2026-10-31）",
    "interest_settled_through": "利息结算至（日期）",
    "outstanding_principal": "未还本金（元，数字）",
    "penalty_accrued": "已计罚息（元，数字）",
    "rates": "起始日:年利率%，多项用“；”分隔",
    "overdue": "本金或利息:到期日:金额，多项用“；”分隔",
    "schedule": "到期日:本金，多项用“；”分隔",
}


def ledger_template_workbook() -> bytes:
    """The downloadable template (贷款台账导入模板): the header with hints and one grey example row."""
    from loanportal.exports.templates import import_template_workbook

    return import_template_workbook(
        title="贷款台账", fields=IMPORT_TEMPLATE.fields, rows=[EXAMPLE_ROW], hints=HINTS, widths=_WIDTHS
    )


_WIDTHS = {"contract_no": 16, "id_number": 22, "rates": 34, "overdue": 44, "schedule": 52}


def ledger_csv(rows: list[list], *, encoding: str = "utf-8-sig") -> bytes:
    """The same ledger as CSV (header row first): what banks' systems export for a province-size ledger."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
