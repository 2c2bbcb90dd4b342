"""Pages of the export service: request an export of what a list page shows, 我的导出, 待审批导出, the
request page (progress bar polled with htmx, approve/refuse, download), and the per-county progress table."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.roles import MANAGER_ROLES

from . import selectors, services
from .definitions import PROGRESS_NOTE, PROGRESS_STAGES, PROGRESS_TOTAL, progress_rows
from .forms import ExportApproveForm, ExportRefuseForm, ExportRequestForm, ProgressYearForm
from .models import ExportStatus
from .registry import definition_get
from .workbook import XLSX_CONTENT_TYPE

PAGE_SIZE = 30


def _error_text(exc) -> str:
    return "；".join(exc.messages) if isinstance(exc, ValidationError) else exc.message


def export_new(request, kind):
    """申请导出: what the list page's filters show (its GET parameters), with a purpose."""
    params = {k: v for k, v in request.GET.items()}
    return _request_page(request, kind=kind, params=params, initial={})


def export_again(request, pk):
    """重新申请: a new request with the kind, filter and purpose of one of the user's own requests that
    was refused or whose file is used up or past its time (the old one stays as it is)."""
    export = selectors.export_get(user=request.user, pk=pk)
    if "again" not in services.export_actions(user=request.user, export=export):
        raise Http404("这份导出申请不能重新申请")
    initial = {"purpose": export.purpose, "full_numbers": export.full_numbers_requested}
    return _request_page(request, kind=export.kind, params=dict(export.params), initial=initial, again=export)


def _request_page(request, *, kind, params, initial, again=None):
    try:
        definition = services.export_definition_for(user=request.user, kind=kind)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        raise Http404 from exc
    form = ExportRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            export = services.export_request_create(
                actor=request.user,
                kind=kind,
                params=params,
                purpose=form.cleaned_data["purpose"],
                full_numbers=form.cleaned_data["full_numbers"],
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except (DomainError, ValidationError) as exc:
            form.add_error(
                getattr(exc, "field", None) if getattr(exc, "field", None) in form.fields else None,
                _error_text(exc),
            )
        else:
            messages.success(
                request,
                "已提交导出申请，等待负责人审批" if export.personal else "汇总表无需审批，正在生成",
            )
            return redirect("export-detail", pk=export.pk)
    try:
        _, summary, total = services.export_preview(user=request.user, definition=definition, params=params)
    except DomainError as exc:
        raise BadRequest(exc.message) from exc
    return render(
        request,
        "exports/new.html",
        {
            "definition": definition,
            "form": form,
            "summary": summary,
            "total": total,
            "has_numbers": definition.has_numbers and definition.personal,
            "again": again,
        },
    )


def export_list(request):
    """我的导出: the user's requests with status and progress."""
    page = Paginator(selectors.exports_requested_by(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "exports/list.html", {"page": page, "refresh_seconds": _refresh()})


def export_pending(request):
    """待审批导出: the manager's organisation's (and below) requests waiting for a decision."""
    if request.user.role not in MANAGER_ROLES:
        raise PermissionDenied("仅负责人可以审批导出")
    page = Paginator(selectors.exports_awaiting_decision(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "exports/pending.html", {"page": page})


def _detail_context(request, export) -> dict:
    actions = services.export_actions(user=request.user, export=export)
    return {
        "export": export,
        "actions": actions,
        "running": export.status in (ExportStatus.APPROVED, ExportStatus.RUNNING),
        "is_requester": export.requested_by_id == request.user.pk,
        "unavailable_reason": services.export_unavailable_reason(export),
        "filter_summary": services.export_filter_summary(export),
        "max_downloads": settings.EXPORT_MAX_DOWNLOADS,
        "refresh_seconds": _refresh(),
    }


def _refresh() -> int:
    return settings.EXPORT_PROGRESS_REFRESH_SECONDS


def export_detail(request, pk):
    export = selectors.export_get(user=request.user, pk=pk)
    context = _detail_context(request, export)
    context["approve_form"] = ExportApproveForm() if "approve" in context["actions"] else None
    context["refuse_form"] = ExportRefuseForm() if "refuse" in context["actions"] else None
    return render(request, "exports/detail.html", context)


def export_status(request, pk):
    """The status block alone (htmx polls it while the file is being written)."""
    export = selectors.export_get(user=request.user, pk=pk)
    return render(request, "exports/_status.html", _detail_context(request, export))


def _decide(request, pk, service, form_class, success):
    export = selectors.export_get(user=request.user, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写" + "、".join(str(form.fields[f].label) for f in form.errors))
        return redirect("export-detail", pk=pk)
    try:
        service(actor=request.user, export=export, **form.cleaned_data)
    except (DomainError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, success)
    return redirect("export-detail", pk=pk)


@require_POST
def export_approve(request, pk):
    return _decide(request, pk, services.export_approve, ExportApproveForm, "已批准，文件生成后申请人可下载")


@require_POST
def export_refuse(request, pk):
    return _decide(request, pk, services.export_refuse, ExportRefuseForm, "已不予批准，申请人会收到通知")


def export_download(request, pk):
    """The file, for the requester only, while ready and within its limits; anything else is a 404."""
    export = selectors.export_get(user=request.user, pk=pk)
    try:
        file_path, filename = services.export_download(actor=request.user, export=export)
    except services.ExportUnavailable as exc:
        raise Http404("导出文件不存在或已失效") from exc
    response = FileResponse(
        file_path.open("rb"), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response


def county_progress(request):
    """年度分县进度表: counts and amounts by stage per county (aggregate; exported without approval)."""
    definition = definition_get("county_progress")
    if not definition.allowed(request.user):
        raise PermissionDenied("您的角色无权查看分县进度")
    form = ProgressYearForm(request.GET or None)
    params = {"year": str(form.cleaned_data["year"])} if form.is_valid() and form.cleaned_data["year"] else {}
    rows = list(progress_rows(user=request.user, params=params))
    stages = [label for _, label in PROGRESS_STAGES] + ["已终止"]
    return render(
        request,
        "exports/progress.html",
        {
            "form": form,
            "stages": stages,
            "width": 3 + 2 * len(stages),
            "rows": [
                {"cells": row[1:4], "figures": row[4:], "total": row[2] == PROGRESS_TOTAL} for row in rows
            ],
            "note": PROGRESS_NOTE,
            "year": rows[0][0] if rows else "",
        },
    )


urlpatterns = [
    path("exports/", export_list, name="export-list"),
    path("exports/pending/", export_pending, name="export-pending"),
    path("exports/progress/", county_progress, name="export-progress"),
    path("exports/new/<slug:kind>/", export_new, name="export-new"),
    path("exports/<int:pk>/", export_detail, name="export-detail"),
    path("exports/<int:pk>/status/", export_status, name="export-status"),
    path("exports/<int:pk>/approve/", export_approve, name="export-approve"),
    path("exports/<int:pk>/refuse/", export_refuse, name="export-refuse"),
    path("exports/<int:pk>/download/", export_download, name="export-download"),
    path("exports/<int:pk>/again/", export_again, name="export-again"),
]
