"""Shared fixtures: a small province (`world`) with one user per role, and logged-in clients."""

import os
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from loanportal.roles import OrgKind, Role

from .factories import CoBorrowerFactory, OrganisationFactory, StudentFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls made next to it are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TEST_OUTPUT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-output")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests read their own writes on the dashboard at once; tests/test_dashboard_cache.py turns sharing on.
    settings.DASHBOARD_CARD_SECONDS = 0
    # A failed publish in an earlier test (its broker stopped) does not hold back this test's (dispatch.py).
    from loanportal.dispatch import broker_down_reset

    broker_down_reset()
    # Export files (an import's error report is one, made on its download) under the test's own tmp folder.
    settings.EXPORT_ROOT = str(tmp_path / "exports")


@pytest.fixture
def today(monkeypatch):
    """The portal's clock on a fixed day: django.utils.timezone.now — hence localdate(), current_loan_year(),
    a page's default year, a service called without `on` — reads factories_lifecycle.TODAY (loan year 2026,
    the year of the tests' fixed dates) at the real time of day. Returns a function to move to another day:
    `today(datetime.date(2026, 10, 12))`. The intake queue's clock follows it unless a test sets that clock
    (factories_intake.clock)."""
    from django.utils import timezone

    from .factories_lifecycle import TODAY

    real_now = timezone.now

    def set_today(day):
        shift = day - timezone.localdate(real_now())
        monkeypatch.setattr(timezone, "now", lambda: real_now() + shift)
        return day

    set_today(TODAY)
    return set_today


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def live_world(transactional_db):
    """The same province, committed, for tests where another thread or process reads it."""
    return build_world()


def build_world():
    """Province → 2 cities → 3 counties (county1, county2 in city1; county3 in city2), 2 in-province and
    1 out-of-province university, the bank, one user per role, students spread over them."""
    province = OrganisationFactory(kind=OrgKind.PROVINCE, code="620000", name="甘肃省学生资助管理中心")
    city1 = OrganisationFactory(
        kind=OrgKind.CITY, code="620100", name="兰州市教育局资助中心", parent=province
    )
    city2 = OrganisationFactory(
        kind=OrgKind.CITY, code="620500", name="天水市教育局资助中心", parent=province
    )
    county1 = OrganisationFactory(
        kind=OrgKind.COUNTY, code="620123", name="榆中县学生资助管理中心", parent=city1
    )
    county2 = OrganisationFactory(
        kind=OrgKind.COUNTY, code="620122", name="皋兰县学生资助管理中心", parent=city1
    )
    county3 = OrganisationFactory(
        kind=OrgKind.COUNTY, code="620522", name="秦安县学生资助管理中心", parent=city2
    )
    university1 = OrganisationFactory(kind=OrgKind.UNIVERSITY, code="10730", name="兰州大学")
    university2 = OrganisationFactory(kind=OrgKind.UNIVERSITY, code="10736", name="西北师范大学")
    university4 = OrganisationFactory(
        kind=OrgKind.UNIVERSITY, code="10698", name="西安交通大学", in_province=False
    )
    bank = OrganisationFactory(
        kind=OrgKind.BANK, code="9162000", name="国家开发银行甘肃省分行", parent=province
    )

    def user(username, role, org):
        return UserFactory(username=username, role=role, organisation=org)

    users = SimpleNamespace(
        province_officer=user("province_officer", Role.PROVINCE_OFFICER, province),
        province_manager=user("province_manager", Role.PROVINCE_MANAGER, province),
        bank_officer=user("bank_officer", Role.BANK_OFFICER, bank),
        city1_manager=user("city1_manager", Role.CITY_MANAGER, city1),
        county1_staff=user("county1_staff", Role.COUNTY_STAFF, county1),
        county1_manager=user("county1_manager", Role.COUNTY_MANAGER, county1),
        county2_staff=user("county2_staff", Role.COUNTY_STAFF, county2),
        county3_staff=user("county3_staff", Role.COUNTY_STAFF, county3),
        university1_officer=user("university1_officer", Role.UNIVERSITY_OFFICER, university1),
        university1_manager=user("university1_manager", Role.UNIVERSITY_MANAGER, university1),
        university4_officer=user("university4_officer", Role.UNIVERSITY_OFFICER, university4),
    )
    students = SimpleNamespace(
        c1_u1=StudentFactory(name="甲一", household_county=county1, university=university1),
        c1_u4=StudentFactory(name="甲四", household_county=county1, university=university4),
        c2_u2=StudentFactory(name="乙二", household_county=county2, university=university2),
        c3_u1=StudentFactory(name="丙一", household_county=county3, university=university1),
        c3_u2=StudentFactory(name="丙二", household_county=county3, university=university2),
    )
    CoBorrowerFactory(student=students.c1_u1)
    return SimpleNamespace(
        province=province,
        city1=city1,
        city2=city2,
        county1=county1,
        county2=county2,
        county3=county3,
        university1=university1,
        university2=university2,
        university4=university4,
        bank=bank,
        users=users,
        students=students,
    )


@pytest.fixture
def client_for(client):
    """client_for(user) → a Django test client logged in as that user."""

    def make(user):
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for():
    """api_for(user) → a DRF APIClient authenticated as that user."""

    def make(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    return make


@pytest.fixture
def test_output_dir():
    os.makedirs(TEST_OUTPUT, exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture
def eager():
    """Celery jobs run in-process when their on_commit callback runs (tests without a worker)."""
    from loanportal.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def calamine_calls(monkeypatch):
    """Every opening of a workbook by python_calamine (the third-party reader; our own code is not wrapped)."""
    import python_calamine

    calls = []
    real = python_calamine.CalamineWorkbook

    class Recording:
        @staticmethod
        def from_filelike(*args, **kwargs):
            calls.append(args)
            return real.from_filelike(*args, **kwargs)

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Recording)
    return calls
