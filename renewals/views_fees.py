"""Pages of the fee standards (收费标准, notice 八 by 7/15): the university's table (save every row at
once, per-row errors), its spreadsheet import and template, the yearly fee account confirmation; the
province's overview with the list of late universities. Thin: renewals.fees does the work."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deadlines.services import current_loan_year, deadline_for
from loanportal import imports
from loanportal.domain_forms import form_errors_add
from loanportal.errors import DomainError
from loanportal.exports.workbook import xlsx_response
from loanportal.imports.views import import_job_page, import_job_redirect
from loanportal.roles import PROVINCE_ROLES

from . import fee_import, fees, rules
from .forms import FeeAccountForm, UploadForm, fee_row_formset
from .models import FeeStandard


def _university_or_403(request):
    university = fees.fee_university_of(request.user)
    if university is None:
        raise PermissionDenied("只有高校经办人员可以维护本校收费标准")
    return university


def _deadline(university, year):
    try:
        return deadline_for("fee_standard_due", university, year=year)
    except DomainError:
        return None


def _university_page(
    request, *, university, year, formset=None, import_form=None, import_errors=None, account_form=None
):
    standards = FeeStandard.objects.filter(university=university, year=year).order_by("major", "level")
    account = fees.fee_account_of(university=university, year=year)
    if formset is None:
        formset = fee_row_formset(standards=standards)
    if account_form is None:
        initial = {}
        if account is not None:
            initial = {"account_name": account.account_name, "bank_name": account.bank_name}
        account_form = FeeAccountForm(initial=initial)
    return render(
        request,
        "renewals/fees.html",
        {
            "university": university,
            "year": year,
            "deadline": _deadline(university, year),
            "standards_count": standards.count(),
            "formset": formset,
            "import_form": import_form or UploadForm(),
            "import_errors": import_errors or [],
            "account": account,
            "account_masked": rules.mask_account_number(account.account_number) if account else "",
            "account_form": account_form,
            "open_items": fees.fee_obligation(university=university, year=year),
        },
    )


def fee_standard_list(request):
    """University staff: their own table; province staff: every university and the late list."""
    year = current_loan_year()
    university = fees.fee_university_of(request.user)
    if university is not None:
        return _university_page(request, university=university, year=year)
    if request.user.role not in PROVINCE_ROLES:
        raise PermissionDenied("只有高校和省级资助中心可以查看收费标准录入情况")
    return render(
        request,
        "renewals/fees_overview.html",
        {
            "year": year,
            "universities": fees.fee_overview(user=request.user, year=year),
            "late": fees.late_fee_universities(user=request.user, year=year),
        },
    )


@require_POST
def fee_standard_save(request):
    university = _university_or_403(request)
    year = current_loan_year()
    formset = fee_row_formset(data=request.POST)
    if "add_rows" in request.POST:
        return _university_page(request, university=university, year=year, formset=formset)
    if not formset.is_valid():
        messages.error(request, "表格数据不完整，请刷新页面后重新填写")
        return _university_page(request, university=university, year=year, formset=formset)
    typed = [form for form in formset.forms if not form.is_blank()]
    rows = [
        fees.FeeRow(
            pk=form.cleaned_data.get("pk"),
            major=form.cleaned_data.get("major") or "",
            level=form.cleaned_data.get("level") or "",
            tuition=form.cleaned_data.get("tuition") or "",
            accommodation=form.cleaned_data.get("accommodation") or "",
            delete=bool(form.cleaned_data.get("DELETE")),
        )
        for form in typed
    ]
    try:
        counts = fees.fee_standards_save(actor=request.user, university=university, year=year, rows=rows)
    except fees.FeeTableRejected as exc:
        for index, errors in exc.errors.items():
            for field, message in errors.items():
                typed[index].add_error(field, message)
                widget = typed[index].fields[field].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
        messages.error(request, exc.message)
        return _university_page(request, university=university, year=year, formset=formset)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _university_page(request, university=university, year=year, formset=formset)
    messages.success(
        request,
        f"收费标准已保存：新增 {counts['created']} 行，修改 {counts['updated']} 行，删除 {counts['deleted']} 行",
    )
    return redirect("fee-standard-list")


@require_POST
def fee_standard_import(request):
    university = _university_or_403(request)
    year = current_loan_year()
    form = UploadForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        started = import_job_redirect(
            request,
            kind="fee_standards",
            year=year,
            file=form.cleaned_data["file"],
            page="fee-standard-import-job",
        )
        if started is not None:
            return started
        try:
            count = fee_import.fee_standard_import(
                actor=request.user, university=university, year=year, file=form.cleaned_data["file"]
            )
        except imports.ImportRejected as exc:
            errors = exc.errors
            messages.error(request, exc.message)
        except DomainError as exc:
            form_errors_add(form, exc, default_field="file")
        else:
            messages.success(request, f"导入成功：{count} 行收费标准已保存")
            return redirect("fee-standard-list")
    return _university_page(request, university=university, year=year, import_form=form, import_errors=errors)


def _fee_import_job(request, pk, *, partial=False):
    _university_or_403(request)
    return import_job_page(
        request,
        pk,
        kind="fee_standards",
        title="收费标准",
        status_url="fee-standard-import-job-status",
        back_url="fee-standard-list",
        partial=partial,
    )


def fee_standard_import_job(request, pk):
    return _fee_import_job(request, pk)


def fee_standard_import_job_status(request, pk):
    return _fee_import_job(request, pk, partial=True)


def fee_standard_template(request):
    _university_or_403(request)
    return xlsx_response(fee_import.fee_template_workbook(), "收费标准模板.xlsx")


@require_POST
def fee_account_confirm(request):
    university = _university_or_403(request)
    year = current_loan_year()
    form = FeeAccountForm(request.POST)
    if form.is_valid():
        try:
            fees.fee_account_confirm(
                actor=request.user, university=university, year=year, **form.cleaned_data
            )
        except (DomainError, ValidationError) as exc:
            form_errors_add(form, exc, default_field="account_number")
        else:
            messages.success(request, f"{year}年度收费账户已确认")
            return redirect("fee-standard-list")
    return _university_page(request, university=university, year=year, account_form=form)
