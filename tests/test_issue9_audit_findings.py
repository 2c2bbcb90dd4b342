"""Issue 9, sentences a review found without a test that could fail (docs/issue9.md lists them all).

- "memory stays flat whatever the row count (streamed from a server-side cursor, written in constant-memory
  mode)": only the bench measured it; here ten times the rows keep about the same traced peak, and the rows
  come from a named (server-side) cursor on PostgreSQL.
- "a manager of the same organisation or above who is not the requester approves or refuses": the tests had
  the requester's own manager, the city above and the province; not a manager of a sibling county or city.
- "导出 beside the filters, exporting exactly what the filters show" for a day's appointments: the queue
  page offers only active sites, the export read any visible site (an inactive one's list).
"""

import tracemalloc

import pytest
from django.db import connection
from django.urls import reverse

from loanportal.exports import services
from loanportal.exports.definitions import application_rows, appointment_rows, audit_rows
from loanportal.exports.models import ExportStatus
from loanportal.exports.registry import definition_get
from loanportal.exports.writer import Watermark, write_export
from loanportal.roles import Role
from tests.factories import UserFactory
from tests.factories_intake import DAY, booking_on_day
from tests.factories_lifecycle import make_application

MB = 1024 * 1024


def _peak_of_writing(rows: int, row: list, path) -> int:
    definition = definition_get("applications")
    watermark = Watermark(
        number="DC-TEST", title=definition.title, requester="甲", approver="乙", generated_at=row[-1]
    )
    tracemalloc.start()
    try:
        written = write_export(definition, (list(row) for _ in range(rows)), path=path, watermark=watermark)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert written == rows
    return peak


def test_issue9_export_memory_stays_flat_whatever_the_row_count(world, tmp_path):
    """The export writer keeps no row: 20,000 rows peak at about what 2,000 do. A writer that kept the cells
    (xlsxwriter without constant_memory) or the rows would need ten times as much (> 20 MB more here)."""
    make_application(world)
    row = next(application_rows(user=world.users.county1_staff, params={}))
    small = _peak_of_writing(2_000, row, tmp_path / "small.xlsx")
    large = _peak_of_writing(20_000, row, tmp_path / "large.xlsx")
    assert large < small * 1.5 + 2 * MB, (small, large)


def _open_cursors() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '\\_django\\_curs\\_%'")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("rows_of", [application_rows, audit_rows], ids=["applications", "audit_log"])
def test_issue9_export_rows_stream_from_a_server_side_cursor(world, rows_of):
    """Reading the first row leaves a named cursor open on the server: the rows are fetched in chunks, not
    loaded whole into the worker (Django's iterator() without a named cursor would read them all at once)."""
    if connection.vendor != "postgresql":
        pytest.skip("server-side cursors are PostgreSQL's")
    make_application(world)
    before = _open_cursors()
    rows = rows_of(user=world.users.county1_manager, params={})
    assert next(rows)
    assert _open_cursors() == before + 1
    rows.close()


@pytest.mark.parametrize(
    ("approver", "may_decide"),
    [
        ("county1_manager", True),  # the requester's own organisation
        ("city1_manager", True),  # the city above it
        ("province_manager", True),  # the province decides for everyone
        ("county2_manager", False),  # a manager of another county in the same city
        ("city2_manager", False),  # a manager of another city
        ("university1_manager", False),
        ("province_officer", False),  # above, but not a manager
        ("county1_staff", False),  # the requester
    ],
)
def test_issue9_export_approver_is_a_manager_of_the_requesters_organisation_or_above(
    world, api_for, approver, may_decide
):
    make_application(world)
    UserFactory(username="county2_manager", role=Role.COUNTY_MANAGER, organisation=world.county2)
    UserFactory(username="city2_manager", role=Role.CITY_MANAGER, organisation=world.city2)
    users = {u.username: u for u in type(world.users.county1_staff).objects.all()}
    export = services.export_request_create(
        actor=world.users.county1_staff, kind="applications", params={}, purpose="报送市资助中心核对"
    )
    actor = users[approver]
    assert services.export_can_decide(user=actor, export=export) is may_decide
    response = api_for(actor).post(f"/api/v1/exports/{export.pk}/approve/", {}, format="json")
    export.refresh_from_db()
    if may_decide:
        assert response.status_code == 200, response.content
        assert export.status == ExportStatus.APPROVED and export.decided_by == actor
    else:
        assert response.status_code in (403, 404), response.content
        assert export.status == ExportStatus.REQUESTED and export.decided_by is None


def test_issue9_appointments_export_lists_the_site_the_queue_page_shows_never_an_inactive_one(
    world, client_for
):
    """The queue page offers the county's active sites only; asked for an inactive one it shows its default
    (the first active site, today). The export, given the same parameters, lists the same rows and freezes
    that site: not the inactive site's list, which no page shows."""
    staff = world.users.county1_staff
    active = booking_on_day(world.county1, name="在用点学生").site
    closed = booking_on_day(world.county1, name="停用点学生").site
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    params = {"site": str(closed.pk), "day": DAY.isoformat()}

    page = client_for(staff).get(reverse("intake-queue"), params).content.decode()
    assert "停用点学生" not in page
    assert f"appointments_day/?site={active.pk}&amp;day=" in page  # the page's 导出 names what it shows

    names = [row[4] for row in appointment_rows(user=staff, params=params)]
    assert "停用点学生" not in names
    assert definition_get("appointments_day").frozen(user=staff, params=params)["site"] == str(active.pk)
    # the active site's day, asked for by the page's own link, is exported as listed
    shown = {"site": str(active.pk), "day": DAY.isoformat()}
    assert [row[4] for row in appointment_rows(user=staff, params=shown)] == ["在用点学生"]
