"""The calendar engine: what the daily job does on a day (reminders before each date, enforcement after).

Idempotent and catching up by state, not by counting days: a run for day D does every enforcement whose
day (effective deadline + 1) is ≤ D and that has no EnforcementRun row yet, and for each key date whose
(effective) deadline is still ahead, the most urgent reminder lead time that has come and has no
Reminder row yet. Running twice on one day, or once after days of outage, therefore leaves each
enforcement done exactly once and each reminder sent at most once. See docs/calendar.md.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.models import Organisation, User
from loanportal.services import notification_send

from . import registry, rules
from .models import CalendarRun, EnforcementRun, KeyDate, KeyDateExtension, Reminder, ReminderStatus

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock(namespace, key_date pk): serialises two workers on the same key date.
_LOCK_NAMESPACE = 7_410_003
# Loan years looked at by a run: the running one, the one before (archive in March) and the next.
_YEARS_BACK = 2

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@dataclass
class ReminderLine:
    key_date: KeyDate
    organisation: Organisation
    deadline: datetime.date
    lead_days: int
    outcome: str  # ReminderStatus value
    outstanding: int | None = None
    recipients: int = 0
    url: str = ""

    def key(self) -> tuple:
        return (self.key_date.pk, self.organisation.pk, self.deadline, self.lead_days, self.outcome)

    kind = "提醒"

    @property
    def subject(self) -> str:
        return f"{self.key_date.short_label}（{rules.format_date(self.deadline)}截止）"

    def detail(self) -> str:
        when = "今天截止" if self.lead_days == 0 else f"还有{self.lead_days}天截止"
        if self.outcome == ReminderStatus.SENT:
            if self.outstanding is None:
                return f"{when}，待办数量未统计，提醒全部{self.recipients}人"
            return f"{when}，尚有{self.outstanding}项未完成，通知{self.recipients}人"
        if self.outcome == ReminderStatus.NOTHING_OWED:
            return f"{when}，已无待办，不提醒"
        return f"提前{self.lead_days}天的提醒已错过，由更近的提醒代替，不补发"

    def text(self) -> str:
        return f"【提醒】{self.subject} · {self.organisation.name}：{self.detail()}"


@dataclass
class EnforcementLine:
    key_date: KeyDate
    organisation: Organisation
    deadline: datetime.date
    due_on: datetime.date
    action: str
    items: list[str] = field(default_factory=list)
    registered: bool = True
    error: str = ""

    def key(self) -> tuple:
        return (self.key_date.pk, self.organisation.pk, self.deadline, tuple(self.items), self.registered)

    kind = "到期处理"

    @property
    def subject(self) -> str:
        return (
            f"{self.key_date.short_label}（{rules.format_date(self.deadline)}截止，"
            f"{rules.format_date(self.due_on)}起执行）"
        )

    def detail(self) -> str:
        if not self.registered:
            return f"处理程序“{self.action}”尚未登记，暂不执行（登记后自动补做）"
        if self.error:
            return f"执行失败（{self.error}），下次运行重试"
        if not self.items:
            return "没有需要处理的记录"
        return f"涉及{len(self.items)}项：" + "；".join(self.items)

    def text(self) -> str:
        head = f"【到期处理】{self.subject} · {self.organisation.name}"
        if self.items and self.registered and not self.error:
            return f"{head}：涉及{len(self.items)}项" + "".join(f"\n    - {item}" for item in self.items)
        return f"{head}：{self.detail()}"


@dataclass
class CalendarReport:
    as_of: datetime.date
    dry_run: bool
    reminders: list[ReminderLine] = field(default_factory=list)
    enforcements: list[EnforcementLine] = field(default_factory=list)
    daily: list[str] = field(default_factory=list)  # what the registered daily jobs did (or would do)

    @property
    def reminders_sent(self) -> int:
        return sum(1 for line in self.reminders if line.outcome == ReminderStatus.SENT)

    @property
    def enforced(self) -> int:
        return sum(1 for line in self.enforcements if line.registered and not line.error)

    @property
    def entries(self) -> list:
        return [*self.enforcements, *self.reminders]

    def lines(self) -> list[str]:
        mode = "预演（不写入任何数据）" if self.dry_run else "执行"
        out = [f"工作日历 {rules.format_date(self.as_of)} {mode}"]
        if not self.reminders and not self.enforcements and not self.daily:
            out.append("今天没有需要提醒或处理的事项。")
        out += [line.text() for line in self.enforcements]
        out += self.daily
        out += [line.text() for line in self.reminders]
        return out


def _advisory_lock(key_date_pk: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, key_date_pk])


def _calendar_url() -> str:
    return reverse("calendar")


def calendar_run(*, as_of: datetime.date, dry_run: bool = False) -> CalendarReport:
    """Run the calendar for day `as_of`. With dry_run, compute the same report and write nothing
    (handlers are told dry_run=True and the whole run is rolled back as a second guard)."""
    if dry_run:
        with transaction.atomic():
            report = _run(as_of=as_of, dry_run=True)
            transaction.set_rollback(True)
        return report
    started = timezone.now()
    report = _run(as_of=as_of, dry_run=False)
    with transaction.atomic():
        log, _ = CalendarRun.objects.select_for_update().get_or_create(
            as_of=as_of, defaults={"started_at": started}
        )
        log.started_at = started
        log.finished_at = timezone.now()
        log.runs += 1
        log.enforcements += report.enforced
        log.reminders_sent += report.reminders_sent
        log.save()
    return report


def _run(*, as_of: datetime.date, dry_run: bool) -> CalendarReport:
    report = CalendarReport(as_of=as_of, dry_run=dry_run)
    _run_daily_jobs(report, as_of=as_of, dry_run=dry_run)
    key_dates = list(
        KeyDate.objects.select_related("loan_year")
        .filter(loan_year__year__gte=as_of.year - _YEARS_BACK, loan_year__year__lte=as_of.year + 1)
        .order_by("end_date", "order")
    )
    if not key_dates:
        return report
    kinds = {kd.owed_by for kd in key_dates}
    organisations: dict[str, list[Organisation]] = {kind: [] for kind in kinds}
    for org in Organisation.objects.filter(kind__in=kinds, is_active=True).order_by("code"):
        organisations[org.kind].append(org)
    extensions = {
        (ext.key_date_id, ext.organisation_id): ext.end_date
        for ext in KeyDateExtension.objects.filter(key_date__in=key_dates)
    }
    enforced = set(
        EnforcementRun.objects.filter(key_date__in=key_dates).values_list("key_date_id", "organisation_id")
    )
    reminded = set(
        Reminder.objects.filter(key_date__in=key_dates).values_list(
            "key_date_id", "organisation_id", "deadline", "lead_days"
        )
    )
    work = []
    for kd in key_dates:
        for org in organisations.get(kd.owed_by, []):
            deadline = extensions.get((kd.pk, org.pk), kd.end_date)
            work.append((deadline, kd.order, org.code, kd, org))
    work.sort(key=lambda item: item[:3])  # chronological, as on-time daily runs would have done it
    for deadline, _, _, kd, org in work:
        if (
            kd.enforcement_action
            and rules.enforcement_due_on(deadline) <= as_of
            and (kd.pk, org.pk) not in enforced
        ):
            line = _enforce(kd, org, deadline, as_of=as_of, dry_run=dry_run)
            if line is not None:
                report.enforcements.append(line)
    for deadline, _, _, kd, org in work:
        if kd.reminder_days and deadline >= as_of:
            report.reminders += _remind(kd, org, deadline, as_of=as_of, dry_run=dry_run, reminded=reminded)
    return report


def _run_daily_jobs(report: CalendarReport, *, as_of: datetime.date, dry_run: bool) -> None:
    """The registered daily jobs (registry.register_daily_job): each idempotent and catching up by itself."""
    for name, handler in sorted(registry.daily_jobs().items()):
        try:
            touched = handler(as_of=as_of, dry_run=dry_run)
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # one failing job must not stop the calendar
            logger.exception("calendar daily job %s failed", name)
            report.daily.append(f"【每日任务】{name}：失败（{str(exc)[:100] or exc.__class__.__name__}）")
            continue
        if touched:
            report.daily.append(
                f"【每日任务】{name}：涉及{len(touched)}项"
                + "".join(f"\n    - {text}" for _, text in touched)
            )


def _enforce(kd: KeyDate, org: Organisation, deadline, *, as_of, dry_run) -> EnforcementLine | None:
    due_on = rules.enforcement_due_on(deadline)
    line = EnforcementLine(kd, org, deadline, due_on, kd.enforcement_action)
    handler = registry.enforcement_for(kd.enforcement_action)
    if handler is None:
        line.registered = False
        return line
    kwargs = {"loan_year": kd.loan_year, "key_date": kd, "organisation": org, "as_of": as_of}
    if dry_run:
        line.items = [description for _, description in handler(dry_run=True, **kwargs)]
        return line
    try:
        with transaction.atomic():
            _advisory_lock(kd.pk)
            if EnforcementRun.objects.filter(key_date=kd, organisation=org).exists():
                return None  # another worker did it while we were waiting for the lock
            touched = handler(dry_run=False, **kwargs)
            line.items = [description for _, description in touched]
            run = EnforcementRun(
                key_date=kd,
                organisation=org,
                action=kd.enforcement_action,
                deadline=deadline,
                due_on=due_on,
                run_on=as_of,
                touched=len(touched),
                summary=line.items[:200],
            )
            run.full_clean()
            run.save()
            audit_record(
                actor=None,
                action="calendar.enforce",
                obj=run,
                new={
                    "key_date": kd.code,
                    "loan_year": kd.loan_year.year,
                    "action": kd.enforcement_action,
                    "deadline": str(deadline),
                    "touched": len(touched),
                },
                organisation=org,
            )
    except TRANSIENT_ERRORS:
        raise  # the task retries the whole (idempotent) run
    except Exception as exc:  # one failing handler must not stop the others
        logger.exception("calendar enforcement %s for %s failed", kd.enforcement_action, org.code)
        line.error = str(exc)[:200] or exc.__class__.__name__
        line.items = []
    return line


def _remind(kd: KeyDate, org: Organisation, deadline, *, as_of, dry_run, reminded) -> list[ReminderLine]:
    to_send, missed = rules.reminder_plan(deadline=deadline, lead_days=kd.reminder_days, on=as_of)
    pending = [
        lead for lead in sorted(missed, reverse=True) if (kd.pk, org.pk, deadline, lead) not in reminded
    ]
    if to_send is not None and (kd.pk, org.pk, deadline, to_send) in reminded:
        to_send = None
    if to_send is None and not pending:
        return []
    lines = [ReminderLine(kd, org, deadline, lead, ReminderStatus.SUPERSEDED) for lead in pending]
    if to_send is not None:
        obligation = registry.count_obligation(kd.code, organisation=org, loan_year=kd.loan_year)
        users = list(User.objects.filter(organisation=org, is_active=True).order_by("pk"))
        line = ReminderLine(
            kd,
            org,
            deadline,
            to_send,
            ReminderStatus.SENT,
            outstanding=obligation.count if obligation else None,
            recipients=len(users),
            url=(obligation.url if obligation and obligation.url else _calendar_url()),
        )
        if obligation is not None and obligation.count == 0:
            line.outcome, line.recipients = ReminderStatus.NOTHING_OWED, 0
        lines.append(line)
    if dry_run:
        return lines
    with transaction.atomic():
        _advisory_lock(kd.pk)
        done = set(
            Reminder.objects.filter(key_date=kd, organisation=org, deadline=deadline).values_list(
                "lead_days", flat=True
            )
        )
        lines = [line for line in lines if line.lead_days not in done]
        for line in lines:
            if line.outcome == ReminderStatus.SENT:
                users = User.objects.filter(organisation=org, is_active=True).order_by("pk")
                _notify(line, users)
            Reminder.objects.create(
                key_date=kd,
                organisation=org,
                deadline=deadline,
                lead_days=line.lead_days,
                scheduled_on=deadline - datetime.timedelta(days=line.lead_days),
                processed_on=as_of,
                status=line.outcome,
                outstanding=line.outstanding,
                recipients=line.recipients,
            )
    return lines


def _notify(line: ReminderLine, users) -> None:
    kd, deadline = line.key_date, line.deadline
    when = "今天截止" if line.lead_days == 0 else f"还有{line.lead_days}天截止"
    owed = f"贵单位尚有{line.outstanding}项未完成。" if line.outstanding is not None else ""
    notification_send(
        recipients=users,
        title=f"{kd.short_label}{when}（{rules.format_date(deadline)}）",
        body=f"{kd.loan_year.year}年度：{kd.label}，截止日期{rules.format_date(deadline)}。{owed}请按时完成。",
        url=line.url,
        category="calendar",
        level="warning" if line.lead_days <= 1 else "info",
        dedupe_key=f"calendar:{kd.pk}:{line.organisation.pk}:{deadline:%Y%m%d}:{line.lead_days}",
    )
