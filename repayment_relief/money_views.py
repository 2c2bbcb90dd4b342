"""HTML pages of relief money (救助资金): 附件6 check, the fund's accounts, disbursement batches, the bank's
ledger import. Thin: selectors for reads, services for writes, the buttons from the *_actions_for
selectors; errors through loanportal.domain_forms."""

from decimal import Decimal
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from loanportal.domain_forms import form_errors_add, message_error
from loanportal.errors import DomainError
from loanportal.exports.workbook import xlsx_response
from loanportal.imports import UPLOAD_FIELD_ERRORS
from loanportal.imports.selectors import import_job_get
from loanportal.imports.views import import_job_redirect
from loanportal.models import Organisation
from loanportal.roles import OrgKind, Role

from . import bank_amounts, disbursements, funds, money_selectors, states
from .case_selectors import relief_cases_visible_to
from .categories import priority_label
from .ledger_import import LedgerImportRejected, ledger_file_precheck, ledger_import, ledger_template_workbook
from .models import PART_LABELS, PARTS, BankAmountStatus, FundAccountKind, LoanContract

PROVINCE = frozenset({Role.PROVINCE_OFFICER, Role.PROVINCE_MANAGER})
BANK = frozenset({Role.BANK_OFFICER})
MONEY_READERS = PROVINCE | BANK


def _roles(allowed, what="救助资金"):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in allowed:
                raise PermissionDenied(f"您的角色无权使用{what}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


readers = _roles(MONEY_READERS)
province_only = _roles(PROVINCE)
bank_only = _roles(BANK)


def _tabs(request) -> dict:
    role = request.user.role
    return {"is_province": role in PROVINCE, "is_bank": role in BANK}


# --- ledger import (bank) ---------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label="台账文件（.csv 或 .xlsx）",
        error_messages=UPLOAD_FIELD_ERRORS | {"required": "请选择要导入的台账文件（.csv 或 .xlsx）"},
    )


@bank_only
def ledger_import_page(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    rejected = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            ledger_file_precheck(upload)
            started = import_job_redirect(  # a big file always goes to a job
                request,
                kind="ledger",
                year=timezone.localdate().year,
                file=upload,
                page="relief-ledger-import-job",
                precheck=None,  # ledger_file_precheck above (.csv too, the ledger's own size limit)
            )
            if started is not None:
                return started
            batch = ledger_import(actor=request.user, file=upload)
        except LedgerImportRejected as exc:
            rejected = exc.batch
            form.add_error(None, exc.message)
        except DomainError as exc:
            form_errors_add(form, exc, default_field="file")
        else:
            messages.success(
                request, f"台账导入成功：{batch.row_count} 个合同，其中新建合同 {batch.contracts_created} 个"
            )
            return redirect("relief-ledger-import")
    batches = money_selectors.ledger_imports_visible_to(user=request.user)[:20]
    return render(
        request,
        "relief_money/ledger_import.html",
        {
            "form": form,
            "rejected": rejected,
            "batches": batches,
            "tab": "ledger",
            "ledger_max_mb": settings.LEDGER_UPLOAD_MAX_BYTES // (1024 * 1024),
            **_tabs(request),
        },
    )


@bank_only
def ledger_template(request):
    return xlsx_response(ledger_template_workbook(), "贷款台账导入模板.xlsx")


def _job(request, pk):
    return import_job_get(user=request.user, pk=pk, kind="ledger")


@bank_only
def ledger_import_job(request, pk):
    return render(
        request,
        "relief_money/ledger_import_job.html",
        {
            "job": _job(request, pk),
            "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS,
            **_tabs(request),
        },
    )


@bank_only
def ledger_import_job_status(request, pk):
    return render(
        request,
        "relief_money/_ledger_import_job_status.html",
        {"job": _job(request, pk), "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS},
    )


# --- 附件6 ------------------------------------------------------------------------------------------------


def _line_rows(user, lines):
    rows = []
    for line in lines:
        comparison = money_selectors.bank_amount_comparison(line)
        rows.append(
            {
                "line": line,
                "parts": comparison,
                "differs": any(c.difference not in (None, Decimal("0.00")) for c in comparison),
                "actions": money_selectors.bank_amount_actions_for(user, line),
            }
        )
    return rows


@readers
def bank_amount_list(request):
    status = request.GET.get("status", "")
    lines = money_selectors.bank_amounts_visible_to(user=request.user)
    if status in BankAmountStatus.values:
        lines = lines.filter(status=status)
    page = Paginator(lines, 50).get_page(request.GET.get("page"))
    pending = []
    if request.user.role in BANK:
        entered = set(
            money_selectors.bank_amounts_visible_to(user=request.user).values_list("case_id", "contract_id")
        )
        cases = (
            relief_cases_visible_to(user=request.user)
            .filter(status=states.HANDED_OVER)
            .prefetch_related("contracts")
            .select_related("amount_freeze")
            .order_by("case_no")
        )
        for case in cases[:200]:
            for contract in case.contracts.all():
                if (case.pk, contract.pk) not in entered:
                    pending.append((case, contract))
    return render(
        request,
        "relief_money/bank_amounts.html",
        {
            "page": page,
            "rows": _line_rows(request.user, page),
            "parts": [(p, PART_LABELS[p]) for p in PARTS],
            "amount_parts": [(p, PART_LABELS[p]) for p in PARTS[:-1]],
            "status": status,
            "status_choices": [("", "全部"), *BankAmountStatus.choices],
            "pending": pending,
            "tab": "annex6",
            **_tabs(request),
        },
    )


@require_POST
@bank_only
def bank_amount_enter(request):
    cases = relief_cases_visible_to(user=request.user)
    case = get_object_or_404(cases, pk=_int(request.POST.get("case")))
    contract = get_object_or_404(
        LoanContract.objects.filter(relief_cases=case), pk=_int(request.POST.get("contract"))
    )
    try:
        bank_amounts.bank_amount_enter(
            actor=request.user,
            case=case,
            contract=contract,
            values={part: request.POST.get(part, "")[:20] for part in PARTS},
        )
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已填报 {case.case_no} · 合同 {contract.contract_no} 的救助金额")
    return redirect("relief-bank-amounts")


@require_POST
@bank_only
def bank_amounts_import(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要导入的附件6表格（.xlsx）")
        return redirect("relief-bank-amounts")
    try:
        count = bank_amounts.bank_amounts_import(actor=request.user, file=form.cleaned_data["file"])
    except DomainError as exc:
        errors = getattr(exc, "errors", None)
        detail = "；".join(f"第{e.row}行{e.header}：{e.message}" for e in (errors or [])[:10])
        messages.error(request, f"{exc.message}{'：' + detail if detail else ''}")
    else:
        messages.success(request, f"附件6导入成功：{count} 行")
    return redirect("relief-bank-amounts")


def _int(value) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


@require_POST
@province_only
def bank_amount_accept(request, pk):
    line = money_selectors.bank_amount_get(user=request.user, pk=pk)
    try:
        bank_amounts.bank_amount_accept(actor=request.user, line=line)
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已确认 {line.case.case_no} · 合同 {line.contract.contract_no} 的银行金额")
    return redirect("relief-bank-amounts")


@require_POST
@province_only
def bank_amount_return(request, pk):
    line = money_selectors.bank_amount_get(user=request.user, pk=pk)
    try:
        bank_amounts.bank_amount_return(
            actor=request.user, line=line, question=request.POST.get("reason", "")[:1000]
        )
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已退回银行：{line.case.case_no} · 合同 {line.contract.contract_no}")
    return redirect("relief-bank-amounts")


# --- the fund ---------------------------------------------------------------------------------------------


class MovementForm(forms.Form):
    amount = forms.DecimalField(
        label="金额（元）", max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    document = forms.CharField(label="凭证/文号", max_length=100)
    note = forms.CharField(label="摘要", max_length=150, required=False)


class ReturnForm(MovementForm):
    borrower_name = forms.CharField(label="返还人姓名", max_length=50)


@province_only
def fund_page(request):
    accounts = {(a.kind, a.county_id): a for a in money_selectors.fund_accounts_visible_to(user=request.user)}
    rows = [
        (FundAccountKind.PROVINCIAL_RESERVE, None, accounts.get((FundAccountKind.PROVINCIAL_RESERVE, None)))
    ]
    for county in Organisation.objects.filter(kind=OrgKind.COUNTY, is_active=True).order_by("code"):
        for kind in (FundAccountKind.COUNTY_SURPLUS, FundAccountKind.COUNTY_FINANCE):
            rows.append((kind, county, accounts.get((kind, county.pk))))
    entries = money_selectors.fund_entries_visible_to(user=request.user)[:30]
    return render(
        request,
        "relief_money/funds.html",
        {
            "rows": [
                {"kind": kind, "label": FundAccountKind(kind).label, "county": county, "account": account}
                for kind, county, account in rows
            ],
            "entries": entries,
            "kinds": FundAccountKind,
            "tab": "funds",
            **_tabs(request),
        },
    )


@require_POST
@province_only
def fund_move(request):
    """资金拨入 / 县级财政应筹 / 县级财政到位 on the account named by kind (+ county)."""
    kind = request.POST.get("account_kind", "")
    if kind not in FundAccountKind.values:
        messages.error(request, "请选择账户")
        return redirect("relief-funds")
    county = None
    if kind != FundAccountKind.PROVINCIAL_RESERVE:
        county = get_object_or_404(Organisation, kind=OrgKind.COUNTY, pk=_int(request.POST.get("county")))
    form = MovementForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[f].label}：{e[0]}" for f, e in form.errors.items()))
        return redirect("relief-funds")
    d = form.cleaned_data
    try:
        if kind == FundAccountKind.COUNTY_FINANCE and request.POST.get("kind") == "demand":
            funds.fund_finance_demand(actor=request.user, county=county, **d)
        elif kind == FundAccountKind.COUNTY_FINANCE:
            funds.fund_finance_arrival(actor=request.user, county=county, **d)
        else:
            account = funds.fund_account_ensure(kind=kind, county=county)
            funds.fund_deposit(actor=request.user, account=account, **d)
    except DomainError as exc:
        message_error(request, exc)
    else:
        where = f"{county.name} · " if county else ""
        messages.success(
            request, f"已记账：{where}{FundAccountKind(kind).label} {d['amount']} 元（{d['document']}）"
        )
    return redirect("relief-funds")


@require_POST
@province_only
def fund_return(request):
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[f].label}：{e[0]}" for f, e in form.errors.items()))
        return redirect("relief-funds")
    try:
        funds.fund_return_record(actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, "已登记返还代偿资金，计入省级账户")
    return redirect("relief-funds")


# --- disbursements ----------------------------------------------------------------------------------------


@readers
def disbursement_list(request):
    batches = money_selectors.disbursements_visible_to(user=request.user)
    preview = money_selectors.disbursement_preview() if request.user.role in PROVINCE else None
    year = timezone.localdate().year
    used = batches.filter(year=year).count() if preview is not None else 0
    paid = waiting = []
    if preview is not None:
        paid = [(c, s, p, priority_label(c.category)) for c, s, p in preview.paid]
        waiting = [(c, s, priority_label(c.category)) for c, s in preview.waiting]
    return render(
        request,
        "relief_money/disbursements.html",
        {
            "batches": batches,
            "preview": preview,
            "paid": paid,
            "waiting": waiting,
            "year": year,
            "used": used,
            "tab": "disbursements",
            **_tabs(request),
        },
    )


@require_POST
@province_only
def disbursement_prepare(request):
    try:
        batch = disbursements.disbursement_prepare(actor=request.user)
    except DomainError as exc:
        message_error(request, exc)
        return redirect("relief-disbursements")
    messages.success(request, f"已编制{batch}，请另一位省中心负责人审批")
    return redirect("relief-disbursement-detail", batch.pk)


@readers
def disbursement_detail(request, pk):
    batch = money_selectors.disbursement_get(user=request.user, pk=pk)
    return render(
        request,
        "relief_money/disbursement_detail.html",
        {
            "batch": batch,
            "items": list(batch.items.all()),
            "actions": money_selectors.disbursement_actions_for(request.user, batch),
            "tab": "disbursements",
            **_tabs(request),
        },
    )


@require_POST
@readers
def disbursement_approve(request, pk):
    batch = money_selectors.disbursement_get(user=request.user, pk=pk)
    try:
        disbursements.disbursement_approve(
            actor=request.user, batch=batch, document=request.POST.get("document", "")[:100]
        )
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已审批{batch}，资金已从专账划出，待银行确认入账")
    return redirect("relief-disbursement-detail", batch.pk)


@require_POST
@readers
def disbursement_confirm(request, pk):
    batch = money_selectors.disbursement_get(user=request.user, pk=pk)
    try:
        disbursements.disbursement_confirm(actor=request.user, batch=batch)
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已确认{batch}入账，并在系统中标记各笔贷款")
    return redirect("relief-disbursement-detail", batch.pk)


urlpatterns = [
    path("relief/ledger/import/", ledger_import_page, name="relief-ledger-import"),
    path("relief/ledger/template.xlsx", ledger_template, name="relief-ledger-template"),
    path("relief/ledger/import/jobs/<int:pk>/", ledger_import_job, name="relief-ledger-import-job"),
    path(
        "relief/ledger/import/jobs/<int:pk>/status/",
        ledger_import_job_status,
        name="relief-ledger-import-job-status",
    ),
    path("relief/bank-amounts/", bank_amount_list, name="relief-bank-amounts"),
    path("relief/bank-amounts/enter/", bank_amount_enter, name="relief-bank-amount-enter"),
    path("relief/bank-amounts/import/", bank_amounts_import, name="relief-bank-amounts-import"),
    path("relief/bank-amounts/<int:pk>/accept/", bank_amount_accept, name="relief-bank-amount-accept"),
    path("relief/bank-amounts/<int:pk>/return/", bank_amount_return, name="relief-bank-amount-return"),
    path("relief/funds/", fund_page, name="relief-funds"),
    path("relief/funds/move/", fund_move, name="relief-fund-move"),
    path("relief/funds/returns/", fund_return, name="relief-fund-return"),
    path("relief/disbursements/", disbursement_list, name="relief-disbursements"),
    path("relief/disbursements/prepare/", disbursement_prepare, name="relief-disbursement-prepare"),
    path("relief/disbursements/<int:pk>/", disbursement_detail, name="relief-disbursement-detail"),
    path("relief/disbursements/<int:pk>/approve/", disbursement_approve, name="relief-disbursement-approve"),
    path("relief/disbursements/<int:pk>/confirm/", disbursement_confirm, name="relief-disbursement-confirm"),
]
