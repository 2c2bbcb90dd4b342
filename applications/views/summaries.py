"""HTML views of the county summary (汇总表 to the province), the public notice (公示) and the year's
progress charts. Thin: selectors for reads, services for writes; buttons from selectors.summary_actions."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from deadlines.rules import format_date
from deadlines.services import current_loan_year, deadline_for
from loanportal.domain_forms import message_error
from loanportal.errors import DomainError
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, OrgKind, Role
from loanportal.selectors import audit_events_for_object

from .. import states
from ..rules import summaries as rules
from ..selectors import summaries as selectors
from ..services import summaries as services

READERS = frozenset({*COUNTY_ROLES, Role.CITY_MANAGER, *PROVINCE_ROLES})


def _require_reader(request) -> None:
    if request.user.role not in READERS:
        raise PermissionDenied("您的角色不能查看申请汇总表")


def _year(request) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return current_loan_year(timezone.localdate())


def _due(organisation, year: int) -> datetime.date | None:
    """The city's summary date (notice 八: 10月15日前), from the calendar with the city's extension."""
    if organisation is None:
        return None
    try:
        return deadline_for("city_summary_due", organisation, year=year)
    except DomainError:
        return None


def summary_list(request):
    _require_reader(request)
    user = request.user
    year = _year(request)
    org = user.organisation
    context = {"year": year, "years": [year - 1, year, year + 1]}
    if org.kind == OrgKind.COUNTY:
        summary = selectors.summaries_visible_to(user=user).filter(county=org, year=year).first()
        if summary is not None:
            return redirect("summary-detail", summary.pk)
        notice = selectors.notices_visible_to(user=user).filter(county=org, year=year).first()
        due = _due(org.parent, year)
        context.update({"notice": notice, "due": format_date(due) if due else ""})
        return render(request, "applications/summaries/county_start.html", context)
    overview = selectors.summary_overview(user=user, year=year)
    rows = [(row, selectors.city_totals(row), _due(row.city, year)) for row in overview]
    missing = selectors.summaries_missing(user=user, year=year)
    today = timezone.localdate()
    context.update(
        {
            "rows": [
                {
                    "row": row,
                    "totals": totals,
                    "due": format_date(due) if due else "",
                    "late": bool(due and today > due),
                }
                for row, totals, due in rows
            ],
            "missing": missing,
            "is_city": org.kind == OrgKind.CITY,
            "can_forward_all": org.kind == OrgKind.CITY
            and user.role == Role.CITY_MANAGER
            and any(
                s is not None and s.status == states.SUMMARY_SUBMITTED
                for row in overview
                for _, s in row.counties
            ),
        }
    )
    return render(request, "applications/summaries/overview.html", context)


def summary_detail(request, pk):
    _require_reader(request)
    summary = selectors.summary_get(user=request.user, pk=pk)
    due = _due(summary.county.parent, summary.year)
    statement = dict(summary.statement or {})
    if statement:
        statement["period"] = (
            f"{format_date(datetime.date.fromisoformat(statement['starts_on']))}至"
            f"{format_date(datetime.date.fromisoformat(statement['ends_on']))}"
        )
    lines = summary.figures.get("lines", [])
    sections = [(name, [line for line in lines if line["section"] == name]) for name in rules.SECTIONS]
    return render(
        request,
        "applications/summaries/detail.html",
        {
            "summary": summary,
            "sections": sections,
            "total": summary.total,
            "statement": statement,
            "actions": selectors.summary_actions(user=request.user, summary=summary),
            "due": format_date(due) if due else "",
            "audit_events": audit_events_for_object(obj=summary)[:30],
        },
    )


@require_POST
def summary_generate(request):
    _require_reader(request)
    year = _year(request)
    try:
        summary = services.county_summary_generate(
            actor=request.user, county=request.user.organisation, year=year
        )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
        return redirect("summary-list")
    messages.success(request, f"已根据本县数据生成{year}年度申请汇总表，请核对后报送")
    return redirect("summary-detail", summary.pk)


@require_POST
def summary_act(request, pk):
    _require_reader(request)
    summary = selectors.summary_get(user=request.user, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "regenerate":
            services.county_summary_generate(actor=request.user, county=summary.county, year=summary.year)
            messages.success(request, "已按最新数据重新生成汇总表")
        else:
            services.summary_act(
                actor=request.user,
                summary=summary,
                action=action,
                reason=request.POST.get("reason", "")[:500],
            )
            messages.success(
                request, f"{summary.county.name}：{rules.SUMMARY_ACTION_LABELS.get(action, action)}完成"
            )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
    if action in ("return", "forward"):
        return redirect("summary-list")
    return redirect("summary-detail", summary.pk)


@require_POST
def summary_forward_all(request):
    if request.user.role != Role.CITY_MANAGER:
        raise PermissionDenied("只有市级负责人可以报送省中心")
    year = _year(request)
    try:
        forwarded, waiting = services.summaries_forward_all(
            actor=request.user, city=request.user.organisation, year=year
        )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
    else:
        messages.success(request, f"已将 {len(forwarded)} 个县的汇总表报送省中心")
        if waiting:
            messages.warning(request, "以下县尚未报送汇总表：" + "、".join(waiting))
    return redirect("summary-list")


# --- public notice (公示) --------------------------------------------------------------------------------


def notice_list(request):
    _require_reader(request)
    user = request.user
    year = _year(request)
    notices = selectors.notices_visible_to(user=user).filter(year=year).order_by("county__code")
    today = timezone.localdate()
    can_publish = user.role in COUNTY_ROLES and not notices.filter(county=user.organisation).exists()
    start = today + datetime.timedelta(days=1)
    return render(
        request,
        "applications/summaries/notice_list.html",
        {
            "year": year,
            "items": [(n, rules.NOTICE_PHASE_LABELS[selectors.notice_phase(n, today)]) for n in notices],
            "can_publish": can_publish,
            "default_start": start.isoformat(),
            "default_end": rules.notice_earliest_end(start).isoformat(),
            "min_days": rules.NOTICE_MIN_WORKING_DAYS,
        },
    )


def _date(value: str, label: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        raise DomainError(f"{label}格式不正确，请按 2026-10-12 填写") from None


@require_POST
def notice_publish(request):
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied("只有县级学生资助管理中心可以发布公示")
    year = _year(request)
    try:
        notice = services.public_notice_publish(
            actor=request.user,
            county=request.user.organisation,
            year=year,
            place=request.POST.get("place", "")[:200],
            starts_on=_date(request.POST.get("starts_on"), "公示开始日期"),
            ends_on=_date(request.POST.get("ends_on"), "公示结束日期"),
        )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
        return redirect("notice-list")
    messages.success(request, f"已发布公示，共 {notice.entries.count()} 人")
    return redirect("notice-detail", notice.pk)


def notice_detail(request, pk):
    _require_reader(request)
    notice = selectors.notice_get(user=request.user, pk=pk)
    today = timezone.localdate()
    phase = selectors.notice_phase(notice, today)
    return render(
        request,
        "applications/summaries/notice_detail.html",
        {
            "notice": notice,
            "phase": phase,
            "phase_label": rules.NOTICE_PHASE_LABELS[phase],
            "headers": [label for _, label in rules.NOTICE_FIELDS],
            "rows": list(selectors.notice_entries_shown(notice=notice, on=today)),
            # objections are received while the notice runs: the names list only then (taken down after)
            "entries": notice.entries.order_by("name").values_list("pk", "name")
            if phase == "showing"
            else [],
            "objections": selectors.notice_objections(notice=notice),
            "can_edit": request.user.role in COUNTY_ROLES
            and request.user.organisation_id == notice.county_id,
            "can_record": phase == "showing"
            and request.user.role in COUNTY_ROLES
            and request.user.organisation_id == notice.county_id,
            "working_days": rules.working_days(notice.starts_on, notice.ends_on),
            "today": today.isoformat(),
        },
    )


@require_POST
def notice_objection_add(request, pk):
    _require_reader(request)
    notice = selectors.notice_get(user=request.user, pk=pk)
    entry_pk = request.POST.get("entry", "")
    entry = notice.entries.filter(pk=int(entry_pk)).first() if entry_pk.isdigit() else None
    try:
        services.notice_objection_record(
            actor=request.user,
            notice=notice,
            entry=entry,
            content=request.POST.get("content", "")[:1000],
            received_on=_date(request.POST.get("received_on"), "受理日期"),
        )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
    else:
        messages.success(request, "已登记异议")
    return redirect("notice-detail", notice.pk)


@require_POST
def notice_objection_handle(request, pk):
    _require_reader(request)
    objection = selectors.objection_get(user=request.user, pk=pk)
    try:
        services.notice_objection_handle(
            actor=request.user, objection=objection, handling=request.POST.get("handling", "")[:1000]
        )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
    else:
        messages.success(request, "已记录处理情况")
    return redirect("notice-detail", objection.notice_id)


# --- progress of the year (charts) ---------------------------------------------------------------------------

PROGRESS_ROLES = frozenset({*COUNTY_ROLES, Role.CITY_MANAGER, *PROVINCE_ROLES})
CHART_WIDTH = 520
BAR_HEIGHT = 26
LABEL_WIDTH = 130


def _bars(items: list[dict], key: str, *, money: bool = False) -> dict:
    """A horizontal bar chart drawn on the server (SVG: no script, no inline style)."""
    biggest = max([item[key] for item in items] + [1])
    span = CHART_WIDTH - LABEL_WIDTH - 90
    bars = []
    for index, item in enumerate(items):
        value = item[key]
        width = round(span * value / biggest) if value else 0
        bars.append(
            {
                "label": item["label"],
                "value": value,
                "text": f"{value:,}" + (" 元" if money else ""),
                "y": index * BAR_HEIGHT + 4,
                "text_y": index * BAR_HEIGHT + 20,
                "width": width,
                "value_x": LABEL_WIDTH + width + 6,
            }
        )
    return {
        "bars": bars,
        "height": len(items) * BAR_HEIGHT + 8,
        "width": CHART_WIDTH,
        "label_width": LABEL_WIDTH,
    }


def progress_dashboard(request):
    if request.user.role not in PROGRESS_ROLES:
        raise PermissionDenied("您的角色不能查看年度进度")
    year = _year(request)
    figures = selectors.progress_figures(user=request.user, year=year)
    stages = [{"label": s["label"], "value": s["count"]} for s in figures["stages"]]
    charts = [
        {
            "key": "stages",
            "title": "各环节当前申请数（人，按申请现在所处环节）",
            "chart": _bars(stages, "value"),
            "rows": stages,
            "unit": "人",
        },
        {
            "key": "amounts",
            "title": "贷款金额（元）",
            "chart": _bars(figures["amounts"], "value", money=True),
            "rows": figures["amounts"],
            "unit": "元",
        },
        {
            "key": "receipts",
            "title": "电子回执录入与确认（人）",
            "chart": _bars(figures["receipts"], "value"),
            "rows": figures["receipts"],
            "unit": "人",
        },
        {
            "key": "disbursed",
            "title": "审批与放款（人）",
            "chart": _bars(figures["disbursed"], "value"),
            "rows": figures["disbursed"],
            "unit": "人",
        },
    ]
    return render(
        request,
        "applications/summaries/progress.html",
        {"year": year, "charts": charts, "units": figures["units"], "unit_label": figures["unit_label"]},
    )


urlpatterns = [
    path("summaries/", summary_list, name="summary-list"),
    path("summaries/generate/", summary_generate, name="summary-generate"),
    path("summaries/forward-all/", summary_forward_all, name="summary-forward-all"),
    path("summaries/<int:pk>/", summary_detail, name="summary-detail"),
    path("summaries/<int:pk>/act/", summary_act, name="summary-act"),
    path("notices/", notice_list, name="notice-list"),
    path("notices/publish/", notice_publish, name="notice-publish"),
    path("notices/<int:pk>/", notice_detail, name="notice-detail"),
    path("notices/<int:pk>/objections/", notice_objection_add, name="notice-objection-add"),
    path("notices/objections/<int:pk>/handle/", notice_objection_handle, name="notice-objection-handle"),
    path("progress/year/", progress_dashboard, name="progress-dashboard"),
]
