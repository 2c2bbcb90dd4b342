"""Helpers for the calendar tests: a test enforcement that touches real rows (one audit row per student
of the organisation), an obligation counter the test controls, and normalised snapshots of the state the
calendar job leaves behind."""

import datetime

from django.apps import apps
from django.db import connection

from deadlines import registry
from deadlines.models import CalendarRun, EnforcementRun, KeyDate, Reminder, ReminderStatus
from deadlines.services import loan_year_ensure
from loanportal.audit import audit_record
from loanportal.models import AuditEvent, Notification, Student

TEST_CLOSE = "test.close_intake"
TEST_ABANDON = "test.abandon_unreceipted"
TEST_ACTIONS = ("test.enforced",)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def students_of(organisation):
    return Student.objects.filter(household_county=organisation) | Student.objects.filter(
        university=organisation
    )


def enforcement_handler(*, loan_year, key_date, organisation, as_of, dry_run):
    """Like a real handler: finds the rows the deadline concerns and changes them through an audited write."""
    touched = []
    for student in students_of(organisation).order_by("pk"):
        description = f"{student.name}：{key_date.short_label}截止，按规定处理"
        if not dry_run:
            audit_record(
                actor=None,
                action="test.enforced",
                obj=student,
                new={"key_date": key_date.code, "loan_year": loan_year.year},
                organisation=organisation,
            )
        touched.append((student, description))
    return touched


class Counter:
    """Obligation counter whose answer the test sets per organisation (default: students of the org)."""

    def __init__(self):
        self.overrides: dict[int, int] = {}

    def __call__(self, *, organisation, loan_year):
        count = self.overrides.get(organisation.pk, students_of(organisation).count())
        return registry.Obligation(count=count, url="/students/")


def setup_calendar(world, *, year: int = 2026):
    """Loan year with the default calendar; enforcement only on the intake window and receipt entry."""
    loan_year = loan_year_ensure(year=year)
    KeyDate.objects.filter(loan_year=loan_year).update(enforcement_action="")
    KeyDate.objects.filter(loan_year=loan_year, code="intake_window").update(enforcement_action=TEST_CLOSE)
    KeyDate.objects.filter(loan_year=loan_year, code="receipt_entry_due").update(
        enforcement_action=TEST_ABANDON
    )
    return loan_year


def days(first: str, last: str):
    day, end = d(first), d(last)
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def table_counts() -> dict[str, int]:
    """Row count of every table of every installed model (for "writes nothing")."""
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in counts:
                continue
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - table names from the ORM
            counts[table] = cursor.fetchone()[0]
    return counts


def enforcement_state() -> set:
    """What was enforced, independent of when the job happened to run (run_on is the actual day)."""
    return {
        (run.key_date.code, run.organisation.code, run.deadline, run.due_on, run.touched, tuple(run.summary))
        for run in EnforcementRun.objects.select_related("key_date", "organisation")
    }


def audit_state(since_pk: int = 0) -> list:
    """Audit rows written by the calendar and the test enforcement, normalised (no pks of run rows)."""
    rows = AuditEvent.objects.filter(pk__gt=since_pk, action__in=["calendar.enforce", *TEST_ACTIONS])
    result = []
    for event in rows.select_related("organisation"):
        object_pk = event.object_pk if event.action in TEST_ACTIONS else ""
        result.append((event.action, event.object_type, object_pk, event.organisation.code, repr(event.new)))
    return sorted(result)


def reminder_state() -> dict:
    return {
        (r.key_date.code, r.organisation.code, r.deadline, r.lead_days): r.status
        for r in Reminder.objects.select_related("key_date", "organisation")
    }


def sent_notifications() -> list:
    return sorted(
        Notification.objects.filter(category="calendar").values_list("recipient__username", "dedupe_key")
    )


def reset_calendar_records():
    """Forget what the job did (the audit log is append-only and stays; compare it by delta)."""
    EnforcementRun.objects.all().delete()
    Reminder.objects.all().delete()
    CalendarRun.objects.all().delete()
    Notification.objects.filter(category="calendar").delete()


def last_audit_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


__all__ = ["ReminderStatus"]
