"""受理安排: the county's plan on one page (notice 四(九)), sites, windows, slots."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deadlines.services import current_loan_year
from loanportal.roles import COUNTY_ROLES, OrgKind

from ...forms.intake import (
    IntakePlanForm,
    IntakeSiteForm,
    SlotGenerateForm,
)
from ...rules import intake as rules
from ...selectors import intake as selectors
from ...services import queue as services
from .common import _require_county, _require_reader, _run, _today

# --- 受理安排: the county's plan on one page -----------------------------------------------------------


def intake_plan(request, county_pk=None, *, slot_form=None, slot_site=None, status=200):
    """受理预案 (notice 四(九)): sites, windows, hours, capacity, volunteers, expected applicants, measures.
    The county edits its own; the city and the province read their counties' plans. After a refused slot
    generation (`slot_form` bound, for `slot_site`) the page shows the entered dates and the reasons."""
    user = request.user
    _require_reader(user)
    if county_pk is None:
        if user.organisation.kind != OrgKind.COUNTY:
            return redirect("intake-warnings")
        county = user.organisation
    else:
        county = selectors.intake_county_get(user=user, pk=county_pk)
    year = current_loan_year(_today())
    plan = selectors.intake_plan_for(county=county, year=year)
    can_edit = user.role in COUNTY_ROLES and user.organisation_id == county.pk
    form = IntakePlanForm(instance=plan) if can_edit else None
    if request.method == "POST" and slot_form is None:
        if not can_edit:
            raise PermissionDenied("只能编辑本县的受理预案")
        form = IntakePlanForm(request.POST, instance=plan)
        if form.is_valid() and _run(
            request,
            services.intake_plan_save,
            "受理预案已保存",
            county=county,
            year=year,
            **form.cleaned_data,
        ):
            return redirect("intake-plan")
    sites = list(selectors.intake_sites_visible_to(user=user).filter(county=county))
    for site in sites:
        site.capacity = rules.daily_capacity(
            windows=len(site.active_windows),
            opens_at=site.opens_at,
            closes_at=site.closes_at,
            lunch_break_minutes=site.lunch_break_minutes,
            minutes_per_case=site.minutes_per_case,
        )
        site.weekday_labels = (
            "每天"
            if len(set(site.opening_weekdays)) == 7
            else "、".join(label for day, label in _weekday_labels() if day in site.opening_weekdays)
        )
    expected = plan.expected_applicants if plan and plan.expected_applicants else county.expected_applicants
    return render(
        request,
        "applications/intake/plan.html",
        {
            "county": county,
            "year": year,
            "plan": plan,
            "form": form,
            "can_edit": can_edit,
            "sites": sites,
            "total_capacity": sum(s.capacity for s in sites if s.is_active),
            "expected": expected,
            "watched": rules.watched_by_city(expected),
            "slot_form": slot_form
            or SlotGenerateForm(initial={"start": _today(), "end": _today() + datetime.timedelta(days=13)}),
            "slot_site": slot_site,
        },
        status=status,
    )


def _weekday_labels():
    from ...forms.intake import WEEKDAYS

    return WEEKDAYS


def intake_site_edit(request, pk=None):
    user = request.user
    _require_county(user)
    site = selectors.intake_site_get(user=user, pk=pk) if pk else None
    initial = {"windows": len(site.active_windows)} if site else {"opening_weekdays": [1, 2, 3, 4, 5, 6, 7]}
    form = IntakeSiteForm(request.POST or None, instance=site, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        windows = data.pop("windows")
        saved = _run(
            request,
            services.intake_site_save,
            "受理点已保存",
            county=user.organisation,
            site=site,
            windows=windows,
            **data,
        )
        if saved:
            return redirect("intake-plan")
    return render(request, "applications/intake/site_form.html", {"form": form, "site": site})


@require_POST
def intake_slots_generate(request, pk):
    _require_county(request.user)
    site = selectors.intake_site_get(user=request.user, pk=pk)
    form = SlotGenerateForm(request.POST)
    if form.is_valid():
        done = _run(
            request,
            services.slots_generate,
            "已生成预约时段：新增{result[created]}个，调整{result[updated]}个（共{result[days]}个开放日）",
            site=site,
            **form.cleaned_data,
        )
        if done is not None:
            return redirect("intake-plan")
    else:
        messages.error(request, "生成预约时段未成功，请按提示修改日期。")
    # Refused: the plan page again with the dates as typed for this site.
    return intake_plan(request, slot_form=form, slot_site=site, status=400)
