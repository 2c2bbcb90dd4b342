"""Import of the bank's loan ledger spreadsheet (贷款台账导入): one row per contract, all-or-nothing.

Goes through the one import path (loanportal.imports: check_upload → read_rows via calamine → run_import).
Each row is parsed by `ledger.ledger_parse` (the same checks as the JSON and the amount command); the file
as a whole is checked with one query for the contracts and one for the borrowers: a contract number twice
in the file, a known contract whose borrower is another person, a new contract without its borrower, county,
amount or school year. Only a file without a single error is written, in one transaction: new contracts
with bulk_create, the previous latest snapshots of the contracts whose ledger is newer marked as history
(one UPDATE), the snapshots with PostgreSQL COPY, one batch row and one audit row. A refused file keeps its
error report on a refused batch. A newer snapshot replaces the older one as the contract's latest; an
older ledger arriving late is kept as history only (services.ledger_snapshot_record, the same rule).

List columns in a cell, items separated by "；" or ";":
  利率        2024-12-21:3.05；2025-12-21:2.80           (from:annual rate in percent)
  逾期项目    本金:2025-12-20:4000.00；利息:2025-12-20:300.00
  还款计划    2026-12-20:4000.00；2028-09-20:4000.00
"""

import csv
import datetime
import io
import re
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone

from loanportal import imports
from loanportal.audit import audit_record
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.imports import checks as imports_checks
from loanportal.models import Organisation, Student
from loanportal.roles import OrgKind, Role
from loanportal.rules import normalise_id_number

from .ledger import FIELD_LABELS, LedgerError, ledger_parse
from .models import LedgerImport, LoanContract, LoanLedgerSnapshot

ROLES = frozenset({Role.BANK_OFFICER})

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


def _require_bank(actor) -> None:
    if getattr(actor, "role", None) not in ROLES:
        raise PermissionDeniedError("只有银行经办人员可以导入贷款台账")


def ledger_import(*, actor, file, progress=None) -> LedgerImport:
    """Import the bank's ledger spreadsheet (贷款台账导入): all rows or none (see the module docstring).

    Raises DomainError for a bad file, LedgerImportRejected (carrying the refused batch) for row errors."""
    _require_bank(actor)
    file_name = imports_checks.file_name_of(file)
    extra_of: dict[int, dict] = {}

    def validate_row(row: imports.Row) -> imports.RowResult:
        cells = row.cells
        label = _cell(cells["contract_no"])
        errors = []
        snapshot = None
        try:
            snapshot = ledger_row_parse(cells)
        except LedgerError as exc:
            message = exc.message.split("：", 1)[1] if exc.message.startswith("合同") else exc.message
            errors.append((exc.field, message))
        extra = {
            "id_number": normalise_id_number(_cell(cells["id_number"])),
            "county": _cell(cells["county"]),
            "principal": _cell(cells["principal"]),
            "school_year": _cell(cells["school_year"]),
        }
        extra_of[row.number] = extra
        return imports.RowResult({"snapshot": snapshot, **extra}, errors, label=label)

    def check_rows(accepted) -> list[tuple[int, str, str]]:
        return _check_together(accepted)

    def write(accepted):
        return _write(actor=actor, file_name=file_name, accepted=accepted)

    try:
        outcome = imports.run_import(
            file=file,
            template=IMPORT_TEMPLATE,
            validate_row=validate_row,
            check_rows=check_rows,
            write=write,
            empty_message="台账中没有合同数据（第2行起为数据行）",
            progress=progress,
        )
    except imports.ImportRejected as exc:
        errors = [error.as_dict() for error in exc.errors]
        batch = _record_rejected(actor=actor, file_name=file_name, rows=exc.rows, errors=errors)
        raise LedgerImportRejected(batch=batch, errors=errors) from None
    return outcome.result


class LedgerImportRejected(DomainError):
    """The ledger has row errors: nothing imported; `batch` holds the report."""

    def __init__(self, *, batch: LedgerImport, errors: list[dict]):
        super().__init__(f"台账中有{len(errors)}处错误，未导入任何数据；请按错误报告修改后重新导入")
        self.batch = batch
        self.errors = errors


def ledger_import_job(*, job, file, progress) -> tuple[str, int | None, str]:
    """The body of a background ledger import (loanportal.imports.jobs kind "ledger")."""
    try:
        batch = ledger_import(actor=job.created_by, file=file, progress=progress)
    except LedgerImportRejected as exc:
        return "rejected", exc.batch.pk, exc.message
    except DomainError as exc:
        return "rejected", None, exc.message
    return (
        "done",
        batch.pk,
        f"导入成功：{batch.row_count} 个合同的台账，新建合同 {batch.contracts_created} 个",
    )


def _with_values(queryset, column: str, values: list):
    """`column = ANY(%s)` (one array parameter) on PostgreSQL; chunks of `__in` elsewhere."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        where = f"{table}.{connection.ops.quote_name(column)} = ANY(%s)"  # names from the model
        yield queryset.extra(where=[where], params=[values])  # noqa: S610
        return
    for start in range(0, len(values), 5000):
        yield queryset.filter(**{f"{column}__in": values[start : start + 5000]})


def _check_together(accepted) -> list[tuple[int, str, str]]:
    problems = []
    first_row_of: dict[str, int] = {}
    for row, values in accepted:
        snapshot = values["snapshot"]
        if snapshot is None:
            continue
        first = first_row_of.setdefault(snapshot.contract_no, row.number)
        if first != row.number:
            problems.append(
                (row.number, "contract_no", f"合同号与第{first}行重复，一个合同一次只导入一份台账")
            )
    known = {}
    for queryset in _with_values(LoanContract.objects.all(), "contract_no", list(first_row_of)):
        for contract_no, id_number in queryset.values_list("contract_no", "borrower__id_number"):
            known[contract_no] = id_number
    new_rows = [
        (row, values)
        for row, values in accepted
        if values["snapshot"] is not None and values["snapshot"].contract_no not in known
    ]
    students = {}
    if new_rows:
        ids = list({values["id_number"] for _, values in new_rows})
        for queryset in _with_values(Student.objects.all(), "id_number", ids):
            students.update(dict(queryset.values_list("id_number", "pk")))
    counties = dict(Organisation.objects.filter(kind=OrgKind.COUNTY).values_list("code", "pk"))
    for row, values in accepted:
        snapshot = values["snapshot"]
        if snapshot is None:
            continue
        borrower = known.get(snapshot.contract_no)
        if borrower is not None:
            if borrower != values["id_number"]:
                problems.append((row.number, "id_number", "与该合同已登记的借款人身份证号不符"))
            continue
        if values["id_number"] not in students:
            problems.append(
                (row.number, "id_number", "新合同的借款人尚未在系统中登记（按身份证号未找到学生）")
            )
        if values["county"] not in counties:
            problems.append((row.number, "county", "新合同需填写经办县的6位县区代码"))
        try:
            principal = Decimal(values["principal"])
            if principal <= 0 or principal.as_tuple().exponent < -2:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append((row.number, "principal", "新合同需填写合同金额（元，最多两位小数）"))
        if not (values["school_year"].isdigit() and 2000 <= int(values["school_year"]) <= 2100):
            problems.append((row.number, "school_year", "新合同需填写学年开始年份（如 2021）"))
        values["student_pk"] = students.get(values["id_number"])
        values["county_pk"] = counties.get(values["county"])
    return problems


def _write(*, actor, file_name: str, accepted) -> LedgerImport:
    rows = [values for _, values in accepted]
    with transaction.atomic():
        created = [
            LoanContract(
                contract_no=values["snapshot"].contract_no,
                borrower_id=values["student_pk"],
                county_id=values["county_pk"],
                principal=Decimal(values["principal"]),
                school_year=int(values["school_year"]),
            )
            for values in rows
            if "student_pk" in values
        ]
        for start in range(0, len(created), 5000):  # one INSERT per 5,000 (not 5,000 savepoints)
            LoanContract.objects.bulk_create(created[start : start + 5000])
        contract_pks = {}
        latest = {}
        numbers = [values["snapshot"].contract_no for values in rows]
        for queryset in _with_values(LoanContract.objects.all(), "contract_no", numbers):
            contract_pks.update(dict(queryset.values_list("contract_no", "pk")))
        pks = list(contract_pks.values())
        for queryset in _with_values(LoanLedgerSnapshot.objects.filter(is_latest=True), "contract_id", pks):
            latest.update(dict(queryset.select_for_update().values_list("contract_id", "as_of")))
        replaced = []
        records = []
        now = timezone.now()
        for values in rows:
            snapshot = values["snapshot"]
            contract_pk = contract_pks[snapshot.contract_no]
            current = latest.get(contract_pk)
            becomes_latest = current is None or snapshot.as_of >= current
            if becomes_latest and current is not None:
                replaced.append(contract_pk)
            records.append((contract_pk, snapshot, becomes_latest))
        if replaced:
            for queryset in _with_values(
                LoanLedgerSnapshot.objects.filter(is_latest=True), "contract_id", replaced
            ):
                queryset.update(is_latest=False)
        _insert_snapshots(records, now)
        batch = LedgerImport(
            file_name=file_name,
            row_count=len(rows),
            contracts_created=len(created),
            snapshots_latest=sum(1 for _, _, latest_ in records if latest_),
            succeeded=True,
            created_by=actor,
        )
        batch.full_clean()
        batch.save()
        audit_record(
            actor=actor,
            action="ledger_import.done",
            obj=batch,
            new={"文件名": file_name, "行数": len(rows), "新建合同": len(created)},
        )
    return batch


def _json(items) -> str:
    import json

    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def _insert_snapshots(records, now: datetime.datetime) -> None:
    """COPY on PostgreSQL (one round trip, no model instances); bulk_create elsewhere. Every value was
    checked by the ledger parser; the table's constraints (one latest per contract) still hold."""
    if not records:
        return
    if connection.vendor != "postgresql":
        LoanLedgerSnapshot.objects.bulk_create(
            [
                LoanLedgerSnapshot(
                    contract_id=pk,
                    as_of=s.as_of,
                    interest_settled_through=s.interest_settled_through,
                    outstanding_principal=s.outstanding_principal,
                    penalty_accrued=s.penalty_accrued,
                    is_latest=latest,
                    **{
                        key: value
                        for key, value in s.to_json().items()
                        if key in ("rates", "overdue", "schedule")
                    },
                )
                for pk, s, latest in records
            ],
            batch_size=2000,
        )
        return
    columns = [
        "contract_id",
        "as_of",
        "interest_settled_through",
        "outstanding_principal",
        "penalty_accrued",
        "rates",
        "overdue",
        "schedule",
        "is_latest",
        "received_at",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    stamp = now.isoformat()
    for pk, s, latest in records:
        data = s.to_json()
        writer.writerow(
            [
                pk,
                data["as_of"],
                data["interest_settled_through"],
                data["outstanding_principal"],
                data["penalty_accrued"],
                _json(data["rates"]),
                _json(data["overdue"]),
                _json(data["schedule"]),
                "t" if latest else "f",
                stamp,
            ]
        )
    buffer.seek(0)
    table = connection.ops.quote_name(LoanLedgerSnapshot._meta.db_table)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.copy_expert(sql, buffer)


def _record_rejected(*, actor, file_name, rows, errors) -> LedgerImport:
    return imports.import_rejection_record(
        model=LedgerImport,
        actor=actor,
        action="ledger_import.rejected",
        file_name=file_name,
        rows=rows,
        errors=errors,
    )


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
