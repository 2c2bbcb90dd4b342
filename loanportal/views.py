"""HTML views of the core: dashboard, students, reveal, audit search, notifications. Thin: selectors + services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from . import dashboard as dashboard_cards
from . import selectors, services
from .errors import DomainError, PermissionDeniedError
from .forms import AuditSearchForm, StudentSearchForm
from .models import StudyLevel
from .pagination import CappedCountPaginator
from .roles import MANAGER_ROLES
from .rules import mask_id_number, mask_phone, place_name
from .templatetags.portal import place

PAGE_SIZE = 50


def dashboard(request):
    """The landing page per role: real counts from the user's scope, contributed by each app."""
    cards, as_of = dashboard_cards.cards_for(request.user)
    return render(request, "dashboard.html", {"cards": cards, "as_of": as_of})


def student_list(request):
    form = StudentSearchForm(request.GET or None, user=request.user)
    form.fields["household_county"].label_from_instance = place  # 榆中县, not the centre's name
    valid = form.is_valid()
    students = selectors.student_list(
        user=request.user,
        county=form.cleaned_data.get("household_county") if valid else None,
        university=form.cleaned_data.get("university") if valid else None,
    )
    if valid:
        students = form.filter(students)  # name, ID tail, level
    # The page's keys first, then its rows: the keys of one county's newest students are read from the index
    # student_county_recent alone (an index-only scan, ~1 ms). Asked for the rows at once, newest first,
    # PostgreSQL may walk the primary key backwards instead, filtering by county — 0.3 s a page for a county
    # whose students were loaded before 1.5 million others' (make bench, 2026-12-02).
    paginator = CappedCountPaginator(
        students.values_list("pk", flat=True), PAGE_SIZE, count_source=students.select_related(None)
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = students.filter(pk__in=list(page.object_list)).values_list(*STUDENT_COLUMNS)
    return render(request, "students/list.html", {"form": form, "page": page, "rows": _student_rows(rows)})


STUDENT_COLUMNS = (
    "pk",
    "name",
    "id_number",
    "household_county__name",
    "university__name",
    "level",
    "major",
    "phone",
)
LEVEL_LABELS = dict(StudyLevel.choices)
STUDENT_ROW = (
    '<tr><td><a href="/students/{}/">{}</a></td><td class="masked">{}</td><td>{}</td><td>{}</td><td>{}</td>'
    '<td>{}</td><td class="masked">{}</td></tr>'
)


def _student_rows(rows) -> str:
    """The rows of the student list, built in Python from plain tuples (as the intake list's): the template
    engine and model instances cost more than the database on the whole page."""
    return format_html_join(
        "",
        STUDENT_ROW,
        (
            (
                pk,
                name,
                mask_id_number(id_number),
                place_name(county) if county else "",
                university or "—",
                LEVEL_LABELS.get(level, level),
                major or "—",
                mask_phone(phone) or "—",
            )
            for pk, name, id_number, county, university, level, major, phone in rows
        ),
    )


def student_detail(request, pk):
    student = selectors.student_get(user=request.user, pk=pk)
    audit_events = selectors.audit_events_for_object(obj=student)[:50]
    return render(
        request,
        "students/detail.html",
        {
            "student": student,
            "co_borrowers": student.co_borrowers.all(),
            "audit_events": audit_events,
            "can_reveal": request.user.role in _reveal_roles(),
        },
    )


def _reveal_roles():
    from django.conf import settings

    return settings.REVEAL_ROLES


@require_POST
def student_reveal(request, pk):
    """Reveal one full number (htmx): answers the fragment that replaces the masked value."""
    student = selectors.student_get(user=request.user, pk=pk)
    field = request.POST.get("field", "")
    try:
        value = services.personal_number_reveal(
            actor=request.user, obj=student, field=field, reason=request.POST.get("reason", "")
        )
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        return HttpResponse(format_html('<span class="text-danger small">{}</span>', exc.message), status=400)
    return HttpResponse(format_html('<span class="font-monospace revealed">{}</span>', value))


def audit_search(request):
    """Managers search the audit log of their scope (审计日志查询)."""
    if request.user.role not in MANAGER_ROLES:
        raise PermissionDenied("仅负责人可查询审计日志")
    form = AuditSearchForm(request.GET or None)
    events = (
        selectors.audit_events_visible_to(user=request.user)
        .select_related("actor", "actor_organisation")
        .order_by("-pk")
    )
    if form.is_valid():
        events = form.filter(events)
    page = CappedCountPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {"form": form, "page": page})


def notification_list(request):
    notifications = selectors.notifications_for(user=request.user)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
def notification_read(request, pk=None):
    if pk is not None and not selectors.notifications_for(user=request.user).filter(pk=pk).exists():
        raise Http404  # another user's notification: outside scope (issue 9 check 1)
    services.notification_mark_read(user=request.user, pk=pk)
    if pk is None:
        messages.success(request, "已全部标为已读")
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notification-list")
