"""The bank's amounts (国家开发银行生源地助学贷款还款救助资金明细表, 附件6) and the province's check.

The bank enters (or imports) its amounts per case and contract; the portal's frozen figure (freeze.py)
stands beside each line with the difference per part (selectors: `bank_amount_comparison`); the province
accepts a line (frozen: it never changes again) or returns it with a question, and the bank enters it
again. One state machine, `bank_amount_transition` (BANK_AMOUNT_TRANSITIONS), row lock + audit.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from loanportal import imports
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.imports import checks as imports_checks
from loanportal.roles import Role
from loanportal.transitions import apply_transition
from loanportal.updates import model_update

from . import states
from .models import (
    BANK_AMOUNT_TRANSITIONS,
    PART_LABELS,
    PARTS,
    BankAmount,
    BankAmountStatus,
    LoanContract,
    ReliefCase,
)

ZERO = Decimal("0.00")
S = BankAmountStatus
BANK_ROLES = frozenset({Role.BANK_OFFICER})
PROVINCE_ROLES = frozenset({Role.PROVINCE_OFFICER, Role.PROVINCE_MANAGER})
AMOUNT_PARTS = PARTS[:-1]  # the five parts; the total is their sum
ENTERABLE_CASE_STATES = frozenset({states.HANDED_OVER})


def bank_amount_transition(*, line: BankAmount, to: str, actor, reason: str = "", extra: dict | None = None):
    """The one state change of a 附件6 line (entered → accepted / returned; returned → entered)."""
    return apply_transition(
        instance=line,
        to=to,
        actor=actor,
        allowed=BANK_AMOUNT_TRANSITIONS,
        reason=reason,
        reason_required_for=frozenset({S.RETURNED}),
        labels=BankAmountStatus,
        organisation=line.case.county,
        extra=extra,
        action_prefix="bank_amount",
    )


def _parts(values: dict) -> dict:
    parts = {}
    for part in AMOUNT_PARTS:
        raw = values.get(part)
        try:
            amount = Decimal(str(raw).strip()) if raw not in (None, "") else ZERO
        except (InvalidOperation, ValueError):
            raise DomainError(f"“{PART_LABELS[part]}”不是有效金额", field=part) from None
        if (
            not amount.is_finite()
            or amount < 0
            or amount.as_tuple().exponent < -2
            or amount >= Decimal("1e11")
        ):
            raise DomainError(f"“{PART_LABELS[part]}”应为不小于0、最多两位小数的金额（元）", field=part)
        parts[part] = amount.quantize(Decimal("0.01"))
    total = sum(parts.values(), ZERO)
    given = values.get("total")
    if given not in (None, ""):
        try:
            stated = Decimal(str(given).strip())
        except (InvalidOperation, ValueError):
            raise DomainError("“合计”不是有效金额", field="total") from None
        if stated != total:
            raise DomainError(f"“合计”{stated} 与各项之和 {total} 不符", field="total")
    parts["total"] = total
    return parts


@transaction.atomic
def bank_amount_enter(*, actor, case: ReliefCase, contract: LoanContract, values: dict) -> BankAmount:
    """The bank's amounts of one contract of one case (附件6): a new line, a correction of an entered one,
    or the answer to a returned one (back to entered). An accepted line is frozen (409)."""
    if getattr(actor, "role", None) not in BANK_ROLES:
        raise PermissionDeniedError("只有银行经办人员可以填报救助金额明细（附件6）")
    case = ReliefCase.objects.select_for_update().get(pk=case.pk)
    if case.status not in ENTERABLE_CASE_STATES:
        raise ConflictError(f"案件{case.case_no}尚未移交银行或已救助，不能填报救助金额")
    if not case.contracts.filter(pk=contract.pk).exists():
        raise DomainError(f"合同{contract.contract_no}不属于案件{case.case_no}", field="contract")
    parts = _parts(values)
    line = BankAmount.objects.select_for_update().filter(case=case, contract=contract).first()
    if line is None:
        line = BankAmount(case=case, contract=contract, entered_by=actor)
        line, _ = model_update(
            instance=line,
            fields=[*PARTS, "entered_by"],
            data={**parts, "entered_by": actor},
            actor=actor,
            action="bank_amount.enter",
            organisation=case.county,
            created=True,
        )
        return line
    if line.status == S.ACCEPTED:
        raise ConflictError(f"合同{contract.contract_no}的救助金额已由省中心确认，不能再修改")
    if line.status == S.RETURNED:
        line = bank_amount_transition(line=line, to=S.ENTERED, actor=actor, extra={"entered_by": actor})
    line, _ = model_update(
        instance=line,
        fields=[*PARTS, "entered_by"],
        data={**parts, "entered_by": actor},
        actor=actor,
        action="bank_amount.correct",
        organisation=case.county,
    )
    return line


def _require_province(actor) -> None:
    if getattr(actor, "role", None) not in PROVINCE_ROLES:
        raise PermissionDeniedError("只有省资助中心可以核对银行救助金额")


def bank_amount_accept(*, actor, line: BankAmount) -> BankAmount:
    """省中心确认: the bank's amounts of this line are accepted and frozen (audited)."""
    _require_province(actor)
    from django.utils import timezone

    return bank_amount_transition(
        line=line, to=S.ACCEPTED, actor=actor, extra={"decided_by": actor, "decided_at": timezone.now()}
    )


def bank_amount_return(*, actor, line: BankAmount, question: str) -> BankAmount:
    """省中心退回: the line goes back to the bank with the province's question."""
    _require_province(actor)
    from django.utils import timezone

    question = (question or "").strip()
    if not question:
        raise DomainError("退回时请写明疑问", field="question")
    return bank_amount_transition(
        line=line,
        to=S.RETURNED,
        actor=actor,
        reason=question,
        extra={"question": question[:1000], "decided_by": actor, "decided_at": timezone.now()},
    )


# --- 附件6 import (the one import path) -------------------------------------------------------------------

IMPORT_TEMPLATE = imports.Template(
    title="国家开发银行生源地助学贷款还款救助资金明细表（附件6）",
    fields=(
        imports.Field("case_no", "救助编号", required=True, text=True),
        imports.Field("contract_no", "合同号", required=True, text=True),
        imports.Field("borrower", "借款学生姓名"),
        *(imports.Field(part, PART_LABELS[part], required=True) for part in AMOUNT_PARTS),
        imports.Field("total", "合计"),
    ),
)


def bank_amounts_import(*, actor, file) -> int:
    """The bank's 附件6 as a spreadsheet: every line checked first (its case handed over, the contract the
    case's, no accepted line changed, amounts and total), then all entered in one transaction, or none."""
    if getattr(actor, "role", None) not in BANK_ROLES:
        raise PermissionDeniedError("只有银行经办人员可以导入救助金额明细（附件6）")
    imports_checks.file_name_of(file)
    cases = {c.case_no: c for c in ReliefCase.objects.filter(status__in=ENTERABLE_CASE_STATES)}
    links = set(
        ReliefCase.contracts.through.objects.filter(reliefcase__in=cases.values()).values_list(
            "reliefcase_id", "loancontract__contract_no"
        )
    )
    accepted = set(
        BankAmount.objects.filter(status=S.ACCEPTED).values_list("case__case_no", "contract__contract_no")
    )

    def validate_row(row):
        cells = {k: imports.cell_text(v) for k, v in row.cells.items()}
        errors = []
        case = cases.get(cells["case_no"])
        if case is None:
            errors.append(("case_no", "没有该救助编号的已移交银行案件"))
        elif (case.pk, cells["contract_no"]) not in links:
            errors.append(("contract_no", "该合同不属于此案件"))
        elif (cells["case_no"], cells["contract_no"]) in accepted:
            errors.append(("contract_no", "该合同的救助金额已由省中心确认，不能再修改"))
        parts = None
        try:
            parts = _parts(cells)
        except DomainError as exc:
            errors.append((exc.field, exc.message))
        return imports.RowResult(
            {"case": case, "contract_no": cells["contract_no"], "parts": parts},
            errors,
            label=cells["case_no"],
        )

    def check_rows(rows):
        seen, problems = {}, []
        for row, values in rows:
            key = (values["case"].pk if values["case"] else None, values["contract_no"])
            if key in seen:
                problems.append((row.number, "contract_no", f"与第{seen[key]}行重复"))
            seen.setdefault(key, row.number)
        return problems

    def write(rows):
        contracts = dict(
            LoanContract.objects.filter(contract_no__in=[v["contract_no"] for _, v in rows]).values_list(
                "contract_no", "pk"
            )
        )
        for _, values in rows:
            bank_amount_enter(
                actor=actor,
                case=values["case"],
                contract=LoanContract(pk=contracts[values["contract_no"]], contract_no=values["contract_no"]),
                values=values["parts"],
            )
        return len(rows)

    return imports.run_import(
        file=file, template=IMPORT_TEMPLATE, validate_row=validate_row, check_rows=check_rows, write=write
    ).result
