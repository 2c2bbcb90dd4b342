"""The intake list (受理列表)."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html_join

from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES
from loanportal.rules import mask_id_number
from loanportal.templatetags.portal import place

from ...forms.lifecycle import (
    ApplicationFilterForm,
)
from ...models import ApplicationStatus
from ...selectors import lifecycle as selectors
from ...selectors.yearend import year_end_links_for

PAGE_SIZE = 50


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("size", PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE
    return size if size in (10, 20, 50, 100) else PAGE_SIZE


STATUS_BADGE = {
    "rejected": "text-bg-danger",
    "abandoned": "text-bg-danger",
    "withdrawn": "text-bg-warning",
    "returned": "text-bg-warning",
    "accepted": "text-bg-info",
    "draft": "text-bg-info",
    "contract_signed": "text-bg-primary",
}
STATUS_LABELS = dict(ApplicationStatus.choices)
STATUS_CHOICES = [("", "全部状态"), *ApplicationStatus.choices]
ROW = (
    '<tr><td class="text-nowrap">{}</td><td><a href="/applications/{}/">{}</a></td>'
    '<td class="masked">{}</td><td>{}</td><td>{}</td><td class="text-end">{}</td>'
    '<td class="masked small">{}</td><td><span class="badge status-badge {}">{}</span></td></tr>'
)


LIST_COLUMNS = (
    "created_at",
    "pk",
    "student__name",
    "student__id_number",
    "county__name",
    "university__name",
    "tuition_amount",
    "accommodation_amount",
    "contract_number",
    "status",
)


def _rows_html(page) -> str:
    """The rows of the intake list, built in Python from plain tuples: the template engine and model
    instances cost more than the database on the whole page."""
    tz = timezone.get_current_timezone()
    return format_html_join(
        "",
        ROW,
        (
            (
                created.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                pk,
                name,
                mask_id_number(id_number),
                place(county),
                university,
                tuition + accommodation,
                contract or "—",
                STATUS_BADGE.get(status, "text-bg-success"),
                STATUS_LABELS.get(status, status),
            )
            for created, pk, name, id_number, county, university, tuition, accommodation, contract, status in page
        ),
    )


def application_list(request):
    """贷款申请: the user's scoped applications, 50 a page, newest first, by status, name/ID tail, loan
    year (default the current one) and the user's place filters (市 / 县区 / 高校)."""
    form = ApplicationFilterForm(request.GET, user=request.user)
    filters = form.filters()
    status, query = filters["status"], filters["query"]
    applications = selectors.application_list(user=request.user, **filters)
    correction = request.GET.get("correction") == "pending"
    if correction:  # 待审批更正: applications with a correction waiting for a manager
        applications = applications.filter(corrections__status="pending").distinct()
    paginator = selectors.CappedCountPaginator(
        applications.values_list(*LIST_COLUMNS),
        _page_size(request),
        count_source=applications.select_related(None),
        count_column="status",
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "applications/lifecycle/list.html",
        {
            "form": form,
            "page": page,
            "rows": _rows_html(page),
            "status": status,
            "query": query,
            "correction": correction,
            "status_choices": STATUS_CHOICES,
            "is_county": request.user.role in COUNTY_ROLES,
            "is_university": request.user.role in UNIVERSITY_ROLES,
            "year_end_links": year_end_links_for(user=request.user),
        },
    )
