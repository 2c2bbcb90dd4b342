"""Issue 7 item 2: audited writes neither deadlock nor queue behind one province-wide lock (PostgreSQL,
real threads, each with its own connection, committing for real)."""

import random
import threading

import pytest
from django.db import connections, transaction

from applications.models import Appointment
from applications.services import lifecycle as services
from applications.services import queue as intake_services
from loanportal import services as core_services
from loanportal.audit import audit_seal, audit_verify
from loanportal.errors import ConflictError
from loanportal.models import AuditEvent, AuditSeal

from . import factories_intake
from .concurrency import race
from .factories import is_postgresql, valid_id
from .factories_intake import make_site, make_slots, person
from .factories_lifecycle import make_application

clock = factories_intake.clock  # the fixture


@pytest.fixture(autouse=True)
def _postgresql_only(settings, tmp_path):
    if not is_postgresql():
        pytest.skip("the races need PostgreSQL row locks and concurrent connections")
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def test_issue7_2_fifty_mixed_audited_writes_in_one_county_no_deadlock_chain_verifies(live_world, clock):
    """Sign, withdraw (racing a sign of the same application), reveal, book and cancel, 50 at once in
    county 1: every write is done or a clear ConflictError (409), never a deadlock; every done write has
    its audit row, and the chain seals and verifies. Today: "deadlock detected" (500) in most rounds."""
    world, staff, manager = live_world, live_world.users.county1_staff, live_world.users.county1_manager
    contested = [make_application(world) for _ in range(8)]  # each: a sign and a withdraw at once
    to_sign = [make_application(world) for _ in range(6)]
    site = make_site(world.county1, windows=2, per_case=20)
    slots = make_slots(site)
    booked = [
        intake_services.appointment_book(
            actor=staff, slot=slots[i % len(slots)], **person(world.county1, 500 + i)
        )
        for i in range(8)
    ]
    students = [world.students.c1_u1, world.students.c1_u4]
    audit_seal(wait=True)
    before = AuditEvent.objects.count()

    jobs = []
    for application in contested:
        jobs.append(
            lambda a=application: services.application_transition(
                actor=staff, application=a, to="contract_signed"
            )
        )
        jobs.append(
            lambda a=application: services.application_transition(
                actor=manager, application=a, to="withdrawn", reason="学生本人申请撤回"
            )
        )
    for application in to_sign:
        jobs.append(
            lambda a=application: services.application_transition(
                actor=manager, application=a, to="contract_signed"
            )
        )
    for n in range(10):
        jobs.append(
            lambda n=n: core_services.personal_number_reveal(
                actor=staff if n % 2 else manager, obj=students[n % 2], field="id_number", reason="核对身份"
            )
        )
    for n in range(10):
        jobs.append(
            lambda n=n: intake_services.appointment_book(
                actor=staff, slot=slots[n % len(slots)], **person(world.county1, 600 + n)
            )
        )
    for appointment in booked:
        jobs.append(
            lambda a=appointment: intake_services.appointment_cancel(
                actor=manager, appointment=a, reason="来电取消"
            )
        )
    assert len(jobs) == 50
    random.Random(7).shuffle(jobs)

    results = race(*jobs, timeout=60)

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ConflictError)]
    assert unexpected == [], unexpected  # no deadlock, no 500
    done = [r for r in results if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(done) + len(conflicts) == 50
    # sign vs withdraw of the same application: withdrawn either way; a sign that came second is a 409
    for application in contested:
        application.refresh_from_db()
        assert application.status == "withdrawn"
    late_signs = sum(1 for application in contested if not application.contract_number)
    assert len(conflicts) == late_signs and all("不能变更为“已签合同”" in c.message for c in conflicts)
    for application in to_sign:
        application.refresh_from_db()
        assert application.status == "contract_signed" and application.contract_number
    numbers = [a.contract_number for a in contested + to_sign if a.contract_number]
    assert len(numbers) == len(set(numbers))  # contract numbering still one at a time
    assert Appointment.objects.filter(pk__in=[a.pk for a in booked], status="cancelled").count() == 8

    # every done write has its audit row; all rows get sealed and the keyed chain verifies
    assert AuditEvent.objects.count() - before == len(done)
    audit_seal(wait=True)
    assert AuditSeal.objects.count() == AuditEvent.objects.count()
    assert audit_verify() == []
    seqs = list(AuditSeal.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_issue7_2_audited_writes_in_two_counties_do_not_wait_for_each_other(live_world):
    """County 1's clerk signs a contract and their transaction stays open (county row and the audit row
    uncommitted); county 3's clerk signs, reveals and writes a student meanwhile and is done at once.
    Today's global chain lock made county 3 wait for county 1's commit."""
    world = live_world
    county1_application = make_application(world)
    county3_application = make_application(
        world,
        actor=world.users.county3_staff,
        student={"id_number": valid_id(world.county3.code, "20070315")},
    )
    holding, release = threading.Event(), threading.Event()

    def county1_long_transaction():
        with transaction.atomic():
            services.application_transition(
                actor=world.users.county1_staff, application=county1_application, to="contract_signed"
            )
            holding.set()
            assert release.wait(timeout=30)

    def county3_writes():
        assert holding.wait(timeout=30)
        with connections["default"].cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # today: waits for county 1, then fails here
        services.application_transition(
            actor=world.users.county3_staff, application=county3_application, to="contract_signed"
        )
        core_services.personal_number_reveal(
            actor=world.users.county3_staff, obj=world.students.c3_u1, field="phone", reason="联系学生"
        )
        core_services.student_update(
            actor=world.users.county3_staff, student=world.students.c3_u2, major="物理"
        )
        return "done"

    finished = []

    def county3_then_release():
        try:
            finished.append(county3_writes())
        finally:
            release.set()  # county 1 commits only after county 3 is done (or gave up)

    results = race(county1_long_transaction, county3_then_release, timeout=60)
    assert results[1] is None and finished == ["done"], results  # county 3 never waited for county 1
    assert results[0] is None, results
    county1_application.refresh_from_db()
    assert county1_application.status == "contract_signed"
    audit_seal(wait=True)
    assert audit_verify() == []
    assert not AuditEvent.objects.filter(seal__isnull=True).exists()


def test_issue7_2_rows_are_sealed_right_after_their_commit(live_world):
    """No periodic job needed in the normal case: the request's own commit runs the sealer once."""
    with transaction.atomic():
        for major in ("数学", "物理", "化学"):
            core_services.student_update(
                actor=live_world.users.county1_staff, student=live_world.students.c1_u1, major=major
            )
        ours = [
            entry for entry in connections["default"].run_on_commit if "_seal_after_commit" in repr(entry[1])
        ]
        assert len(ours) == 1  # one sealer run per transaction, not one per row
        assert AuditEvent.objects.filter(seal__isnull=True).count() == 3
    assert not AuditEvent.objects.filter(seal__isnull=True).exists()
    assert audit_verify() == []
