"""The calendar's public interface (notice 八) and its writes.

Other apps call:
    is_open(code, organisation, *, on, year=None) -> bool
    require_open(code, organisation, *, on, action="办理", year=None) -> KeyDate   (raises DomainError)
    deadline_for(code, organisation, *, year=None, on=None) -> datetime.date
    loan_year_of(on) -> LoanYear | None
    current_loan_year(on=None) -> int            (THE loan year of a day, for every page and service)
The daily job calls calendar_run (deadlines.engine).
"""

import datetime
import functools

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.context import memo_forget, memoised
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import Organisation
from loanportal.roles import Role
from loanportal.updates import model_update

from . import rules
from .engine import calendar_run  # noqa: F401  (re-exported: the daily job's service)
from .models import KeyDate, KeyDateExtension, LoanYear


def _forgets_calendar(function):
    """A write to the calendar: the request's memoised loan years and key dates are read afresh after it."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            memo_forget("calendar")

    return wrapper


CALENDAR_EDITOR_ROLES = frozenset({Role.PROVINCE_MANAGER})


# --- reads used by other apps -------------------------------------------------------------------


def loan_year_of(on: datetime.date) -> LoanYear | None:
    """The loan year whose calendar contains the day: Y runs from its first key date in Y to its last
    (archive by 3/31 of Y+1). A day between two loan years (April to early July) belongs to the coming
    one. None when no loan year has been created for that time."""
    return memoised(("calendar", "loan_year_of", on), lambda: _loan_year_of(on))


def _loan_year_of(on: datetime.date) -> LoanYear | None:
    spans = (
        LoanYear.objects.filter(year__gte=on.year - 1, year__lte=on.year + 1)
        .annotate(first=Min("key_dates__start_date"), last=Max("key_dates__end_date"))
        .exclude(first=None)
        .order_by("year")
    )
    following = None
    for loan_year in spans:
        if loan_year.first <= on <= loan_year.last:
            return loan_year
        if loan_year.first > on and following is None:
            following = loan_year
    return following


def current_loan_year(on: datetime.date | None = None) -> int:
    """The loan year (贷款年度) of a day — the one function every page, service and job uses. The
    calendar decides when it has the day (loan_year_of); otherwise January–March belong to the previous
    year (rules.loan_year_number), so pages do not switch years on 1 January in the archive period."""
    on = on or timezone.localdate()
    loan_year = loan_year_of(on)
    return loan_year.year if loan_year is not None else rules.loan_year_number(on)


def key_date_get(code: str, *, year: int | None = None, on: datetime.date | None = None) -> KeyDate:
    """The key date `code` of loan year `year` (or of the loan year of day `on`)."""
    if year is None:
        if on is None:
            raise ValueError("key_date_get needs year= or on=")
        loan_year = loan_year_of(on)
        if loan_year is None:
            raise DomainError(f"{rules.format_date(on)}所在贷款年度的工作日历尚未建立，请联系省中心")
        year = loan_year.year
    key_date = memoised(
        ("calendar", "key_date", year, code),
        lambda: KeyDate.objects.select_related("loan_year").filter(loan_year__year=year, code=code).first(),
    )
    if key_date is None:
        raise DomainError(f"{year}年度工作日历中没有时间节点“{code}”，请联系省中心")
    return key_date


def effective_end(key_date: KeyDate, organisation: Organisation | None) -> datetime.date:
    """The organisation's own end date: its extension if it has one, else the key date's."""
    if organisation is not None:
        extension = KeyDateExtension.objects.filter(key_date=key_date, organisation=organisation).first()
        if extension is not None:
            return extension.end_date
    return key_date.end_date


def _resolve(
    code: str, organisation: Organisation | None, *, on: datetime.date, year: int | None
) -> tuple[KeyDate, datetime.date]:
    """The key date `code` that applies to the organisation on day `on`, and its effective end.

    Without a year: the loan year of the day; but an organisation whose extension of the previous loan
    year's date reaches past that year's end (e.g. archive extended from 3/31 into April) still gets the
    previous year's date while the extension runs."""
    if year is None:
        previous = (
            KeyDateExtension.objects.filter(
                key_date__code=code, organisation=organisation, end_date__gte=on, key_date__start_date__lte=on
            )
            .select_related("key_date__loan_year")
            .order_by("key_date__loan_year__year")
            .first()
            if organisation is not None
            else None
        )
        if previous is not None and (loan_year_of(on) or previous.key_date.loan_year).year > (
            previous.key_date.loan_year.year
        ):
            return previous.key_date, previous.end_date
    key_date = key_date_get(code, year=year, on=on)
    return key_date, effective_end(key_date, organisation)


def deadline_for(
    code: str, organisation: Organisation | None, *, year: int | None = None, on: datetime.date | None = None
) -> datetime.date:
    """The (extended, for this organisation) end date of key date `code` in the given loan year (or the
    loan year of day `on`)."""
    if year is None and on is not None:
        return _resolve(code, organisation, on=on, year=None)[1]
    return effective_end(key_date_get(code, year=year, on=on), organisation)


def is_open(
    code: str, organisation: Organisation | None, *, on: datetime.date, year: int | None = None
) -> bool:
    """Whether the key date is open for the organisation on the day (notice 八): inside a window
    (first and last day included, the last day extended for this organisation if granted); for a single
    deadline, the day has not passed. False when the calendar has no such date."""
    try:
        key_date, end = _resolve(code, organisation, on=on, year=year)
    except DomainError:
        return False
    return rules.is_within(start=key_date.start_date, end=end, on=on, window=key_date.is_window)


def require_open(
    code: str,
    organisation: Organisation | None,
    *,
    on: datetime.date,
    action: str = "办理",
    year: int | None = None,
) -> KeyDate:
    """Raise DomainError with the real dates unless the key date is open for the organisation, e.g.
    "不在现场受理期内（7月15日至9月20日），不能受理"."""
    key_date, end = _resolve(code, organisation, on=on, year=year)
    if rules.is_within(start=key_date.start_date, end=end, on=on, window=key_date.is_window):
        return key_date
    extended = f"，本机构已延期至{end.month}月{end.day}日" if end != key_date.end_date else ""
    if key_date.is_window:
        span = rules.format_span(key_date.start_date, end)
        raise DomainError(f"不在{key_date.short_label}内（{span}{extended}），不能{action}")
    raise DomainError(f"{key_date.short_label}已于{rules.format_date(end)}截止{extended}，不能{action}")


# --- writes ---------------------------------------------------------------------------------------


@_forgets_calendar
@transaction.atomic
def loan_year_ensure(*, year: int, actor=None) -> LoanYear:
    """Create the loan year with the default calendar of notice 八, idempotently: existing dates
    (possibly edited) are kept, missing ones are added."""
    loan_year, created = LoanYear.objects.get_or_create(year=year)
    if created:
        loan_year.full_clean()
    existing = set(loan_year.key_dates.values_list("code", flat=True))
    added = []
    for order, spec in enumerate(rules.DEFAULT_CALENDAR, start=1):
        if spec.code in existing:
            continue
        start, end = rules.default_dates(year, spec)
        key_date = KeyDate(
            loan_year=loan_year,
            code=spec.code,
            label=spec.label,
            short_label=spec.short_label,
            start_date=start,
            end_date=end,
            owed_by=spec.owed_by,
            enforcement_action=spec.enforcement_action,
            order=order * 10,
        )
        key_date.full_clean(exclude=["loan_year"])
        key_date.save()
        added.append(spec.code)
    if added:
        audit_record(
            actor=actor,
            action="loan_year.ensure",
            obj=loan_year,
            new={"year": year, "added": added},
        )
    return loan_year


DEMO_SHIFT_REASON = "演示环境：整体平移本年度工作日历，使今天处于现场受理期，以便演示完整流程"


@_forgets_calendar
@transaction.atomic
def loan_year_ensure_holding(*, on: datetime.date, actor) -> LoanYear:
    """Demo data only (`seed_demo`): the loan year of day `on` with its calendar moved as a whole, so that
    `on` lies in the first week of the county intake window — every later date (receipts, bank,
    certificates, archive) keeps its distance and still lies ahead, and `make run` demonstrates the whole
    cycle on any day. Each moved key date is an audited `key_date_update` by the province manager."""
    year = current_loan_year(on)
    loan_year = loan_year_ensure(year=year, actor=actor)
    intake = loan_year.key_dates.get(code="intake_window")
    if intake.start_date <= on <= intake.end_date:
        return loan_year
    shift = on - datetime.timedelta(days=7) - intake.start_date
    for key_date in loan_year.key_dates.order_by("-end_date" if shift.days > 0 else "start_date"):
        key_date_update(
            actor=actor,
            key_date=key_date,
            start_date=key_date.start_date + shift,
            end_date=key_date.end_date + shift,
            reason=DEMO_SHIFT_REASON,
        )
    return loan_year


def _require_editor(actor) -> None:
    if getattr(actor, "role", None) not in CALENDAR_EDITOR_ROLES:
        raise PermissionDeniedError("只有省中心负责人可以修改工作日历")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("请填写修改原因", field="reason")
    return reason


@_forgets_calendar
@transaction.atomic
def key_date_update(
    *,
    actor,
    key_date: KeyDate,
    start_date: datetime.date,
    end_date: datetime.date,
    reason: str,
    reminder_days: list[int] | None = None,
) -> KeyDate:
    """Move a key date for everyone (province manager, with a reason; audited)."""
    _require_editor(actor)
    reason = _reason(reason)
    locked = KeyDate.objects.select_for_update().select_related("loan_year").get(pk=key_date.pk)
    data = {"start_date": start_date, "end_date": end_date}
    if reminder_days is not None:
        data["reminder_days"] = reminder_days
    model_update(
        instance=locked,
        fields=["start_date", "end_date", "reminder_days"],
        data=data,
        actor=actor,
        action="key_date.update",
        reason=reason,
    )
    return locked


@transaction.atomic
def key_date_extend(
    *, actor, key_date: KeyDate, organisation: Organisation, end_date: datetime.date, reason: str
) -> KeyDateExtension:
    """Extend a key date for one organisation (e.g. one county's intake window), with a reason; audited.
    A second extension for the same organisation replaces the first (the audit row keeps both)."""
    _require_editor(actor)
    reason = _reason(reason)
    extension = (
        KeyDateExtension.objects.select_for_update()
        .filter(key_date=key_date, organisation=organisation)
        .first()
    )
    old = {"end_date": str(extension.end_date if extension else key_date.end_date)}
    if extension is None:
        extension = KeyDateExtension(key_date=key_date, organisation=organisation)
    extension.end_date = end_date
    extension.reason = reason
    extension.created_by = actor
    extension.full_clean()
    extension.save()
    audit_record(
        actor=actor,
        action="key_date.extend",
        obj=extension,
        old=old,
        new={"end_date": str(end_date), "key_date": key_date.code},
        reason=reason,
        organisation=organisation,
    )
    return extension


DAILY_TASK = "deadlines.tasks.run_calendar_daily"
DAILY_TASK_NAME = "工作日历每日执行（提醒与到期处理）"
CATCH_UP_TASK_NAME = "工作日历补跑（每小时，补做中断期间未执行的提醒与到期处理）"
CATCH_UP_HOURS = "2-23"
CATCH_UP_MINUTE = "45"


def _crontab(*, hour: str, minute: str):
    from django_celery_beat.models import CrontabSchedule

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    return crontab


@transaction.atomic
def calendar_schedule_ensure(*, hour: int = 1, minute: int = 30):
    """The beat entries of the calendar job (also created by migrations 0002 and 0003), idempotently: the
    daily run, and the hourly catch-up that makes up a run beat could not publish while the broker was down
    (the run is idempotent, so a normal day's later runs find nothing to do)."""
    from django_celery_beat.models import PeriodicTask

    task, _ = PeriodicTask.objects.update_or_create(
        name=DAILY_TASK_NAME,
        defaults={
            "task": DAILY_TASK,
            "crontab": _crontab(hour=str(hour), minute=str(minute)),
            "interval": None,
            "enabled": True,
            "kwargs": "{}",
        },
    )
    PeriodicTask.objects.update_or_create(
        name=CATCH_UP_TASK_NAME,
        defaults={
            "task": DAILY_TASK,
            "crontab": _crontab(hour=CATCH_UP_HOURS, minute=CATCH_UP_MINUTE),
            "interval": None,
            "enabled": True,
            "kwargs": "{}",
        },
    )
    return task
