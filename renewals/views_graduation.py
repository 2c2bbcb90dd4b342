"""Pages of graduation confirmation (毕业确认、信息维护, notice 七(十九)) for university staff: the list of
graduating borrowers with filters, one student's form with its audited history. Thin: renewals.graduation."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from deadlines.services import current_loan_year
from loanportal.domain_forms import form_errors_add
from loanportal.errors import DomainError
from loanportal.roles import UNIVERSITY_ROLES
from loanportal.rules import mask_phone
from loanportal.selectors import audit_events_for_object

from . import graduation
from .forms import GraduationForm

PAGE_SIZE = 50


def _staff(request):
    if request.user.role not in UNIVERSITY_ROLES:
        raise PermissionDenied("毕业确认由高校办理")


def _year(request) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and len(value) == 4 else current_loan_year()


def graduation_list(request):
    _staff(request)
    year = _year(request)
    filters = {
        "status": request.GET.get("status", "pending")
        if request.GET.get("status", "pending") in ("", "pending", "confirmed")
        else "pending",
        "department": request.GET.get("department", "").strip()[:100],
        "class_name": request.GET.get("class_name", "").strip()[:100],
        "q": request.GET.get("q", "").strip()[:50],
    }
    everyone = graduation.graduating_borrowers(user=request.user, year=year)
    rows = graduation.graduating_borrowers(user=request.user, year=year, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "renewals/graduation_list.html",
        {
            "year": year,
            "years": [year - 1, year, year + 1],
            "filters": filters,
            "page": page,
            "items": [(s, mask_phone(s.phone)) for s in page],
            "departments": sorted({d for d in everyone.values_list("department", flat=True) if d}),
            "classes": sorted({c for c in everyone.values_list("class_name", flat=True) if c}),
            "pending": everyone.filter(graduation_confirmed_at__isnull=True).count(),
            "total": everyone.count(),
        },
    )


def graduation_edit(request, pk):
    _staff(request)
    student = graduation.graduation_student_get(user=request.user, pk=pk)
    # the phone is never sent in full (masked for every role): left empty, it stays as it is
    initial = {
        "graduation_date": student.graduation_date,
        "address": student.address,
        "employer": student.employer,
        "employment_status": student.employment_status,
    }
    form = GraduationForm(request.POST or None, initial=initial)
    form.fields["phone"].widget.attrs["placeholder"] = (
        f"当前 {mask_phone(student.phone)}，不修改请留空" if student.phone else "如 13812345678"
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["phone"] = data["phone"] or student.phone
        try:
            _, changed = graduation.student_graduation_update(actor=request.user, student=student, **data)
        except (DomainError, ValidationError) as exc:
            form_errors_add(form, exc)
        else:
            messages.success(
                request,
                f"{student.name}：已保存（{len(changed)}项变更）"
                if changed
                else f"{student.name}：信息无变化",
            )
            return redirect("graduation-list")
    return render(
        request,
        "renewals/graduation_edit.html",
        {"student": student, "form": form, "events": audit_events_for_object(obj=student)[:20]},
    )
