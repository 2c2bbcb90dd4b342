"""HTML pages of the loan year's close (notice 八): receipt confirmation in bulk (回执确认), the bank's
status per contract and from its spreadsheet (银行审批放款), archive boxes (归档). Thin: forms, selectors,
services; the buttons come from selectors (the same role sets the transition service checks)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from loanportal.domain_forms import form_errors_add, message_error
from loanportal.errors import DomainError
from loanportal.exports.bankstatus import bank_status_template_workbook
from loanportal.exports.import_reports import import_error_report_download
from loanportal.exports.services import ExportUnavailable
from loanportal.exports.workbook import xlsx_file_response, xlsx_response
from loanportal.imports.selectors import import_job_get
from loanportal.imports.views import import_job_redirect

from .. import states
from ..forms.yearend import ArchiveBoxForm, BankStatusForm, BankStatusImportForm, ReceiptReturnForm
from ..models import ApplicationStatus
from ..selectors import yearend as selectors
from ..services import yearend as services
from ..services.lifecycle import current_loan_year
from ..services.lifecycle.transitions import calendar_organisation

PAGE_SIZE = 50
REPORT_PAGE_LIMIT = 500


def _year(request) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else current_loan_year()


def _deadline(code: str, organisation, year: int) -> str:
    from deadlines.rules import format_date
    from deadlines.services import deadline_for

    try:
        return format_date(deadline_for(code, organisation, year=year))
    except DomainError:
        return ""


# --- 回执确认 -------------------------------------------------------------------------------------


def receipt_confirmation(request):
    """The receipts the county's students' universities entered, oldest first, to confirm in bulk or send
    back one by one with a reason."""
    year = _year(request)
    rows = selectors.receipts_awaiting_confirmation(user=request.user, year=year)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/yearend/receipts.html",
        {
            "page": page,
            "year": year,
            "can_confirm": selectors.receipt_confirm_allowed(user=request.user),
            "deadline": _deadline("receipt_confirm_due", request.user.organisation, year),
            "return_form": ReceiptReturnForm(),
        },
    )


@require_POST
def receipt_confirm_bulk(request):
    if not selectors.receipt_confirm_allowed(user=request.user):
        raise PermissionDenied("只有县级学生资助管理中心可以确认回执")
    pks = [pk for pk in request.POST.getlist("application") if pk.isdigit()]
    if not pks:
        messages.error(request, "请先勾选要确认的回执")
        return redirect("receipt-confirmation")
    chosen = selectors.receipts_chosen(user=request.user, pks=pks)
    try:
        confirmed = services.receipts_confirm(actor=request.user, applications=chosen)
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已确认 {len(confirmed)} 份电子回执")
    return redirect("receipt-confirmation")


@require_POST
def receipt_return(request, pk):
    if not selectors.receipt_confirm_allowed(user=request.user):
        raise PermissionDenied("只有县级学生资助管理中心可以退回回执")
    application = selectors.receipts_chosen(user=request.user, pks=[pk])[0]
    try:
        services.receipt_return(
            actor=request.user, application=application, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已将 {application.student.name} 的回执退回高校重新录入")
    return redirect("receipt-confirmation")


# --- 银行审批放款 ----------------------------------------------------------------------------------


def _bank_writer(request):
    if not selectors.bank_status_allowed(user=request.user):
        raise PermissionDenied("只有银行经办人员或省中心经办人员可以登记银行审批放款情况")


STATUS_FILTER = [("", "全部"), *[(s, ApplicationStatus(s).label) for s in selectors.BANK_LIST_STATES]]


def bank_status_list(request):
    year = _year(request)
    status = request.GET.get("status", "")
    if status not in dict(STATUS_FILTER):
        status = ""
    query = request.GET.get("q", "")[:40]
    rows = selectors.bank_status_list(user=request.user, status=status, query=query, year=year)
    totals = selectors.bank_status_totals(user=request.user, year=year)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/yearend/bank_list.html",
        {
            "page": page,
            "year": year,
            "status": status,
            "query": query,
            "status_choices": STATUS_FILTER,
            "stat_cards": [
                (value, "待审批" if value == states.RECEIPT_CONFIRMED else label, totals.get(value, 0))
                for value, label in STATUS_FILTER
                if value
            ],
            "can_record": selectors.bank_status_allowed(user=request.user),
            "deadline": _deadline(
                "bank_approval_due", calendar_organisation(request.user, states.BANK_APPROVED), year
            ),
        },
    )


def bank_status_entry(request, pk):
    """One contract: the bank's result with the amounts to the university and the student."""
    application = selectors.bank_status_get(user=request.user, pk=pk)
    can_record = selectors.bank_status_allowed(user=request.user)
    initial = {
        "loan_amount": application.total_amount,
        "to_university": application.total_amount,
        "to_student": 0,
        "disbursed_on": timezone.localdate(),
    }
    form = BankStatusForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        _bank_writer(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.bank_status_record(
                    actor=request.user,
                    application=application,
                    result=data["result"],
                    reason=data["reason"],
                    loan_amount=data["loan_amount"],
                    to_university=data["to_university"],
                    to_student=data["to_student"],
                    disbursed_on=data["disbursed_on"],
                )
            except DomainError as exc:
                form_errors_add(form, exc)
                status = 409 if getattr(exc, "status_code", 400) == 409 else 400
            else:
                messages.success(
                    request,
                    f"已登记 {application.student.name}（合同号{application.contract_number}）的银行审批放款情况",
                )
                return redirect("bank-status-list")
        else:
            status = 400
    return render(
        request,
        "applications/yearend/bank_entry.html",
        {"application": application, "form": form, "can_record": can_record},
        status=status,
    )


def bank_status_import(request):
    _bank_writer(request)
    form = BankStatusImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        started = import_job_redirect(
            request, kind="bank_status", year=current_loan_year(), file=upload, page="bank-status-import-job"
        )
        if started is not None:
            return started
        try:
            batch = services.bank_status_import(actor=request.user, file=upload)
        except services.BankStatusImportRejected as exc:
            messages.error(request, exc.message)
            return redirect("bank-status-import-detail", pk=exc.batch.pk)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"导入成功：{batch.row_count} 个合同")
            return redirect("bank-status-import-detail", pk=batch.pk)
    batches = selectors.bank_status_imports_visible_to(user=request.user).order_by("-pk")[:10]
    return render(
        request,
        "applications/yearend/bank_import.html",
        {"form": form, "batches": batches},
        status=400 if form.errors else 200,
    )


def bank_status_template(request):
    _bank_writer(request)
    return xlsx_response(bank_status_template_workbook(), "银行审批放款情况模板.xlsx")


def bank_status_import_detail(request, pk):
    _bank_writer(request)
    batch = selectors.bank_status_import_get(user=request.user, pk=pk)
    return render(
        request,
        "applications/yearend/bank_import_detail.html",
        {
            "batch": batch,
            "errors": batch.errors[:REPORT_PAGE_LIMIT],
            "errors_truncated": len(batch.errors) > REPORT_PAGE_LIMIT,
        },
    )


def bank_status_import_errors(request, pk):
    _bank_writer(request)
    """The uploader's error report, through the export service (watermarked, audited, masked; no approval
    for one's own upload: loanportal.exports.import_reports). Anyone else → 404."""
    batch = selectors.bank_status_import_get(user=request.user, pk=pk)
    try:
        path, filename = import_error_report_download(actor=request.user, source="bank_status", batch=batch)
    except ExportUnavailable as exc:
        raise Http404("错误报告仅上传人本人可以下载") from exc
    return xlsx_file_response(path, filename)


def _import_job(request, pk):
    _bank_writer(request)
    return import_job_get(user=request.user, pk=pk, kind="bank_status")


def bank_status_import_job(request, pk):
    return render(
        request,
        "applications/yearend/bank_import_job.html",
        {"job": _import_job(request, pk), "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS},
    )


def bank_status_import_job_status(request, pk):
    return render(
        request,
        "applications/yearend/_bank_import_job_status.html",
        {"job": _import_job(request, pk), "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS},
    )


# --- 归档 -----------------------------------------------------------------------------------------


def archive_list(request):
    """The county's boxes (find one by its number), the form to register a box, and how many signed
    contracts are still unarchived."""
    year = _year(request)
    number = request.GET.get("number", "")[:40]
    can_archive = selectors.archive_allowed(user=request.user)
    form = ArchiveBoxForm(request.POST or None, initial={"year": year, "archived_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if not can_archive:
            raise PermissionDenied("只有县级学生资助管理中心可以登记档案盒")
        if form.is_valid():
            try:
                box = services.archive_box_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form_errors_add(form, exc)
                status = 409 if getattr(exc, "status_code", 400) == 409 else 400
            else:
                messages.success(request, f"已登记第{box.number}号档案盒，请勾选装入盒内的申请")
                return redirect("archive-box-detail", pk=box.pk)
        else:
            status = 400
    boxes = selectors.archive_boxes_find(user=request.user, number=number, year=None if number else year)
    return render(
        request,
        "applications/yearend/archives.html",
        {
            "boxes": Paginator(boxes, PAGE_SIZE).get_page(request.GET.get("page")),
            "year": year,
            "number": number,
            "form": form,
            "can_archive": can_archive,
            "unarchived": selectors.applications_unarchived(user=request.user, year=year).count(),
            "in_progress": selectors.applications_still_in_progress(user=request.user, year=year),
            "deadline": _deadline("archive_due", request.user.organisation, year),
        },
        status=status,
    )


def archive_box_detail(request, pk):
    box = selectors.archive_box_get(user=request.user, pk=pk)
    can_archive = (
        selectors.archive_allowed(user=request.user) and box.county_id == request.user.organisation_id
    )
    return render(
        request,
        "applications/yearend/archive_box.html",
        {
            "box": box,
            "applications": selectors.applications_in_box(user=request.user, box=box),
            "candidates": selectors.applications_unarchived(user=request.user, year=box.year).filter(
                county_id=box.county_id
            )[:500]
            if can_archive
            else [],
            "can_archive": can_archive,
        },
    )


@require_POST
def archive_box_assign(request, pk):
    box = selectors.archive_box_get(user=request.user, pk=pk)
    if not selectors.archive_allowed(user=request.user):
        raise PermissionDenied("只有县级学生资助管理中心可以归档")
    pks = [value for value in request.POST.getlist("application") if value.isdigit()]
    if not pks:
        messages.error(request, "请先勾选要装入档案盒的申请")
        return redirect("archive-box-detail", pk=pk)
    chosen = selectors.receipts_chosen(user=request.user, pks=pks)
    try:
        archived = services.archive_box_assign(actor=request.user, box=box, applications=chosen)
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已将 {len(archived)} 件申请装入第{box.number}号档案盒并归档")
    return redirect("archive-box-detail", pk=pk)


def archive_unarchived(request):
    year = _year(request)
    rows = selectors.applications_unarchived(user=request.user, year=year)
    return render(
        request,
        "applications/yearend/unarchived.html",
        {
            "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
            "year": year,
            "in_progress": selectors.applications_still_in_progress(user=request.user, year=year),
            "deadline": _deadline("archive_due", request.user.organisation, year),
        },
    )


urlpatterns = [
    path("receipts/confirm/", receipt_confirmation, name="receipt-confirmation"),
    path("receipts/confirm/bulk/", receipt_confirm_bulk, name="receipt-confirm-bulk"),
    path("receipts/<int:pk>/return/", receipt_return, name="receipt-return"),
    path("bank-status/", bank_status_list, name="bank-status-list"),
    path("bank-status/<int:pk>/", bank_status_entry, name="bank-status-entry"),
    path("bank-status/import/", bank_status_import, name="bank-status-import"),
    path("bank-status/template/", bank_status_template, name="bank-status-template"),
    path("bank-status/imports/<int:pk>/", bank_status_import_detail, name="bank-status-import-detail"),
    path("bank-status/imports/<int:pk>/errors/", bank_status_import_errors, name="bank-status-import-errors"),
    path("bank-status/import/jobs/<int:pk>/", bank_status_import_job, name="bank-status-import-job"),
    path(
        "bank-status/import/jobs/<int:pk>/status/",
        bank_status_import_job_status,
        name="bank-status-import-job-status",
    ),
    path("archives/", archive_list, name="archive-list"),
    path("archives/<int:pk>/", archive_box_detail, name="archive-box-detail"),
    path("archives/<int:pk>/assign/", archive_box_assign, name="archive-box-assign"),
    path("archives/unarchived/", archive_unarchived, name="archive-unarchived"),
]
