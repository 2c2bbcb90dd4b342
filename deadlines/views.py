"""HTML views of the calendar (工作日历). Thin: selectors for reads, services for writes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from loanportal.domain_forms import form_errors_add
from loanportal.errors import DomainError
from loanportal.roles import Role

from . import rules, selectors, services
from .forms import ExtensionForm, KeyDateEditForm, PreviewForm

OVERVIEW_ROLES = frozenset({Role.PROVINCE_MANAGER, Role.PROVINCE_OFFICER, Role.CITY_MANAGER})


def _loan_year(request, today):
    years = selectors.loan_years_visible_to(user=request.user)
    if request.GET.get("year", "").isdigit():
        return get_object_or_404(years, year=int(request.GET["year"]))
    return selectors.loan_year_default(on=today)


def _preview(request, user):
    """The dry run for the chosen day, limited to the organisations in the user's scope."""
    form = PreviewForm(request.GET if "as_of" in request.GET else None)
    if not form.is_valid():
        return form, None
    report = services.calendar_run(as_of=form.cleaned_data["as_of"], dry_run=True)
    visible = {org.pk for org in selectors.organisations_in_scope(user=user)}
    report.reminders = [line for line in report.reminders if line.organisation.pk in visible]
    report.enforcements = [line for line in report.enforcements if line.organisation.pk in visible]
    return form, report


def _matrix(rows) -> list[dict]:
    """Managers' overview: per kind of organisation, one row per organisation, one cell per key date."""
    groups: dict[str, dict] = {}
    for row in rows:
        for org_row in row.owing:
            group = groups.setdefault(
                row.key_date.owed_by, {"label": row.owed_by_label, "key_dates": [], "orgs": {}}
            )
            if row.key_date not in group["key_dates"]:
                group["key_dates"].append(row.key_date)
            group["orgs"].setdefault(org_row.organisation.pk, (org_row.organisation, {}))[1][
                row.key_date.pk
            ] = org_row
    result = []
    for group in groups.values():
        orgs = [
            {"organisation": org, "cells": [cells.get(kd.pk) for kd in group["key_dates"]]}
            for org, cells in group["orgs"].values()
        ]
        result.append({"label": group["label"], "key_dates": group["key_dates"], "orgs": orgs})
    return result


def calendar_page(request, extension_form=None):
    user = request.user
    today = timezone.localdate()
    loan_year = _loan_year(request, today)
    context = {
        "today": today,
        "loan_year": loan_year,
        "years": selectors.loan_years_visible_to(user=user).order_by("year"),
        "can_edit": user.role == Role.PROVINCE_MANAGER,
        "overview": user.role in OVERVIEW_ROLES,
        "last_run": selectors.last_run(),
    }
    if loan_year is not None:
        rows = selectors.calendar_rows(
            user=user, loan_year=loan_year, on=today, with_owing=context["overview"]
        )
        context["rows"] = rows
        context["matrix"] = _matrix(rows)
        context["mine"] = [row for row in rows if row.mine is not None]
        context["next_due"] = next(
            (row for row in context["mine"] if row.mine.status != rules.Status.PASSED), None
        )
        context["extensions"] = selectors.extensions_visible_to(user=user).filter(
            key_date__loan_year=loan_year
        )
        if context["can_edit"]:
            context["extension_form"] = extension_form or ExtensionForm(loan_year=loan_year)
    context["preview_form"], context["preview"] = _preview(request, user)
    return render(request, "deadlines/calendar.html", context, status=400 if extension_form else 200)


def _require_editor(request):
    if request.user.role != Role.PROVINCE_MANAGER:
        raise PermissionDenied("只有省中心负责人可以修改工作日历")


@require_POST
def extension_create(request):
    _require_editor(request)
    loan_year = get_object_or_404(
        selectors.loan_years_visible_to(user=request.user), year=request.POST.get("year")
    )
    form = ExtensionForm(request.POST, loan_year=loan_year)
    if form.is_valid():
        data = form.cleaned_data
        try:
            extension = services.key_date_extend(
                actor=request.user,
                key_date=data["key_date"],
                organisation=data["organisation"],
                end_date=data["end_date"],
                reason=data["reason"],
            )
        except (DomainError, ValidationError) as exc:
            form_errors_add(form, exc)
        else:
            messages.success(
                request,
                f"已将{extension.organisation.name}的{extension.key_date.short_label}"
                f"延期至{rules.format_date(extension.end_date)}",
            )
            return redirect(f"{reverse('calendar')}?year={loan_year.year}")
    request.GET = request.GET.copy()
    request.GET["year"] = str(loan_year.year)
    return calendar_page(request, extension_form=form)


def key_date_edit(request, pk):
    _require_editor(request)
    key_date = get_object_or_404(selectors.key_dates_visible_to(user=request.user), pk=pk)
    initial = {
        "start_date": key_date.start_date,
        "end_date": key_date.end_date,
        "reminder_days": ",".join(str(d) for d in key_date.reminder_days),
    }
    form = KeyDateEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.key_date_update(
                actor=request.user,
                key_date=key_date,
                start_date=data["start_date"],
                end_date=data["end_date"],
                reminder_days=data["reminder_days"],
                reason=data["reason"],
            )
        except (DomainError, ValidationError) as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"已修改“{key_date.short_label}”的日期")
            return redirect(f"{reverse('calendar')}?year={key_date.loan_year.year}")
    return render(request, "deadlines/key_date_edit.html", {"form": form, "key_date": key_date})
