"""Issue 7 item 10 and issue 8 "One scope mechanism": every write checks the actor's scope through one
place, the selectors share one scope function, the audit search shows a manager only rows about objects
in scope."""

import re
from pathlib import Path

import pytest

from loanportal import services as core_services
from loanportal.audit import audit_record
from loanportal.errors import PermissionDeniedError
from loanportal.models import AuditEvent, CoBorrower, Student
from loanportal.selectors import audit_events_visible_to
from renewals.models import FeeStandard
from renewals.services import fee_standard_set
from tests.factories import valid_id

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_issue7_student_create_checks_the_actors_county(world):
    """County 1's clerk cannot register a student of county 3 (生源地), nothing is written."""
    students, events = Student.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDeniedError):
        core_services.student_create(
            actor=world.users.county1_staff,
            name="越权登记",
            id_number=valid_id(world.county3.code, "20060101"),
            household_county=world.county3,
            university=world.university1,
        )
    assert (Student.objects.count(), AuditEvent.objects.count()) == (students, events)
    created = core_services.student_create(
        actor=world.users.county3_staff,
        name="本县登记",
        id_number=valid_id(world.county3.code, "20060102"),
        household_county=world.county3,
        university=world.university1,
    )
    assert created.household_county_id == world.county3.pk


def test_issue7_student_update_and_co_borrower_add_check_scope(world):
    student = world.students.c3_u1
    with pytest.raises(PermissionDeniedError):
        core_services.student_update(actor=world.users.county1_staff, student=student, phone="13900000000")
    with pytest.raises(PermissionDeniedError):  # nor move its own student to another county
        core_services.student_update(
            actor=world.users.county1_staff, student=world.students.c1_u1, household_county=world.county3
        )
    with pytest.raises(PermissionDeniedError):
        core_services.co_borrower_add(
            actor=world.users.county1_staff,
            student=student,
            name="越权家长",
            id_number=valid_id(world.county3.code, "19700101"),
            relationship="father",
        )
    student.refresh_from_db()
    world.students.c1_u1.refresh_from_db()
    assert student.phone != "13900000000" and world.students.c1_u1.household_county_id == world.county1.pk
    assert not CoBorrower.objects.filter(name="越权家长").exists()


def test_issue7_fee_standard_set_checks_the_university(world):
    with pytest.raises(PermissionDeniedError):
        fee_standard_set(
            actor=world.users.university4_officer,
            university=world.university1,
            year=2026,
            major="数学",
            level="undergraduate",
            tuition=1,
        )
    assert not FeeStandard.objects.exists()


def test_issue7_audit_search_shows_a_manager_only_rows_about_objects_in_scope(world):
    """A row written by county 1's clerk about a county 3 student (as the old demo seeder did) is not in
    county 1's audit search; it is in county 3's city's; the clerk's own login row stays visible."""
    student = world.students.c3_u1
    about_county3 = audit_record(
        actor=world.users.county1_staff,
        action="student.create",
        obj=student,
        organisation=world.county3,
        university=world.university1,
    )
    login = audit_record(actor=world.users.county1_staff, action="auth.login")
    county1 = set(audit_events_visible_to(user=world.users.county1_manager).values_list("pk", flat=True))
    assert about_county3.pk not in county1 and login.pk in county1
    province = set(audit_events_visible_to(user=world.users.province_manager).values_list("pk", flat=True))
    assert {about_county3.pk, login.pk} <= province


def test_issue8_one_scope_function_no_org_kind_switch_in_selectors():
    """The org.kind switches of the selectors became loanportal.scope.scope_q; no selector switches on
    the kind of the user's organisation itself."""
    switch = re.compile(r"\borg(anisation)?\.kind\s*(==|!=|in\b|not in\b)\s*\(?\s*OrgKind")
    offenders = []
    for path in [*ROOT.glob("*/selectors.py"), *ROOT.glob("*/selectors/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if switch.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_issue8_views_fetch_through_selectors():
    """Views never filter a model by county themselves (Model.objects.filter(county=…))."""
    pattern = re.compile(r"\.objects\.filter\([^)]*\bcounty\s*=")
    offenders = []
    for path in [*ROOT.glob("*/views.py"), *ROOT.glob("*/views/**/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
