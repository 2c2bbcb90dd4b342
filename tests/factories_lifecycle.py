"""Helpers for application-lifecycle tests: valid intake data and an application made through services."""

import datetime

from applications.services import lifecycle as services
from tests.factories import valid_id

# A day inside the default intake window (notice 八: 7/15–9/20) of loan year 2026.
INTAKE_DAY = datetime.date(2026, 8, 3)
# A day before the default receipt deadline (notice 八: 10/10) of loan year 2026.
RECEIPT_DAY = datetime.date(2026, 9, 25)
# A day inside each dated move's key date of loan year 2026 (notice 八's defaults).
STEP_DAY = {
    "receipt_entered": RECEIPT_DAY,
    "receipt_confirmed": datetime.date(2026, 10, 8),
    "bank_approved": datetime.date(2026, 11, 10),
    "bank_declined": datetime.date(2026, 11, 10),
    "disbursed": datetime.date(2026, 11, 15),
    "fee_certified": datetime.date(2026, 11, 25),
    "archived": datetime.date(2027, 3, 1),
}
# "Today" for tests whose 2026 data meet a page, a job or a service that reads the date itself (a list's
# default year, the key date open today): the day the suite was last run unpinned, in loan year 2026 —
# after the fee-certificate window (11/30), before the archive deadline (3/31/2027). The `today` fixture
# (tests/conftest.py) sets the portal's clock to it, so such a test passes on any day it is run.
TODAY = datetime.date(2026, 12, 2)


def open_calendar(year: int = 2026):
    from deadlines.services import loan_year_ensure

    return loan_year_ensure(year=year)


def intake_kwargs(world, *, student=None, university=None, **overrides) -> dict:
    """Keyword arguments of application_create for a new (or registered) student of county 1."""
    county = world.county1
    if isinstance(student, dict):
        overrides["student"] = student
        student = None
    id_number = student.id_number if student else valid_id(county.code, "20070315")
    data = {
        "student": {
            "name": student.name if student else "新同学",
            "id_number": id_number,
            "phone": "13812345678",
            "address": "榆中县城关镇1号",
        },
        "co_borrower": {
            "name": "新家长",
            "id_number": valid_id(county.code, "19750505"),
            "relationship": "father",
            "phone": "13900001111",
        },
        "study": {
            "university": university or world.university1,
            "major": "计算机科学与技术",
            "level": "undergraduate",
            "enrolment_year": 2026,
            "study_years": 4,
        },
        "tuition_amount": 5000,
        "accommodation_amount": 1200,
        "commitment_accepted": True,
        "on": INTAKE_DAY,
    }
    for key, value in overrides.items():
        if key in ("student", "co_borrower", "study"):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def make_application(world, *, actor=None, to: str = "accepted", **kwargs):
    """An application through the services, moved along the main path up to state `to`."""
    kwargs.setdefault("check_window", False)
    actor = actor or world.users.county1_staff
    application = services.application_create(actor=actor, **intake_kwargs(world, **kwargs))
    path = [
        "contract_signed",
        "receipt_entered",
        "receipt_confirmed",
        "bank_approved",
        "disbursed",
        "fee_certified",
        "archived",
    ]
    if to == "accepted":
        return application
    for step in path:
        if step in ("receipt_entered", "fee_certified"):
            user = (
                world.users.university1_officer
                if application.university_id == world.university1.pk
                else world.users.university4_officer
            )
        elif step in ("bank_approved", "disbursed"):
            user = world.users.bank_officer
        else:
            user = actor
        if step == "receipt_entered":
            open_calendar(application.year)
            application = services.receipt_enter(
                actor=user, receipt_code=application.receipt_code, on=RECEIPT_DAY
            )
        else:
            application = services.application_transition(
                actor=user, application=application, to=step, on=STEP_DAY.get(step)
            )
        if step == "disbursed":
            application = disbursement_report(application)
        if step == to:
            return application
    raise ValueError(to)


def disbursement_report(application, *, on: datetime.date = datetime.date(2026, 11, 18)):
    """The bank's report of a disbursement (到账: date, amount to the university's fee account, the rest
    to the student), as the bank-status import records it; a fee certificate needs it."""
    from applications.models import Application

    Application.objects.filter(pk=application.pk).update(
        disbursed_on=on,
        disbursed_to_university=application.tuition_amount + application.accommodation_amount,
        disbursed_to_student=0,
    )
    application.refresh_from_db()
    return application


def receipt_entry_open(world, year: int = 2026, until: datetime.date | None = None):
    """The universities' receipt deadline of `year` extended past today (a province manager's extension),
    so pages and API that enter receipts today are inside the calendar."""
    from django.utils import timezone

    from deadlines.services import key_date_extend, key_date_get

    open_calendar(year)
    until = until or timezone.localdate() + datetime.timedelta(days=30)
    for university in (world.university1, world.university2, world.university4):
        key_date_extend(
            actor=world.users.province_manager,
            key_date=key_date_get("receipt_entry_due", year=year),
            organisation=university,
            end_date=until,
            reason="测试：回执录入延期",
        )


def bank_approval_open(world, year: int = 2026, until: datetime.date | None = None):
    """The bank's approval deadline of `year` extended past today (pages and API act today)."""
    from django.utils import timezone

    from deadlines.services import key_date_extend, key_date_get

    open_calendar(year)
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("bank_approval_due", year=year),
        organisation=world.bank,
        end_date=until or timezone.localdate() + datetime.timedelta(days=30),
        reason="测试：审批延期",
    )
