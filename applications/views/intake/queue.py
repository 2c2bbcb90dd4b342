"""预约与叫号 and 叫号屏: today's queue at a site, booking, check-in, calling, the window screen."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from deadlines.services import current_loan_year
from loanportal.roles import COUNTY_ROLES

from ...forms.intake import (
    BookingForm,
    PersonForm,
    QueueDayForm,
)
from ...models import AppointmentStatus, IntakeWindow
from ...rules import intake as rules
from ...selectors import actions
from ...selectors import intake as selectors
from ...services import queue as services
from ...services.lifecycle import intake_closed_message
from .common import _require_county, _require_reader, _run, _today

# --- 预约与叫号: today's queue at a site ------------------------------------------------------------


def intake_queue(request, *, booking_form=None, walk_in_form=None, status=200):
    """The day's queue at a site. `booking_form` / `walk_in_form` are bound forms redisplayed after an error
    (entered data kept, messages next to the fields)."""
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
    if booking_form is not None or walk_in_form is not None:
        # Redisplay after a refused booking / walk-in: the page of the site the form was posted to.
        site = (booking_form or walk_in_form).site
        day = _today()
    can_act = user.role in COUNTY_ROLES and user.organisation_id == site.county_id
    queue = selectors.site_day_queue(user=user, site=site, day=day)
    show, search = request.GET.get("show", ""), request.GET.get("q", "").strip()
    queue = queue_filter(queue, show=show, search=search)
    now = clock = services.intake_now()
    slots = (
        selectors.free_slots_for(user=user, site=site, day=max(day, clock.date()))
        .filter(date__lte=max(day, clock.date()) + datetime.timedelta(days=13))
        .exclude(date=clock.date(), ends_at__lte=clock.time())
    )
    rows = list(queue)
    for appointment in rows:  # the buttons: only what the services would accept now
        appointment.actions = actions.appointment_actions_for(user=user, appointment=appointment, now=now)
    groups, done_page = _queue_groups(rows, show=show, page=request.GET.get("page"))
    if can_act and booking_form is None:
        booking_form = BookingForm(slots=slots.filter(booked__lt=_capacity_f()))
    elif booking_form is not None:
        booking_form.fields["slot"].queryset = slots.filter(booked__lt=_capacity_f())
    return render(
        request,
        "applications/intake/queue.html",
        {
            "form": form,
            "site": site,
            "day": day,
            "is_today": day == _today(),
            "groups": groups,
            "done_page": done_page,
            "show": show,
            "search": search,
            "filters": [(key, label) for key, (label, _) in QUEUE_FILTERS.items()],
            "counts": selectors.site_day_counts(site=site, day=day),
            "windows": site.active_windows,
            "board": selectors.window_board(site=site, day=day),
            "can_act": can_act,
            "booking_form": booking_form if can_act else None,
            "walk_in_form": (walk_in_form or PersonForm(prefix="walkin")) if can_act else None,
            "statuses": AppointmentStatus,
            "refresh_seconds": settings.INTAKE_QUEUE_REFRESH_SECONDS,
            "intake_closed": intake_closed_message(site.county, clock.date()),
        },
        status=status,
    )


# Display groups of the queue table: the people being served and waiting first, then those still to check
# in, then the day's finished cases (paged, so a busy day never pushes the live rows out of sight).
QUEUE_GROUPS = (
    ("active", "正在办理与排队", ("called", "checked_in")),
    ("booked", "待签到", ("booked",)),
    ("done", "已结束", ("served", "no_show", "cancelled")),
)
DONE_PAGE_SIZE = 20


def _queue_groups(rows, *, show, page):
    from django.core.paginator import Paginator

    status_order = {"called": 0, "checked_in": 1}
    groups = []
    done_page = None
    for key, label, statuses in QUEUE_GROUPS:
        members = [a for a in rows if a.status in statuses]
        if key == "active":
            members.sort(key=lambda a: (status_order[a.status], a.queue_number or 0, a.pk))
        if key == "done":
            members.sort(key=lambda a: (-(a.queue_number or 0), -a.pk))  # latest finished first
            done_page = Paginator(members, DONE_PAGE_SIZE).get_page(page)
            groups.append({"key": key, "label": label, "rows": list(done_page), "total": len(members)})
        else:
            groups.append({"key": key, "label": label, "rows": members, "total": len(members)})
    return [g for g in groups if g["total"]], done_page


QUEUE_FILTERS = {
    "waiting": ("排队与办理中", ["checked_in", "called"]),
    "booked": ("待签到", ["booked"]),
    "done": ("已结束", ["served", "no_show", "cancelled"]),
}


def queue_filter(queue, *, show: str, search: str):
    """The queue page's 显示 tab and 查找 box; its 导出 (exports/definitions.py) filters with this too."""
    if show in QUEUE_FILTERS:
        queue = queue.filter(status__in=QUEUE_FILTERS[show][1])
    if search:
        queue = queue.filter(Q(name__contains=search) | Q(id_number__endswith=search.upper()))
    return queue


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
    """电话预约: a clerk books a slot for a caller. A refused booking redisplays the queue page with the
    entered data kept and the reason next to the field."""
    _require_county(request.user)
    site = selectors.intake_site_get(user=request.user, pk=site_pk)
    slots = selectors.free_slots_for(user=request.user, site=site, day=_today())
    form = BookingForm(request.POST, slots=slots)
    form.site = site
    if form.is_valid():
        data = form.cleaned_data
        appointment = _run_form(
            request,
            form,
            services.appointment_book,
            slot=data["slot"],
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
        )
        if appointment:
            messages.success(
                request,
                f"已为 {appointment.name} 预约 {appointment.date.month}月{appointment.date.day}日 "
                f"{appointment.slot.starts_at:%H:%M}–{appointment.slot.ends_at:%H:%M}（{site.name}）",
            )
            return _back_to_queue(request, site.pk, data["slot"].date)
    messages.error(request, "预约未成功，请按提示修改后再提交。")
    return intake_queue(request, booking_form=form, status=400)


@require_POST
def intake_walk_in(request, site_pk):
    """现场取号: a student without an appointment checks in directly. Errors keep the entered data."""
    _require_county(request.user)
    site = selectors.intake_site_get(user=request.user, pk=site_pk)
    form = PersonForm(request.POST, prefix="walkin")
    form.site = site
    if form.is_valid():
        appointment = _run_form(request, form, services.appointment_walk_in, site=site, **form.cleaned_data)
        if appointment:
            messages.success(
                request,
                f"现场取号成功：{appointment.name}，排队号 {rules.format_queue_number(appointment.queue_number)}",
            )
            return _back_to_queue(request, site.pk)
    messages.error(request, "现场取号未成功，请按提示修改后再提交。")
    return intake_queue(request, walk_in_form=form, status=400)


def _run_form(request, form, fn, **kwargs):
    """Call a service; a domain error goes onto the form (its field, or the whole form)."""
    from django.core.exceptions import ValidationError

    from loanportal.errors import DomainError, PermissionDeniedError

    try:
        return fn(actor=request.user, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except ValidationError as exc:
        form.add_error(None, "；".join(exc.messages))
    except DomainError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
    return None


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
        kwargs["reason"] = request.POST.get("reason", "").strip()
    if action == "cancel" and not kwargs["reason"]:
        messages.error(request, f"取消 {appointment.name} 的预约须填写取消原因")
        return _back_to_queue(request, appointment.site_id, appointment.date)
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
        request,
        services.appointments_assign_to_list,
        county=request.user.organisation,
        year=current_loan_year(_today()),
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
