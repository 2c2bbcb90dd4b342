"""Issue 8: check-then-insert races answer 409, never 500 (pre_application_add, fee_standard_set).

A real race on PostgreSQL: another connection inserts the same row and keeps its transaction open; our
service's check does not see the uncommitted row, its insert waits on the unique index, the other
transaction commits, and the service gets the unique violation — which must become a ConflictError."""

import threading
import time

import pytest
from django.db import connection, transaction

from applications.models import PreApplication
from applications.services.preapplications import pre_application_add
from loanportal.errors import ConflictError
from renewals.models import FeeStandard
from renewals.services import fee_standard_set
from tests.factories import valid_id

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


def _hold_then_commit(create, inserted: threading.Event, hold_seconds: float = 1.0):
    """In another connection: insert, signal, wait while the service runs into the unique index, commit."""

    def run():
        try:
            with transaction.atomic():
                create()
                inserted.set()
                time.sleep(hold_seconds)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert inserted.wait(10)
    return thread


def test_issue8_pre_application_add_race_is_409(live_world):
    world = live_world
    id_number = valid_id(world.county1.code, "20080101")
    inserted = threading.Event()
    thread = _hold_then_commit(
        lambda: PreApplication.objects.create(
            year=2026,
            county=world.county2,
            name="并发甲",
            id_number=id_number,
            basis="registered_poor",
            created_by=world.users.county2_staff,
        ),
        inserted,
    )
    try:
        with pytest.raises(ConflictError) as refused:
            pre_application_add(
                actor=world.users.county1_staff,
                county=world.county1,
                year=2026,
                name="并发甲",
                id_number=id_number,
                basis="registered_poor",
            )
    finally:
        thread.join()
    assert "不能重复列入" in refused.value.message
    assert PreApplication.objects.filter(id_number=id_number).count() == 1


def test_issue8_fee_standard_set_race_is_409(live_world):
    world = live_world
    inserted = threading.Event()
    thread = _hold_then_commit(
        lambda: FeeStandard.objects.create(
            university=world.university1, year=2026, major="数学", level="undergraduate", tuition=5000
        ),
        inserted,
    )
    try:
        with pytest.raises(ConflictError):
            fee_standard_set(
                actor=world.users.university1_officer,
                university=world.university1,
                year=2026,
                major="数学",
                level="undergraduate",
                tuition=5200,
            )
    finally:
        thread.join()
    assert FeeStandard.objects.get(university=world.university1, major="数学").tuition == 5000
