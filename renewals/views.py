"""HTML views of renewal declarations (续贷声明): the review queue of university officers and county
staff, one review decision, bulk approval. Thin: selectors + services; the buttons come from
renewals.selectors.renewal_actions_for (the same rule the service refuses with)."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from deadlines.services import current_loan_year
from loanportal.domain_forms import error_text, form_errors_add, message_error
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.exports.workbook import xlsx_response
from loanportal.imports.selectors import import_job_get
from loanportal.imports.views import import_job_redirect
from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES
from loanportal.rules import mask_id_number
from loanportal.selectors import students_visible_to

from . import reminders, renewal_import, selectors, services, states
from .forms import LateDeclarationForm, UploadForm
from .models import RenewalSource

PAGE_SIZE = 50


def _queue_filters(params) -> dict:
    grade = params.get("grade", "").strip()
    year = params.get("year", "").strip()
    return {
        # the loan year's queue by default; last year's decisions one choice away
        "year": int(year) if year.isdigit() and len(year) == 4 else current_loan_year(),
        "department": params.get("department", "").strip()[:100],
        "major": params.get("major", "").strip()[:100],
        "class_name": params.get("class_name", "").strip()[:100],
        "grade": int(grade) if grade.isdigit() and len(grade) == 4 else None,
        "status": params.get("status", "").strip()[:16],
        "q": params.get("q", "").strip()[:50],
        "handed": params.get("handed") == "1",
    }


def renewal_list(request):
    filters = _queue_filters(request.GET)
    rows = selectors.renewal_queue(user=request.user, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(declaration, selectors.renewal_actions_for(request.user, declaration)) for declaration in page]
    return render(
        request,
        "renewals/queue.html",
        {
            "page": page,
            "items": items,
            "filters": filters,
            "status_choices": [("", "全部状态"), *states.LABELS.items()],
            "years": [current_loan_year() - offset for offset in range(3)],
            "choices": selectors.renewal_filter_choices(user=request.user),
            "can_bulk": any(any(a.code == "approve" for a in actions) for _, actions in items),
            "querystring": request.GET.urlencode(),
            "tab": "queue",
            **_tabs(request),
        },
    )


def _back(request):
    query = request.POST.get("next_query", "")
    url = "renewal-list"
    response = redirect(url)
    if query and "\n" not in query and "\r" not in query:
        response["Location"] += "?" + query
    return response


@require_POST
def renewal_review(request, pk):
    declaration = get_object_or_404(selectors.renewals_visible_to(user=request.user), pk=pk)
    decision = request.POST.get("decision", "")
    try:
        services.renewal_review(
            actor=request.user,
            declaration=declaration,
            decision=decision,
            reason=request.POST.get("reason", "")[:500],
        )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)  # outside the routing of notice 三(七): 403
    else:
        messages.success(request, f"{declaration.student.name}的续贷声明：{states.DECISION_LABELS[decision]}")
    return _back(request)


@require_POST
def renewal_bulk_approve(request):
    ids = [value for value in request.POST.getlist("ids") if value.isdigit()][:500]
    if not ids:
        messages.error(request, "请先勾选要审核通过的续贷声明")
        return _back(request)
    approved, refused = 0, []
    for declaration in selectors.renewals_visible_to(user=request.user).filter(pk__in=ids).order_by("pk"):
        try:
            services.renewal_review(actor=request.user, declaration=declaration, decision="approve")
        except PermissionDeniedError as exc:
            refused.append(f"{declaration.student.name}：{exc.message}")
        except (DomainError, ValidationError) as exc:
            refused.append(f"{declaration.student.name}：{error_text(exc)}")
        else:
            approved += 1
    if approved:
        messages.success(request, f"已审核通过 {approved} 份续贷声明")
    for line in refused[:20]:
        messages.error(request, line)
    return _back(request)


# --- the bank system's declarations (续贷声明导入) -------------------------------------------------------


def _importer(request):
    if request.user.role not in renewal_import.IMPORT_ROLES:
        raise PermissionDenied("只有高校和县级资助中心可以导入续贷声明")


def _tabs(request) -> dict:
    role = request.user.role
    return {
        "show_import": role in renewal_import.IMPORT_ROLES,
        "show_reminder": role in UNIVERSITY_ROLES,
        "show_late": role in COUNTY_ROLES,
    }


def renewal_import_page(request):
    _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        started = import_job_redirect(
            request,
            kind="renewals",
            year=current_loan_year(),
            file=form.cleaned_data["file"],
            page="renewal-import-job",
        )
        if started is not None:
            return started
        try:
            batch = renewal_import.renewal_import(actor=request.user, file=form.cleaned_data["file"])
        except renewal_import.RenewalImportRejected as exc:
            messages.error(request, exc.message)
            return redirect("renewal-import-detail", pk=exc.batch.pk)
        except DomainError as exc:
            form_errors_add(form, exc, default_field="file")
        else:
            messages.success(request, f"导入成功：{batch.row_count} 份续贷声明已登记")
            return redirect("renewal-import-detail", pk=batch.pk)
    batches = renewal_import.renewal_imports_visible_to(user=request.user).select_related("created_by")[:20]
    return render(
        request, "renewals/import.html", {"form": form, "batches": batches, "tab": "import", **_tabs(request)}
    )


def renewal_import_template(request):
    _importer(request)
    return xlsx_response(renewal_import.template_workbook(), "续贷声明导入模板.xlsx")


def renewal_import_detail(request, pk):
    batch = get_object_or_404(renewal_import.renewal_imports_visible_to(user=request.user), pk=pk)
    declarations = selectors.renewals_visible_to(user=request.user).filter(import_batch=batch).order_by("pk")
    return render(
        request,
        "renewals/import_detail.html",
        {"batch": batch, "declarations": declarations[:500], "errors": batch.errors[:500], **_tabs(request)},
    )


def _import_job(request, pk):
    return import_job_get(user=request.user, pk=pk, kind="renewals")


def renewal_import_job(request, pk):
    return render(
        request,
        "renewals/import_job.html",
        {"job": _import_job(request, pk), "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS},
    )


def renewal_import_job_status(request, pk):
    return render(
        request,
        "renewals/_import_job_status.html",
        {"job": _import_job(request, pk), "refresh_seconds": settings.EXPORT_PROGRESS_REFRESH_SECONDS},
    )


# --- a late declaration at the county's window (notice 三(七) last sentence) ---------------------------


def renewal_late_new(request):
    """County staff during intake: find the borrowing student, enter the declaration if there is none."""
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied("窗口补录续贷声明由县级资助中心办理")
    q = request.GET.get("q", "").strip()[:30]
    year = current_loan_year()
    found = selectors.renewal_late_candidates(user=request.user, q=q, year=year) if q else []
    chosen = request.POST.get("student", "") if request.method == "POST" else request.GET.get("student", "")
    student, form = None, None
    if chosen:
        student = students_visible_to(user=request.user).filter(pk=chosen if chosen.isdigit() else 0).first()
        if student is None:
            raise Http404
        form = LateDeclarationForm(request.POST or None, initial={"student": student.pk})
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            services.renewal_declare(
                actor=request.user,
                student=student,
                year=year,
                contract_number=data["contract_number"],
                tuition_amount=data["tuition_amount"],
                accommodation_amount=data["accommodation_amount"],
                statement=data["statement"],
                source=RenewalSource.WINDOW,
            )
        except (DomainError, ValidationError) as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"已为{student.name}补录{year}年度续贷声明，等待审核")
            return redirect(f"{reverse('renewal-list')}?q={quote(student.name)}")
    return render(
        request,
        "renewals/late_new.html",
        {
            "q": q,
            "found": found,
            "year": year,
            "form": form,
            "student": student,
            "tab": "late",
            **_tabs(request),
        },
    )


# --- reminder to every class (提醒到每一个班级, notice 三(七)) -------------------------------------------


def _university_staff(request):
    if request.user.role not in UNIVERSITY_ROLES:
        raise PermissionDenied("班级续贷提醒由高校办理")


def renewal_class_reminder(request):
    _university_staff(request)
    year = current_loan_year()
    groups = reminders.renewal_class_reminders(user=request.user, year=year)
    for group in groups:
        group["rows"] = [(s, mask_id_number(s.id_number)) for s in group["students"]]
    return render(
        request,
        "renewals/class_reminder.html",
        {
            "year": year,
            "groups": groups,
            "total": sum(len(g["students"]) for g in groups),
            "tab": "reminder",
            **_tabs(request),
        },
    )


@require_POST
def renewal_class_reminder_send(request):
    _university_staff(request)
    total = reminders.renewal_class_reminder_send(actor=request.user, year=current_loan_year())
    if total:
        messages.success(request, f"已向本校资助工作人员发送班级提醒（{total}名学生）")
    else:
        messages.info(request, "上年度借款学生均已提交续贷声明，无需提醒")
    return redirect("renewal-class-reminder")
