"""`seed_demo` is idempotent and prints a random password only once."""

from io import StringIO

from django.core.management import call_command

from loanportal.models import AuditEvent, Organisation, Student, User
from loanportal.roles import OrgKind

REQUIRED_USERS = {
    "province_officer",
    "province_manager",
    "bank_officer",
    "city1_manager",
    "county1_staff",
    "county1_manager",
    "county2_staff",
    "county3_staff",
    "university1_officer",
    "university4_officer",
    "university1_manager",
}


def test_seed_demo_idempotent(db):
    first = StringIO()
    call_command("seed_demo", stdout=first)
    assert "只显示这一次" in first.getvalue()
    counts = (
        Organisation.objects.count(),
        User.objects.count(),
        Student.objects.count(),
        AuditEvent.objects.count(),
    )
    second = StringIO()
    call_command("seed_demo", stdout=second)
    assert "只显示这一次" not in second.getvalue()
    assert counts == (
        Organisation.objects.count(),
        User.objects.count(),
        Student.objects.count(),
        AuditEvent.objects.count(),
    )
    assert set(User.objects.values_list("username", flat=True)) >= REQUIRED_USERS
    assert Organisation.objects.filter(kind=OrgKind.CITY).count() == 2
    assert Organisation.objects.filter(kind=OrgKind.COUNTY).count() == 4
    assert Organisation.objects.filter(kind=OrgKind.UNIVERSITY, in_province=True).count() == 3
    assert Organisation.objects.filter(kind=OrgKind.UNIVERSITY, in_province=False).count() == 3
    county1 = User.objects.get(username="county1_staff").organisation
    county2 = User.objects.get(username="county2_staff").organisation
    county3 = User.objects.get(username="county3_staff").organisation
    assert county1.parent == county2.parent != county3.parent
    assert not User.objects.get(username="university4_officer").organisation.in_province
    assert Student.objects.filter(household_county=county1, university__code="10698").exists()


def test_seed_demo_password_option(db):
    call_command("seed_demo", "--password", "Another-pass-42", stdout=StringIO())
    assert User.objects.get(username="county1_staff").check_password("Another-pass-42")
