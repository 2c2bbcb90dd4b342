"""HTML views: intake (受理安排, 预约与叫号, 叫号屏, 受理预警). Thin: selectors + services."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.roles import COUNTY_ROLES, OrgKind

from ..forms.intake import (
    BookingForm,
    IntakePlanForm,
    IntakeSiteForm,
    PersonForm,
    QueueDayForm,
    SlotGenerateForm,
)
from ..models import AppointmentStatus, IntakeWindow, QueueLevel
from ..rules import intake as rules
from ..selectors import intake as selectors
from ..services import intake as services

READER_KINDS = (OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE)


def _require_reader(user):
    org = user.organisation
    if org is None or org.kind not in READER_KINDS:
        raise PermissionDenied("受理安排仅对县、市、省资助机构开放")


def _require_county(user):
    if user.role not in COUNTY_ROLES:
        raise PermissionDenied("只有县级资助中心可以办理受理业务")


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return exc.message


def _run(request, fn, success: str | None = None, **kwargs):
    """Call a service; show its domain error as a message. Returns the result or None."""
    try:
        result = fn(actor=request.user, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except (DomainError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return None
    if success:
        messages.success(request, success.format(result=result))
    return result


def _today():
    return timezone.localdate()


# --- 受理安排: the county's plan on one page -----------------------------------------------------------


def intake_plan(request, county_pk=None):
    """受理预案 (notice 四(九)): sites, windows, hours, capacity, volunteers, expected applicants, measures.
    The county edits its own; the city and the province read their counties' plans."""
    user = request.user
    _require_reader(user)
    if county_pk is None:
        if user.organisation.kind != OrgKind.COUNTY:
            return redirect("intake-warnings")
        county = user.organisation
    else:
        county = selectors.intake_county_get(user=user, pk=county_pk)
    year = _today().year
    plan = selectors.intake_plan_for(county=county, year=year)
    can_edit = user.role in COUNTY_ROLES and user.organisation_id == county.pk
    form = IntakePlanForm(instance=plan) if can_edit else None
    if request.method == "POST":
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
            "slot_form": SlotGenerateForm(
                initial={"start": _today(), "end": _today() + datetime.timedelta(days=13)}
            ),
        },
    )


def _weekday_labels():
    from ..forms.intake import WEEKDAYS

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
        _run(
            request,
            services.slots_generate,
            "已生成预约时段：新增{result[created]}个，调整{result[updated]}个（共{result[days]}个开放日）",
            site=site,
            **form.cleaned_data,
        )
    else:
        messages.error(request, "请填写开始和结束日期")
    return redirect("intake-plan")


# --- 预约与叫号: today's queue at a site ------------------------------------------------------------


def intake_queue(request):
    user = request.user
    _require_reader(user)
    sites = selectors.intake_sites_visible_to(user=user).filter(is_active=True)
    form = QueueDayForm(request.GET or None, sites=sites)
    site = day = None
    if form.is_bound and form.is_valid():
        site, day = form.cleaned_data["site"], form.cleaned_data["day"]
    if site is None:
        site = sites.first()
        day = _today()
        form = QueueDayForm(initial={"site": site, "day": day}, sites=sites)
    if site is None:
        return render(request, "applications/intake/queue.html", {"form": form, "site": None})
    can_act = user.role in COUNTY_ROLES and user.organisation_id == site.county_id
    queue = selectors.site_day_queue(user=user, site=site, day=day)
    show = request.GET.get("show", "")
    if show in QUEUE_FILTERS:
        queue = queue.filter(status__in=QUEUE_FILTERS[show][1])
    search = request.GET.get("q", "").strip()
    if search:
        queue = queue.filter(Q(name__contains=search) | Q(id_number__endswith=search.upper()))
    now = clock = services.intake_now()
    slots = (
        selectors.free_slots_for(user=user, site=site, day=max(day, clock.date()))
        .filter(date__lte=max(day, clock.date()) + datetime.timedelta(days=13))
        .exclude(date=clock.date(), ends_at__lte=clock.time())
    )
    return render(
        request,
        "applications/intake/queue.html",
        {
            "form": form,
            "site": site,
            "day": day,
            "is_today": day == _today(),
            "queue": list(queue),
            "show": show,
            "search": search,
            "filters": [(key, label) for key, (label, _) in QUEUE_FILTERS.items()],
            "ended_before": now.time()
            if day == now.date()
            else (datetime.time.max if day < now.date() else datetime.time.min),
            "counts": selectors.site_day_counts(site=site, day=day),
            "windows": site.active_windows,
            "board": selectors.window_board(site=site, day=day),
            "can_act": can_act,
            "booking_form": BookingForm(slots=slots.filter(booked__lt=_capacity_f())) if can_act else None,
            "walk_in_form": PersonForm(prefix="walkin") if can_act else None,
            "statuses": AppointmentStatus,
        },
    )


QUEUE_FILTERS = {
    "waiting": ("排队与办理中", ["checked_in", "called"]),
    "booked": ("待签到", ["booked"]),
    "done": ("已结束", ["served", "no_show", "cancelled"]),
}


def _capacity_f():
    from django.db.models import F

    return F("capacity")


def _back_to_queue(request, site_pk, day=None):
    url = reverse("intake-queue") + f"?site={site_pk}"
    if day:
        url += f"&day={day.isoformat()}"
    return redirect(url)


@require_POST
def intake_book(request, site_pk):
    """电话预约: a clerk books a slot for a caller."""
    _require_county(request.user)
    site = selectors.intake_site_get(user=request.user, pk=site_pk)
    slots = selectors.free_slots_for(user=request.user, site=site, day=_today())
    form = BookingForm(request.POST, slots=slots)
    day = None
    if form.is_valid():
        data = form.cleaned_data
        day = data["slot"].date
        appointment = _run(
            request,
            services.appointment_book,
            slot=data["slot"],
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
        )
        if appointment:
            messages.success(
                request,
                f"已为 {appointment.name} 预约 {appointment.date:%m月%d日} {appointment.slot}（{site.name}）",
            )
    else:
        messages.error(request, "预约未成功：" + "；".join(e for errs in form.errors.values() for e in errs))
    return _back_to_queue(request, site.pk, day)


@require_POST
def intake_walk_in(request, site_pk):
    """现场取号: a student without an appointment checks in directly."""
    _require_county(request.user)
    site = selectors.intake_site_get(user=request.user, pk=site_pk)
    form = PersonForm(request.POST, prefix="walkin")
    if form.is_valid():
        appointment = _run(request, services.appointment_walk_in, site=site, **form.cleaned_data)
        if appointment:
            messages.success(
                request,
                f"现场取号成功：{appointment.name}，排队号 {rules.format_queue_number(appointment.queue_number)}",
            )
    else:
        messages.error(
            request, "现场取号未成功：" + "；".join(e for errs in form.errors.values() for e in errs)
        )
    return _back_to_queue(request, site.pk)


@require_POST
def intake_call_next(request, window_pk):
    """叫号: call the next checked-in student to the clerk's window."""
    _require_county(request.user)
    window = get_object_or_404(
        IntakeWindow, pk=window_pk, site__in=selectors.intake_sites_visible_to(user=request.user)
    )
    appointment = _run(request, services.appointment_call_next, window=window)
    if appointment:
        messages.success(
            request,
            f"请 {rules.format_queue_number(appointment.queue_number)} 号 {appointment.name} 到 {window.number} 号窗口办理",
        )
    return _back_to_queue(request, window.site_id)


ACTIONS = {
    "check-in": (services.appointment_check_in, "{name} 签到成功，排队号 {number}"),
    "serve": (services.appointment_serve, "{name} 已办结"),
    "no-show": (services.appointment_no_show, "{name} 已标记未到"),
    "cancel": (services.appointment_cancel, "已取消 {name} 的预约，时段名额已释放"),
}


@require_POST
def intake_appointment_action(request, pk, action):
    _require_county(request.user)
    if action not in ACTIONS:
        raise PermissionDenied("不支持的操作")
    appointment = selectors.appointment_get(user=request.user, pk=pk)
    fn, text = ACTIONS[action]
    kwargs = {"appointment": appointment}
    if action in ("no-show", "cancel"):
        kwargs["reason"] = request.POST.get("reason", "")
    result = _run(request, fn, **kwargs)
    if result:
        messages.success(
            request, text.format(name=result.name, number=rules.format_queue_number(result.queue_number))
        )
    return _back_to_queue(request, appointment.site_id, appointment.date)


@require_POST
def intake_assign_list(request):
    """名单批量预约: give the pre-application list appointments over the free slots."""
    _require_county(request.user)
    result = _run(
        request, services.appointments_assign_to_list, county=request.user.organisation, year=_today().year
    )
    if result:
        text = f"预申请名单批量预约：{result['assigned']}人已分配时段"
        if result["unassigned"]:
            messages.warning(
                request, text + f"，{result['unassigned']}人因时段已满未能分配，请增加时段或窗口"
            )
        else:
            messages.success(request, text)
    return redirect("intake-queue")


# --- 叫号屏: the window screen ---------------------------------------------------------------------


def intake_screen(request, pk):
    _require_reader(request.user)
    site = selectors.intake_site_get(user=request.user, pk=pk)
    return render(request, "applications/intake/screen.html", {"site": site, **_board(site)})


def intake_screen_board(request, pk):
    _require_reader(request.user)
    site = selectors.intake_site_get(user=request.user, pk=pk)
    return render(request, "applications/intake/_screen_board.html", {"site": site, **_board(site)})


def _board(site):
    board = selectors.window_board(site=site, day=_today())
    return {
        "rows": [
            {
                "window": window,
                "number": rules.format_queue_number(a.queue_number) if a else "",
                "name": rules.mask_name(a.name) if a else "",
            }
            for window, a in board["windows"]
        ],
        "waiting": [
            {"number": rules.format_queue_number(a.queue_number), "name": rules.mask_name(a.name)}
            for a in board["waiting"]
        ],
        "waiting_count": board["waiting_count"],
        "now": timezone.localtime(),
    }


# --- 受理预警 -------------------------------------------------------------------------------------


def intake_warnings(request):
    """County: its own warning page. City/province: all counties in scope with level, figures, plan link."""
    user = request.user
    _require_reader(user)
    if user.organisation.kind == OrgKind.COUNTY:
        return redirect("intake-warning-county", user.organisation_id)
    today = _today()
    counties = list(selectors.intake_counties_visible_to(user=user))
    snapshots = selectors.latest_snapshots(user=user, on=today)
    plans = {p.county_id: p for p in selectors.intake_plans_visible_to(user=user, year=today.year)}
    rows = []
    for county in counties:
        plan = plans.get(county.pk)
        expected = (
            plan.expected_applicants if plan and plan.expected_applicants else county.expected_applicants
        )
        rows.append(
            {
                "county": county,
                "snapshot": snapshots.get(county.pk),
                "expected": expected,
                "watched": rules.watched_by_city(expected),
                "has_plan": plan is not None,
            }
        )
    order = {QueueLevel.RED: 0, QueueLevel.AMBER: 1, QueueLevel.GREEN: 2}
    rows.sort(key=lambda r: (order.get(r["snapshot"].level, 3) if r["snapshot"] else 3, r["county"].code))
    return render(
        request,
        "applications/intake/warnings.html",
        {"rows": rows, "today": today, "threshold": rules.CITY_WATCH_THRESHOLD},
    )


def intake_warning_county(request, pk):
    """One county's warning page: latest figures, reasons, charts (served per day, capacity vs booked), weekly table."""
    user = request.user
    _require_reader(user)
    county = selectors.intake_county_get(user=user, pk=pk)
    today = _today()
    snapshot = selectors.queue_snapshots_visible_to(user=user).filter(county=county, date=today).first()
    history = selectors.daily_series(county=county, start=today - datetime.timedelta(days=13), end=today)
    ahead = selectors.daily_series(county=county, start=today, end=today + datetime.timedelta(days=7))
    weeks = _weekly(
        selectors.daily_series(
            county=county, start=today - datetime.timedelta(days=56), end=today + datetime.timedelta(days=7)
        )
    )
    figures = services.queue_figures(county=county, on=today)
    chart = {
        "history": {
            "labels": [f"{d['date']:%m-%d}" for d in history],
            "served": [d["served"] for d in history],
            "no_show": [d["no_show"] for d in history],
        },
        "ahead": {
            "labels": [f"{d['date']:%m-%d}" for d in ahead],
            "capacity": [d["capacity"] for d in ahead],
            "booked": [d["booked"] for d in ahead],
        },
    }
    return render(
        request,
        "applications/intake/warning_county.html",
        {
            "county": county,
            "snapshot": snapshot,
            "figures": figures,
            "weeks": weeks,
            "chart": chart,
            "can_refresh": user.role in COUNTY_ROLES or user.organisation.kind != OrgKind.COUNTY,
            "today": today,
        },
    )


def _weekly(series):
    weeks = {}
    for day in series:
        start = rules.iso_week_start(day["date"])
        row = weeks.setdefault(
            start,
            {
                "start": start,
                "end": start + datetime.timedelta(days=6),
                "capacity": 0,
                "booked": 0,
                "served": 0,
                "no_show": 0,
                "walk_in": 0,
            },
        )
        for key in ("capacity", "booked", "served", "no_show", "walk_in"):
            row[key] += day[key]
    rows = [w for w in weeks.values() if w["capacity"] or w["booked"] or w["served"]]
    for row in rows:
        row["share"] = round(row["booked"] * 100 / row["capacity"]) if row["capacity"] else None
    return sorted(rows, key=lambda w: w["start"], reverse=True)


@require_POST
def intake_snapshot_refresh(request, pk):
    _require_reader(request.user)
    county = selectors.intake_county_get(user=request.user, pk=pk)
    snapshot = services.queue_snapshot_compute(county=county, on=_today(), actor=request.user)
    messages.success(request, f"已重新计算今日受理预警：{snapshot.get_level_display()}")
    return redirect("intake-warning-county", county.pk)


urlpatterns = [
    path("intake/plan/", intake_plan, name="intake-plan"),
    path("intake/plan/<int:county_pk>/", intake_plan, name="intake-plan-county"),
    path("intake/sites/new/", intake_site_edit, name="intake-site-new"),
    path("intake/sites/<int:pk>/edit/", intake_site_edit, name="intake-site-edit"),
    path("intake/sites/<int:pk>/slots/", intake_slots_generate, name="intake-slots-generate"),
    path("intake/sites/<int:pk>/screen/", intake_screen, name="intake-screen"),
    path("intake/sites/<int:pk>/screen/board/", intake_screen_board, name="intake-screen-board"),
    path("intake/sites/<int:site_pk>/book/", intake_book, name="intake-book"),
    path("intake/sites/<int:site_pk>/walk-in/", intake_walk_in, name="intake-walk-in"),
    path("intake/queue/", intake_queue, name="intake-queue"),
    path("intake/windows/<int:window_pk>/call-next/", intake_call_next, name="intake-call-next"),
    path(
        "intake/appointments/<int:pk>/<slug:action>/",
        intake_appointment_action,
        name="intake-appointment-action",
    ),
    path("intake/assign-list/", intake_assign_list, name="intake-assign-list"),
    path("intake/warnings/", intake_warnings, name="intake-warnings"),
    path("intake/warnings/<int:pk>/", intake_warning_county, name="intake-warning-county"),
    path("intake/warnings/<int:pk>/refresh/", intake_snapshot_refresh, name="intake-snapshot-refresh"),
]
