"""HTML views of the pre-application list (首贷预申请名单, notice 三(六)). Thin: forms, selectors, services."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from loanportal.domain_forms import form_errors_add
from loanportal.errors import DomainError
from loanportal.exports.import_reports import import_error_report_download
from loanportal.exports.services import ExportUnavailable
from loanportal.exports.workbook import xlsx_file_response, xlsx_response
from loanportal.imports.selectors import import_job_get
from loanportal.imports.views import import_job_redirect
from loanportal.pagination import CappedCountPaginator
from loanportal.registry import action_label
from loanportal.rules import mask_id_number, mask_phone, place_name
from loanportal.selectors import audit_events_for_object

from .. import states
from ..forms.preapplications import (
    PreApplicationAddForm,
    PreApplicationImportForm,
    PreApplicationRestoreForm,
    PreApplicationSearchForm,
    PreApplicationWithdrawForm,
    current_year,
)
from ..models import PreApplication, PreApplicationBasis, PreApplicationStatus
from ..selectors import preapplications as selectors
from ..services import preapplications as services
from ..services.preapplications import xlsx

PAGE_SIZE = 50
REPORT_PAGE_LIMIT = 500


def _roles(allowed, action: str = ""):
    """Refuse other roles with a 403 naming the work: the audit action's own label (loanportal.registry,
    e.g. "pre_application_import.succeeded" → 导入预申请名单), or the list as a whole."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in allowed:
                business = action_label(action) if action else "使用预申请名单"
                raise PermissionDenied(f"您的角色无权{business}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


readers = _roles(selectors.READER_ROLES)
importers = _roles(selectors.WRITER_ROLES, "pre_application_import.succeeded")


PRE_APPLICATION_COLUMNS = (
    "pk",
    "name",
    "id_number",
    "basis",
    "high_school",
    "county__name",
    "year",
    "source",
    "batch_id",
    "status",
    "phone",
)
PRE_APPLICATION_ROW = (
    '<tr><td><a href="/pre-applications/{}/">{}</a></td><td class="masked">{}</td><td>{}</td><td>{}</td>'
    '<td>{}</td><td>{}</td><td>{}</td><td><span class="badge status-badge {}">{}</span></td>'
    '<td class="masked">{}</td></tr>'
)
SOURCE_LABELS = dict(PreApplication._meta.get_field("source").choices)
BASIS_LABELS = dict(PreApplicationBasis.choices)
PRE_STATUS_LABELS = dict(PreApplicationStatus.choices)
PRE_STATUS_BADGE = {states.PRE_LISTED: "text-bg-primary", states.PRE_APPLIED: "text-bg-success"}


def _pre_application_source(source: str, batch_id) -> str:
    if source == "manual":
        return SOURCE_LABELS[source]
    if batch_id:
        return format_html('<a href="/pre-applications/imports/{}/">名单导入</a>', batch_id)
    return SOURCE_LABELS.get(source, source)


def _pre_application_rows(page) -> str:
    """The rows of the pre-application list, built in Python from plain tuples (as the intake list's)."""
    return format_html_join(
        "",
        PRE_APPLICATION_ROW,
        (
            (
                pk,
                name,
                mask_id_number(id_number),
                BASIS_LABELS.get(basis, basis),
                high_school or "—",
                place_name(county) if county else "",
                year,
                _pre_application_source(source, batch_id),
                PRE_STATUS_BADGE.get(status, "text-bg-secondary"),
                PRE_STATUS_LABELS.get(status, status),
                mask_phone(phone) or "—",
            )
            for pk, name, id_number, basis, high_school, county, year, source, batch_id, status, phone in page
        ),
    )


@readers
def pre_application_list(request):
    user = request.user
    form = PreApplicationSearchForm(
        request.GET or None, high_schools=selectors.high_schools_visible_to(user=user)
    )
    rows = selectors.pre_applications_visible_to(user=user).order_by("-year", "-pk")
    if form.is_valid():
        rows = form.filter(rows)
    page = CappedCountPaginator(
        rows.values_list(*PRE_APPLICATION_COLUMNS), PAGE_SIZE, count_source=rows.select_related(None)
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/preapplications/list.html",
        {
            "form": form,
            "page": page,
            "rows": _pre_application_rows(page),
            "can_write": user.role in selectors.WRITER_ROLES,
            "pending": selectors.pre_applications_pending_count(user=user, year=current_year()),
            "year": current_year(),
        },
    )


@readers
def pre_application_detail(request, pk):
    pre_application = selectors.pre_application_get(user=request.user, pk=pk)
    writer = request.user.role in selectors.WRITER_ROLES
    can_write = writer and pre_application.status == states.PRE_LISTED
    can_restore = writer and pre_application.status == states.PRE_WITHDRAWN
    return render(
        request,
        "applications/preapplications/detail.html",
        {
            "pre_application": pre_application,
            "withdraw_form": PreApplicationWithdrawForm() if can_write else None,
            "restore_form": PreApplicationRestoreForm() if can_restore else None,
            "audit_events": audit_events_for_object(obj=pre_application)[:50],
        },
    )


def _move_with_reason(request, pk, *, form_class, service, verb: str):
    """A pre-application moved by a clerk with a reason (撤销 / 恢复): validate, call the service, say so."""
    pre_application = selectors.pre_application_get(user=request.user, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, f"{verb}预申请必须填写原因")
        return redirect("preapplication-detail", pk=pk)
    try:
        service(actor=request.user, pre_application=pre_application, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已{verb} {pre_application.name} 的预申请")
    return redirect("preapplication-detail", pk=pk)


@require_POST
@_roles(selectors.WRITER_ROLES, "pre_application.withdrawn")
def pre_application_withdraw(request, pk):
    return _move_with_reason(
        request,
        pk,
        form_class=PreApplicationWithdrawForm,
        service=services.pre_application_withdraw,
        verb="撤销",
    )


@require_POST
@_roles(selectors.WRITER_ROLES, "pre_application.listed")
def pre_application_restore(request, pk):
    """恢复预申请: a withdrawn student back on the county's list, with a reason."""
    return _move_with_reason(
        request,
        pk,
        form_class=PreApplicationRestoreForm,
        service=services.pre_application_restore,
        verb="恢复",
    )


@_roles(selectors.WRITER_ROLES, "pre_application.create")
def pre_application_add(request):
    form = PreApplicationAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.pre_application_add(
                actor=request.user, county=request.user.organisation, **form.cleaned_data
            )
        except (ValidationError, DomainError) as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"已为 {created.name} 完成预申请（现场补录）")
            return redirect("preapplication-detail", pk=created.pk)
    return render(request, "applications/preapplications/add.html", {"form": form})


@importers
def pre_application_import(request):
    form = PreApplicationImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        started = import_job_redirect(
            request,
            kind="pre_applications",
            year=form.cleaned_data["year"],
            file=form.cleaned_data["file"],
            page="preapplication-import-job",
        )
        if started is not None:
            return started
        try:
            batch = services.pre_application_import(
                actor=request.user,
                county=request.user.organisation,
                year=form.cleaned_data["year"],
                file=form.cleaned_data["file"],
            )
        except services.PreApplicationImportRejected as exc:
            messages.error(request, exc.message)
            return redirect("preapplication-import-detail", pk=exc.batch.pk)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"导入成功：{batch.row_count} 名学生已列入{batch.year}年度预申请名单")
            return redirect("preapplication-import-detail", pk=batch.pk)
    return render(request, "applications/preapplications/import.html", {"form": form})


@readers
def pre_application_template(request):
    org = request.user.organisation
    code = org.code if org and org.kind == "county" else "620123"
    return xlsx_response(xlsx.template_workbook(county_code=code), "首贷预申请名单模板.xlsx")


@readers
def pre_application_import_list(request):
    batches = selectors.pre_application_imports_visible_to(user=request.user).order_by("-pk")
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/preapplications/import_list.html",
        {"page": page, "can_write": request.user.role in selectors.WRITER_ROLES},
    )


@readers
def pre_application_import_detail(request, pk):
    batch = selectors.pre_application_import_get(user=request.user, pk=pk)
    rows = selectors.pre_applications_visible_to(user=request.user).filter(batch=batch).order_by("pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")) if batch.succeeded else None
    return render(
        request,
        "applications/preapplications/import_detail.html",
        {
            "batch": batch,
            "page": page,
            "errors": batch.errors[:REPORT_PAGE_LIMIT],
            "errors_truncated": len(batch.errors) > REPORT_PAGE_LIMIT,
            "can_write": request.user.role in selectors.WRITER_ROLES,
        },
    )


def _import_job(request, pk):
    return import_job_get(user=request.user, pk=pk, kind="pre_applications")


@importers
def pre_application_import_job(request, pk):
    """A background import's page: the progress bar (polled with htmx) and, when finished, the outcome."""
    return render(
        request,
        "applications/preapplications/import_job.html",
        {"job": _import_job(request, pk), "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS},
    )


@importers
def pre_application_import_job_status(request, pk):
    return render(
        request,
        "applications/preapplications/_import_job_status.html",
        {"job": _import_job(request, pk), "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS},
    )


@readers
def pre_application_import_errors(request, pk):
    """The uploader's error report, through the export service (watermarked, audited, masked; no approval
    for one's own upload: loanportal.exports.import_reports). Anyone else → 404."""
    batch = selectors.pre_application_import_get(user=request.user, pk=pk)
    try:
        path, filename = import_error_report_download(
            actor=request.user, source="pre_applications", batch=batch
        )
    except ExportUnavailable as exc:
        raise Http404("错误报告仅上传人本人可以下载") from exc
    return xlsx_file_response(path, filename)


urlpatterns = [
    path("pre-applications/", pre_application_list, name="preapplication-list"),
    path("pre-applications/add/", pre_application_add, name="preapplication-add"),
    path("pre-applications/import/", pre_application_import, name="preapplication-import"),
    path(
        "pre-applications/import/jobs/<int:pk>/", pre_application_import_job, name="preapplication-import-job"
    ),
    path(
        "pre-applications/import/jobs/<int:pk>/status/",
        pre_application_import_job_status,
        name="preapplication-import-job-status",
    ),
    path("pre-applications/template.xlsx", pre_application_template, name="preapplication-template"),
    path("pre-applications/imports/", pre_application_import_list, name="preapplication-import-list"),
    path(
        "pre-applications/imports/<int:pk>/",
        pre_application_import_detail,
        name="preapplication-import-detail",
    ),
    path(
        "pre-applications/imports/<int:pk>/errors.xlsx",
        pre_application_import_errors,
        name="preapplication-import-errors",
    ),
    path("pre-applications/<int:pk>/", pre_application_detail, name="preapplication-detail"),
    path("pre-applications/<int:pk>/withdraw/", pre_application_withdraw, name="preapplication-withdraw"),
    path("pre-applications/<int:pk>/restore/", pre_application_restore, name="preapplication-restore"),
]
