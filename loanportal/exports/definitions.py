"""The portal's first exports, each from the page it belongs to, with that page's own filter code.

`params` are the page's GET parameters as the requester saw them; each definition cleans them with the
page's filter form (an invalid filter exports what the page shows for it: no filter), then scopes the
rows with the requester's selector. Later apps register their forms the same way (`registry.register`).
"""

import datetime

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When

from applications import states
from loanportal.roles import COUNTY_ROLES, MANAGER_ROLES, PROVINCE_ROLES, Role
from loanportal.rules import mask_text, place_name

from .registry import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID_NUMBER,
    INTEGER,
    MONEY,
    PHONE,
    Column,
    ExportDefinition,
    register,
)

ALL = frozenset(Role.values)
INTAKE_READERS = frozenset(COUNTY_ROLES | PROVINCE_ROLES | {Role.CITY_MANAGER})


def _labels(choices) -> dict:
    return dict(choices)


def _form_summary(form, labels: dict | None = None) -> list[str]:
    """ "标签：值" for each filled field of a valid filter form, choices shown by their Chinese name."""
    if not (form.is_bound and form.is_valid()):
        return []
    parts = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", [], ()):
            continue
        if isinstance(value, datetime.date):
            shown = value.isoformat()
        elif choices := (
            None
            if hasattr(field, "queryset")
            else getattr(field, "choices", None) or getattr(field.widget, "choices", None)
        ):
            shown = str(dict(choices).get(value, dict(choices).get(str(value), value)))
        else:
            shown = str(value)
        parts.append(f"{(labels or {}).get(name, field.label)}：{shown}")
    return parts


def _date_param(params, name):
    try:
        return datetime.date.fromisoformat(str((params or {}).get(name, "")))
    except ValueError:
        return None


# --- 生源地助学贷款申请汇总表 (applications: county, city, province, university, bank) -----------------

APPLICATION_COLUMNS = (
    # the database id, labelled as such: an application has no business number (合同号 is its own column)
    Column("系统编号", INTEGER, 10),
    Column("贷款年度", INTEGER, 9),
    Column("受理县", width=24),
    Column("所属市", width=22),
    Column("学生姓名", width=10),
    Column("身份证号", ID_NUMBER, 21),
    Column("联系电话", PHONE, 14),
    Column("家庭住址", width=30),
    Column("就读高校", width=22),
    Column("院系", width=16),
    Column("专业", width=16),
    Column("学历层次", width=10),
    Column("入学年份", INTEGER, 9),
    Column("学制（年）", INTEGER, 9),
    Column("学费贷款金额（元）", MONEY, 12),
    Column("住宿费贷款金额（元）", MONEY, 12),
    Column("贷款总额（元）", MONEY, 12),
    Column("状态", width=10),
    Column("合同号", width=20),
    Column("共同借款人", width=10),
    Column("已预申请", BOOLEAN, 8),
    Column("已签书面承诺", BOOLEAN, 8),
    Column("受理时间", DATETIME, 17),
    Column("签约时间", DATETIME, 17),
    Column("创建时间", DATETIME, 17),
)

APPLICATION_FIELDS = (
    "pk",
    "year",
    "county__name",
    "county__parent__name",
    "student__name",
    "student__id_number",
    "student__phone",
    "student__address",
    "university__name",
    "student__department",
    "major",
    "level",
    "enrolment_year",
    "study_years",
    "tuition_amount",
    "accommodation_amount",
    "total",
    "status",
    "contract_number",
    "co_borrower__name",
    "pre_applied",
    "commitment_accepted",
    "accepted_at",
    "contract_signed_at",
    "created_at",
)


def _application_form(*, user, params):
    from applications.forms.lifecycle import ApplicationFilterForm

    return ApplicationFilterForm(params or {}, user=user)


def _applications(*, user, params):
    """The list page's rows for these filters: its own form (default year, scoped place filters) and
    selector, so the file holds exactly the rows the page lists."""
    from applications.selectors import lifecycle

    qs = lifecycle.application_list(user=user, **_application_form(user=user, params=params).filters())
    if (params or {}).get(
        "correction"
    ) == "pending":  # the list's 仅看待审批更正 box (views/lifecycle/lists.py)
        qs = qs.filter(corrections__status="pending").distinct()
    return qs


def _freeze_applications(*, user, params):
    """The filters as the page applied them: invalid or out-of-scope ones left out, the loan year explicit
    (a file written after the year turns over still holds the year the requester saw)."""
    frozen = _application_form(user=user, params=params).frozen_params()
    if (params or {}).get("correction") == "pending":
        frozen["correction"] = "pending"
    return frozen


def application_rows(*, user, params):
    """The rows of the applications list page with these filters, as plain tuples (no model instances)."""
    from applications.models import ApplicationStatus
    from loanportal.models import StudyLevel

    status_label, level_label = _labels(ApplicationStatus.choices), _labels(StudyLevel.choices)
    qs = (
        _applications(user=user, params=params)
        .select_related(None)
        .annotate(
            total=F("tuition_amount") + F("accommodation_amount"),
            pre_applied=Q(pre_application__isnull=False),
        )
        .values_list(*APPLICATION_FIELDS)
    )
    status_at, level_at = APPLICATION_FIELDS.index("status"), APPLICATION_FIELDS.index("level")
    county_at, city_at = (
        APPLICATION_FIELDS.index("county__name"),
        APPLICATION_FIELDS.index("county__parent__name"),
    )
    for row in qs.iterator(chunk_size=5000):
        row = list(row)
        row[county_at], row[city_at] = place_name(row[county_at]), place_name(row[city_at] or "")
        row[status_at] = status_label.get(row[status_at], row[status_at])
        row[level_at] = level_label.get(row[level_at], row[level_at])
        yield row


def _describe_applications(params: dict) -> str:
    """The frozen filters in Chinese ("贷款年度：2026；市：兰州市；县区：榆中县"). Frozen params hold only
    ids the requester's form accepted, so the names are of the requester's own scope."""
    from applications.models import ApplicationStatus
    from loanportal.models import Organisation

    params = params or {}
    parts = []
    year = str(params.get("year", ""))
    if year:
        parts.append("贷款年度：" + ("全部年度" if year == "all" else year))
    ids = {name: str(params.get(name, "")) for name in ("city", "county", "university")}
    pks = [int(v) for v in ids.values() if v.isdigit() and len(v) < 10]
    names = dict(Organisation.objects.filter(pk__in=pks).values_list("pk", "name"))
    for name, label in (("city", "市"), ("county", "县区"), ("university", "高校")):
        if ids[name] in map(str, names):
            parts.append(f"{label}：{place_name(names[int(ids[name])])}")
    status = params.get("status", "")
    if status in ApplicationStatus.values:
        parts.append("状态：" + _labels(ApplicationStatus.choices)[status])
    if params.get("q"):
        parts.append("姓名或身份证号后几位：" + str(params["q"]))
    if params.get("correction") == "pending":
        parts.append("仅看待审批更正")
    return "；".join(parts) or "全部（本机构范围内）"


register(
    ExportDefinition(
        name="applications",
        title="生源地助学贷款申请汇总表",
        columns=APPLICATION_COLUMNS,
        rows=application_rows,
        count=lambda *, user, params: _applications(user=user, params=params).count(),
        roles=ALL,
        personal=True,
        page="application-list",
        describe=_describe_applications,
        freeze=_freeze_applications,
    )
)


# --- 首贷预申请名单 (pre-application list) ---------------------------------------------------------------


def _pre_application_form(params, *, high_schools):
    from applications.forms.preapplications import PreApplicationSearchForm

    return PreApplicationSearchForm(params or None, high_schools=high_schools)


def _pre_applications(*, user, params):
    from applications.selectors import preapplications

    form = _pre_application_form(params, high_schools=preapplications.high_schools_visible_to(user=user))
    rows = preapplications.pre_applications_visible_to(user=user).order_by("-year", "-pk")
    if form.is_bound and form.is_valid():
        rows = form.filter(rows)
    upto = str((params or {}).get("upto", ""))
    if upto.isdigit():
        rows = rows.filter(pk__lte=int(upto))  # frozen at request time: no row imported after it
    return rows


def _freeze_pre_applications(*, user, params):
    """The filter as the page applied it (an invalid one: none), and the newest row at request time."""
    from applications.selectors import preapplications

    form = _pre_application_form(params, high_schools=preapplications.high_schools_visible_to(user=user))
    kept = {k: v for k, v in (params or {}).items() if k in form.fields} if form.is_valid() else {}
    newest = preapplications.pre_applications_visible_to(user=user).order_by("-pk").first()
    return {**kept, "upto": str(newest.pk if newest else 0)}


def _describe_pre_applications(params) -> str:
    value = (params or {}).get("high_school", "")
    form = _pre_application_form(params, high_schools=[value] if value else [])
    return "；".join(_form_summary(form, {"year": "贷款年度", "q": "姓名"}))


def pre_application_rows(*, user, params):
    from applications.models.preapplication import PreApplicationBasis, PreApplicationStatus

    basis, status = _labels(PreApplicationBasis.choices), _labels(PreApplicationStatus.choices)
    source = {"import": "名单导入", "manual": "现场补录"}
    qs = _pre_applications(user=user, params=params).values_list(
        "year",
        "county__name",
        "name",
        "id_number",
        "basis",
        "high_school",
        "phone",
        "note",
        "status",
        "source",
        "created_at",
    )
    for row in qs.iterator(chunk_size=5000):
        row = list(row)
        row[4], row[8], row[9] = basis.get(row[4], row[4]), status.get(row[8], row[8]), source.get(row[9])
        row[1] = place_name(row[1] or "")  # the list page's 生源地: the place, not its centre
        yield row


register(
    ExportDefinition(
        name="pre_applications",
        title="首贷预申请名单",
        columns=(
            Column("贷款年度", INTEGER, 9),
            Column("生源地（县）", width=24),
            Column("姓名", width=10),
            Column("身份证号", ID_NUMBER, 21),
            Column("预申请依据", width=30),
            Column("高中学校", width=20),
            Column("联系电话", PHONE, 14),
            Column("备注", width=24),
            Column("状态", width=10),
            Column("来源", width=10),
            Column("录入时间", DATETIME, 17),
        ),
        rows=pre_application_rows,
        count=lambda *, user, params: _pre_applications(user=user, params=params).count(),
        roles=INTAKE_READERS,
        personal=True,
        page="preapplication-list",
        describe=_describe_pre_applications,
        freeze=_freeze_pre_applications,
    )
)


# --- 受理预约名单 (a day's appointments at a site: the queue page) ------------------------------------------


def _queue_site_day(*, user, params):
    """The site and day the queue page shows for these params: one of the requester's active sites (the
    page offers no other; an inactive one falls back to its default), else the first active site today."""
    from django.utils import timezone

    from applications.forms.intake import QueueDayForm
    from applications.selectors import intake

    sites = intake.intake_sites_visible_to(user=user).filter(is_active=True)
    form = QueueDayForm(params or None, sites=sites)
    if form.is_bound and form.is_valid() and form.cleaned_data["site"] is not None:
        return form.cleaned_data["site"], form.cleaned_data["day"]
    return sites.first(), timezone.localdate()


def _appointments(*, user, params):
    from applications.selectors import intake

    site, day = _queue_site_day(user=user, params=params)
    if site is None:
        return intake.appointments_visible_to(user=user).none()
    queue = intake.site_day_queue(user=user, site=site, day=day)
    return _appointment_filter(queue, params)


def _appointment_filter(queue, params):
    from applications.views.intake.queue import queue_filter

    params = params or {}
    return queue_filter(queue, show=str(params.get("show", "")), search=str(params.get("q", "")).strip())


def _freeze_appointments(*, user, params):
    """The site and day the queue page shows for these params (its defaults: the first active site,
    today), fixed at request time, so the file written tomorrow is still the requested day's list."""
    site, day = _queue_site_day(user=user, params=params)
    frozen = {k: v for k, v in (params or {}).items() if k in ("show", "q")}
    if site is not None:
        frozen.update(site=str(site.pk), day=day.isoformat())
    return frozen


def _describe_appointments(params) -> str:
    from applications.models import IntakeSite
    from applications.views.intake.queue import QUEUE_FILTERS

    params = params or {}
    parts = []
    site = str(params.get("site", ""))
    if site.isdigit():
        found = IntakeSite.objects.filter(pk=int(site)).first()
        parts.append(f"受理点：{found.name if found else site}")
    day = _date_param(params, "day")
    if day:
        parts.append(f"日期：{day.isoformat()}")
    if params.get("show") in QUEUE_FILTERS:
        parts.append(f"显示：{QUEUE_FILTERS[params['show']][0]}")
    if str(params.get("q", "")).strip():
        parts.append(f"姓名或身份证号后几位：{str(params['q']).strip()}")
    return "；".join(parts)


def appointment_rows(*, user, params):
    from applications.models import AppointmentStatus

    status = _labels(AppointmentStatus.choices)
    qs = (
        _appointments(user=user, params=params)
        .select_related(None)
        .values_list(
            "date",
            "site__name",
            "slot__starts_at",
            "queue_number",
            "name",
            "id_number",
            "phone",
            "is_walk_in",
            "status",
            "window__number",
            "checked_in_at",
            "called_at",
            "finished_at",
        )
    )
    for row in qs.iterator(chunk_size=2000):
        row = list(row)
        row[2] = row[2].strftime("%H:%M") if row[2] else ""
        row[8] = status.get(row[8], row[8])
        yield row


register(
    ExportDefinition(
        name="appointments_day",
        title="现场受理预约名单",
        columns=(
            Column("日期", DATE, 11),
            Column("受理点", width=22),
            Column("预约时段", width=9),
            Column("排队号", INTEGER, 8),
            Column("姓名", width=10),
            Column("身份证号", ID_NUMBER, 21),
            Column("联系电话", PHONE, 14),
            Column("现场取号", BOOLEAN, 8),
            Column("状态", width=10),
            Column("窗口", INTEGER, 6),
            Column("签到时间", DATETIME, 17),
            Column("叫号时间", DATETIME, 17),
            Column("办结时间", DATETIME, 17),
        ),
        rows=appointment_rows,
        count=lambda *, user, params: _appointments(user=user, params=params).count(),
        roles=INTAKE_READERS,
        personal=True,
        page="intake-queue",
        describe=_describe_appointments,
        freeze=_freeze_appointments,
    )
)


# --- 受理预警 daily and weekly figures of a county (aggregate: no approval) --------------------------------


def _warning_series(*, user, params, window):
    """The county of the export and its daily figures over `window(day)` (applications.rules.intake: the
    page's own windows), counted from the frozen day."""
    from django.http import Http404
    from django.utils import timezone

    from applications.selectors import intake

    try:
        county = intake.intake_county_get(user=user, pk=int((params or {}).get("county", "")))
    except (TypeError, ValueError, Http404):
        return None, []
    start, end = window(_date_param(params, "on") or timezone.localdate())
    return county, intake.daily_series(county=county, start=start, end=end)


def _freeze_warnings(*, user, params):
    """The county and the day the figures are counted from (today at request time)."""
    from django.utils import timezone

    county = str((params or {}).get("county", ""))
    return {**({"county": county} if county else {}), "on": timezone.localdate().isoformat()}


def _describe_warnings(window_name: str):
    """The county and the dates of the export (`window_name`: applications.rules.intake.warning_<name>_window)."""

    def describe(params) -> str:
        from applications.rules import intake as intake_rules
        from loanportal.models import Organisation

        params = params or {}
        parts = []
        county = str(params.get("county", ""))
        if county.isdigit():
            found = Organisation.objects.filter(pk=int(county)).first()
            parts.append(f"县：{place_name(found.name) if found else county}")
        on = _date_param(params, "on")
        if on:
            start, end = getattr(intake_rules, f"warning_{window_name}_window")(on)
            parts.append(f"日期：{start.isoformat()} 至 {end.isoformat()}")
        return "；".join(parts) or "未选择县"

    return describe


def warning_daily_rows(*, user, params):
    """Every day of the page's two daily charts (近14天 办结/未到, 未来8天 容量/已预约), zeros included."""
    from applications.rules.intake import warning_daily_window

    county, series = _warning_series(user=user, params=params, window=warning_daily_window)
    for day in series:
        yield [
            place_name(county.name),
            day["date"],
            day["capacity"],
            day["booked"],
            day["served"],
            day["no_show"],
            day["walk_in"],
        ]


def warning_weekly_rows(*, user, params):
    from applications.rules.intake import warning_weekly_window
    from applications.views.intake.warnings import _weekly  # the page's own weekly table

    county, series = _warning_series(user=user, params=params, window=warning_weekly_window)
    for week in _weekly(series):
        yield [
            place_name(county.name),
            week["start"],
            week["end"],
            week["capacity"],
            week["booked"],
            week["share"],
            week["served"],
            week["no_show"],
            week["walk_in"],
        ]


register(
    ExportDefinition(
        name="intake_warning_daily",
        title="受理预警每日数据",
        columns=(
            Column("县", width=24),
            Column("日期", DATE, 11),
            Column("可预约名额", INTEGER, 10),
            Column("已预约", INTEGER, 8),
            Column("已办结", INTEGER, 8),
            Column("未到", INTEGER, 8),
            Column("现场取号", INTEGER, 8),
        ),
        rows=warning_daily_rows,
        count=lambda *, user, params: sum(1 for _ in warning_daily_rows(user=user, params=params)),
        roles=INTAKE_READERS,
        personal=False,
        page="intake-warnings",
        describe=_describe_warnings("daily"),
        freeze=_freeze_warnings,
    )
)
register(
    ExportDefinition(
        name="intake_warning_weekly",
        title="受理预警每周数据",
        columns=(
            Column("县", width=24),
            Column("周起", DATE, 11),
            Column("周止", DATE, 11),
            Column("可预约名额", INTEGER, 10),
            Column("已预约", INTEGER, 8),
            Column("预约占比（%）", INTEGER, 10),
            Column("已办结", INTEGER, 8),
            Column("未到", INTEGER, 8),
            Column("现场取号", INTEGER, 8),
        ),
        rows=warning_weekly_rows,
        count=lambda *, user, params: sum(1 for _ in warning_weekly_rows(user=user, params=params)),
        roles=INTAKE_READERS,
        personal=False,
        page="intake-warnings",
        describe=_describe_warnings("weekly"),
        freeze=_freeze_warnings,
    )
)


# --- 审计日志摘录 (managers) ---------------------------------------------------------------------------


def _audit_events(*, user, params):
    from loanportal import selectors
    from loanportal.forms import AuditSearchForm

    form = AuditSearchForm(params or None)
    events = selectors.audit_events_visible_to(user=user).order_by("-pk")
    if form.is_bound and form.is_valid():
        events = form.filter(events)
    upto = str((params or {}).get("upto", ""))
    if upto.isdigit():
        events = events.filter(pk__lte=int(upto))  # the log as it was when the export was requested
    return events


def _freeze_audit(*, user, params):
    """The log grows with every action (the export request itself adds a row): fix its newest row at
    request time, so the file holds exactly the rows the approver saw counted."""
    from loanportal import selectors

    newest = selectors.audit_events_visible_to(user=user).order_by("-pk").values_list("pk", flat=True).first()
    return {**(params or {}), "upto": str(newest or 0)}


def _describe_audit(params) -> str:
    from loanportal.forms import AuditSearchForm
    from loanportal.registry import action_choices

    parts = _form_summary(AuditSearchForm(params or None))
    action = str((params or {}).get("action", "")).strip()
    if action and action not in dict(action_choices()):  # an older link's fragment: matched, not equal
        parts = [f"操作（名称或代码含）：{action}" if p == f"操作：{action}" else p for p in parts]
    upto = str((params or {}).get("upto", ""))
    if upto.isdigit():
        parts.append(f"截至申请时（序号不大于 {upto}）")
    return "；".join(parts)


def audit_rows(*, user, params):
    from loanportal.registry import action_label, actor_label, object_type_label

    qs = (
        _audit_events(user=user, params=params)
        .select_related(None)
        .values_list(
            "pk",
            "created_at",
            "actor_username",
            "actor_organisation__name",
            "action",
            "object_type",
            "object_pk",
            "object_repr",
            "organisation__name",
            "reason",
            "ip_address",
        )
    )
    for row in qs.iterator(chunk_size=5000):
        row = list(row)
        row[2], row[4], row[5] = actor_label(row[2]), action_label(row[4]), object_type_label(row[5])
        # Free text (an object's name, a reason someone typed) may hold an ID number or a phone; the extract has
        # no number columns an approval could cover, so they are always masked (the chain keeps the original).
        row[7], row[9] = mask_text(row[7] or ""), mask_text(row[9] or "")
        yield row


register(
    ExportDefinition(
        name="audit_log",
        title="审计日志摘录",
        columns=(
            Column("序号", INTEGER, 9),
            Column("时间", DATETIME, 17),
            Column("操作人账号", width=14),
            Column("操作人机构", width=22),
            Column("操作", width=16),
            Column("对象类型", width=18),
            Column("对象编号", width=10),
            Column("对象", width=24),
            Column("归属机构", width=22),
            Column("原因", width=30),
            Column("来源地址", width=15),
        ),
        rows=audit_rows,
        count=lambda *, user, params: _audit_events(user=user, params=params).count(),
        roles=MANAGER_ROLES,
        personal=True,
        page="audit-search",
        describe=_describe_audit,
        freeze=_freeze_audit,
    )
)


# --- 年度分县进度表 (per-county progress of the year: counts and amounts by stage; aggregate) --------------

# The loan path (DESIGN.md application states) in order; a stage counts every application of the year that
# has reached it and is still on the path (受理 ≥ 签订合同 ≥ … ≥ 归档), counted and summed alike.
PROGRESS_STAGES = (
    (states.ACCEPTED, "受理"),
    (states.CONTRACT_SIGNED, "签订合同"),
    (states.RECEIPT_ENTERED, "回执录入"),
    (states.RECEIPT_CONFIRMED, "回执确认"),
    (states.BANK_APPROVED, "银行审批"),
    (states.DISBURSED, "放款"),
    (states.FEE_CERTIFIED, "收费证明"),
    (states.ARCHIVED, "归档"),
)
PROGRESS_NOTE = (
    "各阶段为累计口径：某阶段的人数和金额包含已到达该阶段及其后各阶段、仍在贷款流程中的申请"
    "（受理 ≥ 签订合同 ≥ 回执录入 ≥ 回执确认 ≥ 银行审批 ≥ 放款 ≥ 收费证明 ≥ 归档）；"
    "已退回待补充材料的申请计入“受理”；已归档的贷款计入此前各阶段。"
    "已终止：不予受理、已撤回、视为放弃、银行未通过的申请，以及这些申请签约后归档的合同，不计入各阶段。"
    "草稿不计入。金额为申请的学费与住宿费贷款金额之和（元）。"
)
PROGRESS_TOTAL = "合计"


def _progress_year(params) -> int:
    from django.utils import timezone

    try:
        year = int((params or {}).get("year") or 0)
    except (TypeError, ValueError):
        year = 0
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _progress_rank():
    """The furthest stage an application has reached on the loan path (1 = 受理 … 8 = 归档), 0 when it is a
    draft or has ended. An archived contract the bank never approved was closed first (withdrawn,
    abandoned, declined — states.ARCHIVABLE_STATES) and has ended; an archived approved loan has passed
    every stage before 归档."""
    ranks = {code: n for n, (code, _) in enumerate(PROGRESS_STAGES, start=1)}
    ranks[states.RETURNED] = ranks[states.ACCEPTED]  # sent back for more material after 受理, still live
    archived = ranks.pop(states.ARCHIVED)
    return Case(
        When(status=states.ARCHIVED, bank_approved_at__isnull=False, then=Value(archived)),
        *(When(status=code, then=Value(rank)) for code, rank in ranks.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def _progress_ended() -> Q:
    return Q(status__in=states.APPLICATION_CLOSED) | Q(status=states.ARCHIVED, bank_approved_at__isnull=True)


def progress_rows(*, user, params):
    """One row per county in the user's scope (one aggregate query), then 合计 for a city or the province."""
    from applications.selectors import lifecycle
    from loanportal.roles import OrgKind
    from loanportal.selectors import counties_visible_to

    year = _progress_year(params)
    amount = F("tuition_amount") + F("accommodation_amount")
    aggregates = {}
    for n in range(1, len(PROGRESS_STAGES) + 1):
        reached = Q(progress_rank__gte=n)
        aggregates[f"n_{n}"] = Count("pk", filter=reached)
        aggregates[f"a_{n}"] = Sum(amount, filter=reached)
    figures = {
        row["county_id"]: row
        for row in lifecycle.applications_visible_to(user=user)
        .filter(year=year)
        .select_related(None)
        .order_by()
        .alias(progress_rank=_progress_rank())
        .values("county_id")
        .annotate(
            n_ended=Count("pk", filter=_progress_ended()),
            a_ended=Sum(amount, filter=_progress_ended()),
            **aggregates,
        )
    }
    keys = [key for n in range(1, len(PROGRESS_STAGES) + 1) for key in (f"n_{n}", f"a_{n}")]
    keys += ["n_ended", "a_ended"]
    totals = [0] * len(keys)
    counties = list(counties_visible_to(user=user).order_by("code"))
    for county in counties:
        row = figures.get(county.pk, {})
        values = [int(row.get(key) or 0) for key in keys]
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        yield [
            year,
            county.code,
            place_name(county.name),
            place_name(county.parent.name) if county.parent else "",
            *values,
        ]
    organisation = getattr(user, "organisation", None)
    if getattr(organisation, "kind", None) != OrgKind.COUNTY:
        yield [year, "", PROGRESS_TOTAL, "", *totals]


PROGRESS_READERS = frozenset(COUNTY_ROLES | PROVINCE_ROLES | {Role.CITY_MANAGER})


def _progress_columns() -> tuple[Column, ...]:
    columns = [
        Column("贷款年度", INTEGER, 9),
        Column("县区代码", width=9),
        Column("县", width=24),
        Column("所属市", width=22),
    ]
    for _, label in (*PROGRESS_STAGES, (None, "已终止")):
        columns += [Column(f"{label}人数", INTEGER, 9), Column(f"{label}金额（元）", MONEY, 13)]
    return tuple(columns)


register(
    ExportDefinition(
        name="county_progress",
        title="生源地助学贷款年度分县进度表",
        columns=_progress_columns(),
        rows=progress_rows,
        count=lambda *, user, params: sum(1 for _ in progress_rows(user=user, params=params)),
        roles=PROGRESS_READERS,
        personal=False,
        page="export-progress",
        describe=lambda params: f"贷款年度：{_progress_year(params)}",
        freeze=lambda *, user, params: {"year": str(_progress_year(params))},
    )
)
