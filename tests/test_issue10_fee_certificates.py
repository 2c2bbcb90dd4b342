"""Issue 10 — fee certificates (收费证明, notice 八: 11月20日至30日高校查看学费到账情况并开具收费证明): only after
the bank's disbursement has arrived, numbered per university and year (unique, also when two officers
issue at once), one by one or in bulk, outside the window only with the calendar's extension (the
refusal prints the real dates), through the one transition service (fee_certified, audited)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationStatus, FeeCertificate
from applications.services import lifecycle as services
from deadlines.services import key_date_extend, key_date_get
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import AuditEvent

from .concurrency import race
from .factories import is_postgresql, valid_id
from .factories_lifecycle import make_application, open_calendar

# The 2026 data here meet pages and services that read the date (a list defaults to today's loan year):
# the portal's clock is on a day of loan year 2026 (conftest.today).
pytestmark = pytest.mark.usefixtures("today")

IN_WINDOW = datetime.date(2026, 11, 25)


def _disbursed(world, n: int, *, arrived: bool = True, university=None) -> list[Application]:
    open_calendar(2026)
    apps = []
    for i in range(n):
        application = make_application(
            world,
            to="disbursed",
            university=university,
            student={
                "name": f"学生{'甲乙丙丁戊己庚辛'[i]}",
                "id_number": valid_id(world.county1.code, f"200703{10 + i}"),
            },
        )
        if not arrived:
            Application.objects.filter(pk=application.pk).update(
                disbursed_on=None, disbursed_to_university=None, disbursed_to_student=None
            )
        application.refresh_from_db()
        apps.append(application)
    return apps


def _window_open_today(world, university=None):
    """The university's extension of the window past today (a province manager's calendar decision)."""
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("fee_certificate_window", year=2026),
        organisation=university or world.university1,
        end_date=max(timezone.localdate(), datetime.date(2026, 11, 30)) + datetime.timedelta(days=10),
        reason="测试：收费证明开具延期",
    )


def test_issue10_notice_8_fee_certificate_not_before_disbursement(world):
    """Bank approved but not disbursed: refused (409) — the tuition has not arrived; nothing made."""
    open_calendar(2026)
    approved = make_application(world, to="bank_approved")
    with pytest.raises(ConflictError, match="银行尚未放款"):
        services.fee_certificate_issue(
            actor=world.users.university1_officer, application=approved, on=IN_WINDOW
        )
    approved.refresh_from_db()
    assert approved.status == ApplicationStatus.BANK_APPROVED
    assert not FeeCertificate.objects.exists()


def test_issue10_notice_8_fee_certificate_needs_the_arrival_reported(world):
    """Disbursed, but the bank has not reported the date and amount that arrived: refused."""
    (application,) = _disbursed(world, 1, arrived=False)
    with pytest.raises(ConflictError, match="尚未报送放款日期"):
        services.fee_certificate_issue(
            actor=world.users.university1_officer, application=application, on=IN_WINDOW
        )


def test_issue10_notice_8_fee_certificate_issued_numbered_and_audited(world):
    first, second = _disbursed(world, 2)
    officer = world.users.university1_officer
    one = services.fee_certificate_issue(actor=officer, application=first, on=IN_WINDOW)
    two = services.fee_certificate_issue(actor=officer, application=second, on=IN_WINDOW)
    assert (one.number, two.number) == ("2026-10730-00001", "2026-10730-00002")
    assert one.disbursed_to_university == 6200 and one.disbursed_on == datetime.date(2026, 11, 18)
    assert one.issued_by == officer and one.tuition_amount == first.tuition_amount
    first.refresh_from_db()
    assert first.status == ApplicationStatus.FEE_CERTIFIED
    assert AuditEvent.objects.filter(object_pk=str(first.pk), action="application.fee_certified").count() == 1
    with pytest.raises(ConflictError):  # once only
        services.fee_certificate_issue(actor=officer, application=first, on=IN_WINDOW)
    assert FeeCertificate.objects.count() == 2


def test_issue10_fee_certificate_only_the_students_university(world):
    (application,) = _disbursed(world, 1)
    with pytest.raises(PermissionDeniedError):
        services.fee_certificate_issue(
            actor=world.users.university4_officer, application=application, on=IN_WINDOW
        )
    with pytest.raises(PermissionDeniedError):
        services.fee_certificate_issue(actor=world.users.county1_staff, application=application, on=IN_WINDOW)


def test_issue10_notice_8_fee_certificate_outside_the_window_refused_with_the_real_dates(world):
    """Before 11/20 and after 11/30 refused, the message naming the window; the university's extension
    lets it issue late."""
    (application,) = _disbursed(world, 1)
    officer = world.users.university1_officer
    for day in (datetime.date(2026, 11, 19), datetime.date(2026, 12, 1)):
        with pytest.raises(DomainError) as caught:
            services.fee_certificate_issue(actor=officer, application=application, on=day)
        assert caught.value.message == "不在收费证明开具期内（11月20日至11月30日），不能开具收费证明"
    key_date_extend(
        actor=world.users.province_manager,
        key_date=key_date_get("fee_certificate_window", year=2026),
        organisation=world.university1,
        end_date=datetime.date(2026, 12, 5),
        reason="到账较晚，延期开具",
    )
    with pytest.raises(DomainError, match="本机构已延期至12月5日"):
        services.fee_certificate_issue(actor=officer, application=application, on=datetime.date(2026, 12, 6))
    certificate = services.fee_certificate_issue(
        actor=officer, application=application, on=datetime.date(2026, 12, 3)
    )
    assert certificate.number == "2026-10730-00001"


def test_issue10_fee_certificate_numbers_unique_per_university_and_year_constraint(world):
    """The database refuses a second certificate with the same (university, year, sequence)."""
    from django.db import IntegrityError, transaction

    first, second = _disbursed(world, 2)
    certificate = services.fee_certificate_issue(
        actor=world.users.university1_officer, application=first, on=IN_WINDOW
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeCertificate.objects.create(
            application=second,
            university=world.university1,
            year=2026,
            sequence=certificate.sequence,
            number="2026-10730-X",
            tuition_amount=1,
            accommodation_amount=1,
            disbursed_on=IN_WINDOW,
            disbursed_to_university=1,
            issued_by=world.users.university1_officer,
            issued_at=timezone.now(),
        )


@pytest.mark.django_db(transaction=True)
def test_issue10_fee_certificate_numbers_unique_under_concurrency(live_world):
    """Two officers issue two students' certificates at the same moment: consecutive, distinct numbers;
    two officers on the same student: one certificate, the other gets 409."""
    if not is_postgresql():
        pytest.skip("the race needs PostgreSQL row locks")
    world = live_world
    apps = _disbursed(world, 3)
    officer, manager = world.users.university1_officer, world.users.university1_manager

    def issue(user, application):
        return lambda: (
            services.fee_certificate_issue(actor=user, application=application, on=IN_WINDOW).number
        )

    results = race(issue(officer, apps[0]), issue(manager, apps[1]))
    assert sorted(results) == ["2026-10730-00001", "2026-10730-00002"], results
    same = race(issue(officer, apps[2]), issue(manager, apps[2]))
    assert sum(isinstance(r, str) for r in same) == 1
    assert sum(isinstance(r, ConflictError) for r in same) == 1, same
    assert FeeCertificate.objects.filter(application=apps[2]).count() == 1
    assert sorted(FeeCertificate.objects.values_list("sequence", flat=True)) == [1, 2, 3]


def test_issue10_fee_certificates_bulk_issue_page(world, client_for):
    """Select many on the page and issue: each gets its number; a student not yet disbursed in the
    selection is refused by name without holding back the others."""
    apps = _disbursed(world, 3)
    approved = make_application(
        world,
        to="bank_approved",
        student={"name": "未放款", "id_number": valid_id(world.county1.code, "20070401")},
    )
    _window_open_today(world)
    client = client_for(world.users.university1_officer)
    page = client.get(reverse("fee-certificate-list")).content.decode()
    for application in apps:
        assert f'name="ids" value="{application.pk}"' in page
    assert "已到账" in page and "6200" in page
    response = client.post(
        reverse("fee-certificate-issue"), {"ids": [a.pk for a in apps] + [approved.pk]}, follow=True
    )
    html = response.content.decode()
    assert "已开具 3 份收费证明" in html
    assert FeeCertificate.objects.filter(application__in=apps).count() == 3
    assert not FeeCertificate.objects.filter(application=approved).exists()
    pending = client.get(reverse("fee-certificate-list") + "?status=pending").content.decode()
    assert "未放款" in pending and "未到账" in pending and 'name="ids"' not in pending
    dashboard = client.get("/").content.decode()
    assert "待开具收费证明" in dashboard
    issued = client.get(reverse("fee-certificate-list") + "?status=issued").content.decode()
    assert "2026-10730-00003" in issued and 'name="ids"' not in issued


def test_issue10_fee_certificate_print_page_a4(world, client_for):
    (application,) = _disbursed(world, 1)
    certificate = services.fee_certificate_issue(
        actor=world.users.university1_officer, application=application, on=IN_WINDOW
    )
    html = (
        client_for(world.users.university1_officer)
        .get(reverse("fee-certificate-print", args=[certificate.pk]))
        .content.decode()
    )
    for text in (
        "收费证明",
        "兰州大学",
        certificate.number,
        application.student.name,
        "6200",
        "2026年11月18日",
    ):
        assert text in html
    assert "data-print" in html and "certificate.css" in html
    detail = (
        client_for(world.users.county1_staff)
        .get(reverse("application-detail", args=[application.pk]))
        .content.decode()
    )
    assert certificate.number in detail and "放款到账" in detail
    # another university: 404
    assert (
        client_for(world.users.university4_officer)
        .get(reverse("fee-certificate-print", args=[certificate.pk]))
        .status_code
        == 404
    )


def test_issue10_fee_certificates_outside_window_page_has_no_issue_button(world, client_for):
    _disbursed(world, 1)
    html = client_for(world.users.university1_officer).get(reverse("fee-certificate-list")).content.decode()
    assert timezone.localdate() > datetime.date(2026, 11, 30)  # today (conftest) is after the window
    assert 'name="ids"' not in html and "当前不在开具期内" in html


# --- API -----------------------------------------------------------------------------------------


def test_issue10_api_fee_certificates_issue_and_list_scoped(world, api_for):
    apps = _disbursed(world, 3)
    _window_open_today(world)
    officer_api = api_for(world.users.university1_officer)
    one = officer_api.post("/api/v1/fee-certificates/", {"applications": [apps[0].pk]}, format="json")
    assert one.status_code == 201, one.json()
    assert one.json()["issued"][0]["number"] == "2026-10730-00001"
    bulk = officer_api.post(
        "/api/v1/fee-certificates/", {"applications": [apps[1].pk, apps[2].pk]}, format="json"
    )
    assert bulk.status_code == 201 and len(bulk.json()["issued"]) == 2
    again = officer_api.post("/api/v1/fee-certificates/", {"applications": [apps[0].pk]}, format="json")
    assert again.status_code == 409
    listed = officer_api.get("/api/v1/fee-certificates/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert len(rows) == 3 and all("*" in r["student_id_number"] for r in rows)
    # scope: another university sees none and may not issue for them (404); a county may not issue (403)
    other = api_for(world.users.university4_officer)
    other_rows = other.get("/api/v1/fee-certificates/").json()
    assert (other_rows["results"] if isinstance(other_rows, dict) else other_rows) == []
    assert (
        other.post("/api/v1/fee-certificates/", {"applications": [apps[0].pk]}, format="json").status_code
        == 404
    )
    county = api_for(world.users.county1_staff)
    assert (
        county.post("/api/v1/fee-certificates/", {"applications": [apps[0].pk]}, format="json").status_code
        == 403
    )
    county_rows = county.get("/api/v1/fee-certificates/").json()
    assert len(county_rows["results"] if isinstance(county_rows, dict) else county_rows) == 3
    assert (
        officer_api.post("/api/v1/fee-certificates/", {"applications": "x"}, format="json").status_code == 400
    )
    assert officer_api.post("/api/v1/fee-certificates/", [1], format="json").status_code == 400


def test_issue10_api_fee_certificate_before_disbursement_409(world, api_for):
    open_calendar(2026)
    approved = make_application(world, to="bank_approved")
    _window_open_today(world)
    response = api_for(world.users.university1_officer).post(
        "/api/v1/fee-certificates/", {"applications": [approved.pk]}, format="json"
    )
    assert response.status_code == 409 and "银行尚未放款" in response.json()["detail"]


def test_issue10_fee_certificate_list_and_api_query_count_constant(world, client_for, api_for):
    """The list page and the API read a constant number of queries, whatever the number of students."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    apps = _disbursed(world, 2)
    _window_open_today(world)
    client = client_for(world.users.university1_officer)
    api = api_for(world.users.university1_officer)

    def count(url, reader):
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(url).status_code == 200
        return len(queries)

    services.fee_certificate_issue(actor=world.users.university1_officer, application=apps[0], on=IN_WINDOW)
    small = (count("/fee-certificates/?status=all", client), count("/api/v1/fee-certificates/", api))
    more = _disbursed_more(world, 6)
    for application in more[:3]:
        services.fee_certificate_issue(
            actor=world.users.university1_officer, application=application, on=IN_WINDOW
        )
    large = (count("/fee-certificates/?status=all", client), count("/api/v1/fee-certificates/", api))
    # (the first page view of a session also writes the session row: the later one may read less)
    assert large[0] <= small[0] and large[1] == small[1], (small, large)


def _disbursed_more(world, n: int) -> list[Application]:
    apps = []
    for i in range(n):
        apps.append(
            make_application(
                world,
                to="disbursed",
                student={
                    "name": f"学生{'子丑寅卯辰巳午未'[i]}",
                    "id_number": valid_id(world.county1.code, f"200705{10 + i}"),
                },
            )
        )
    return apps
