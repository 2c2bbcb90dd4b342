"""Issue 13 — county receipt confirmation in bulk (电子回执确认, notice 八: 10月10日前) and its return path."""

import pytest
from django.urls import reverse

from applications.models import Application
from applications.services import yearend as services
from loanportal.errors import ConflictError, DomainError
from loanportal.models import AuditEvent
from tests.concurrency import race
from tests.factories_yearend import CONFIRM_DAY, applications_in, extend


def _statuses(apps):
    return [Application.objects.get(pk=a.pk).status for a in apps]


def test_issue13_notice_8_county_confirms_receipts_in_bulk(world):
    """Notice 八: counties confirm the electronic receipts their universities entered; many at once."""
    apps = applications_in(world, "receipt_entered", 3)
    confirmed = services.receipts_confirm(actor=world.users.county1_staff, applications=apps, on=CONFIRM_DAY)
    assert {a.status for a in confirmed} == {"receipt_confirmed"}
    for application in apps:
        application.refresh_from_db()
        assert application.receipt_confirmed_by == world.users.county1_staff
        assert application.receipt_confirmed_at is not None
        assert AuditEvent.objects.filter(
            object_pk=str(application.pk), action="application.receipt_confirmed"
        ).exists()


def test_issue13_bulk_confirmation_is_all_or_nothing(world):
    """One receipt confirmed by a colleague meanwhile: 409 naming the student, nothing confirmed."""
    apps = applications_in(world, "receipt_entered", 3)
    services.receipts_confirm(actor=world.users.county1_manager, applications=[apps[1]], on=CONFIRM_DAY)
    with pytest.raises(ConflictError) as error:
        services.receipts_confirm(actor=world.users.county1_staff, applications=apps, on=CONFIRM_DAY)
    assert "学生2" in error.value.message and "未确认任何回执" in error.value.message
    assert _statuses(apps) == ["receipt_entered", "receipt_confirmed", "receipt_entered"]


def test_issue13_notice_8_confirmation_after_the_key_date_is_refused(world):
    """The key date from the calendar (receipt_confirm_due, 10/10 by default) — never a hard-coded date."""
    import datetime

    apps = applications_in(world, "receipt_entered", 1)
    with pytest.raises(DomainError) as error:
        services.receipts_confirm(
            actor=world.users.county1_staff, applications=apps, on=datetime.date(2026, 10, 12)
        )
    assert "10月10日" in error.value.message
    assert _statuses(apps) == ["receipt_entered"]


def test_issue13_return_with_reason_sends_the_receipt_back_to_the_university(
    world, django_capture_on_commit_callbacks
):
    from loanportal.models import Notification

    (application,) = applications_in(world, "receipt_entered", 1)
    with django_capture_on_commit_callbacks(execute=True):
        returned = services.receipt_return(
            actor=world.users.county1_staff,
            application=application,
            reason="合同金额与回执不符，请核对后重新录入",
            on=CONFIRM_DAY,
        )
    note = Notification.objects.get(recipient=world.users.university1_officer, title__startswith="回执被退回")
    assert "合同金额与回执不符" in note.body
    assert returned.status == "contract_signed"
    assert returned.receipt_entered_at is None and returned.receipt_entered_by is None
    event = AuditEvent.objects.filter(object_pk=str(application.pk)).latest("pk")
    assert event.old == {"status": "receipt_entered"} and event.new == {"status": "contract_signed"}
    assert event.reason == "合同金额与回执不符，请核对后重新录入"
    # the university enters it again
    from applications.services.lifecycle import receipt_enter
    from tests.factories_lifecycle import RECEIPT_DAY

    again = receipt_enter(
        actor=world.users.university1_officer, receipt_code=returned.receipt_code, on=RECEIPT_DAY
    )
    assert again.status == "receipt_entered"


def test_issue13_return_without_reason_is_refused_and_changes_nothing(world):
    (application,) = applications_in(world, "receipt_entered", 1)
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError):
        services.receipt_return(
            actor=world.users.county1_staff, application=application, reason=" ", on=CONFIRM_DAY
        )
    from applications.services.lifecycle import application_transition

    with pytest.raises(DomainError):  # the one transition service demands it too
        application_transition(actor=world.users.county1_staff, application=application, to="contract_signed")
    assert _statuses([application]) == ["receipt_entered"] and AuditEvent.objects.count() == before


def test_issue13_receipt_page_lists_contracts_and_confirms_selected(today, world, client_for):
    apps = applications_in(world, "receipt_entered", 3)
    extend(world, "receipt_confirm_due", world.county1)
    extend(world, "receipt_entry_due", world.university1)  # the university may enter it again
    client = client_for(world.users.county1_staff)
    page = client.get(reverse("receipt-confirmation")).content.decode()
    for application in apps:
        assert application.contract_number in page
        assert application.student.id_number not in page  # masked
    assert "兰州大学" in page and "6200" in page
    response = client.post(
        reverse("receipt-confirm-bulk"), {"application": [apps[0].pk, apps[2].pk]}, follow=True
    )
    assert "已确认 2 份电子回执" in response.content.decode()
    assert _statuses(apps) == ["receipt_confirmed", "receipt_entered", "receipt_confirmed"]
    response = client.post(
        reverse("receipt-return", args=[apps[1].pk]), {"reason": "回执码对应学生有误"}, follow=True
    )
    assert "退回高校重新录入" in response.content.decode()
    assert _statuses(apps)[1] == "contract_signed"


def test_issue13_notice_8_no_return_once_the_university_can_no_longer_enter_it(world):
    """Notice 八: a receipt not entered by the university's date counts as abandoned — so after that date
    the county cannot send one back (it could not be entered again); nothing changes."""
    import datetime

    (application,) = applications_in(world, "receipt_entered", 1)
    with pytest.raises(ConflictError) as error:
        services.receipt_return(
            actor=world.users.county1_staff,
            application=application,
            reason="金额不符",
            on=datetime.date(2026, 10, 11),
        )
    assert "10月10日截止" in error.value.message and "延长" in error.value.message
    assert _statuses([application]) == ["receipt_entered"]


def test_issue13_other_county_sees_nothing_and_gets_404(world, client_for):
    apps = applications_in(world, "receipt_entered", 1)
    extend(world, "receipt_confirm_due", world.county2)
    client = client_for(world.users.county2_staff)
    assert apps[0].contract_number not in client.get(reverse("receipt-confirmation")).content.decode()
    assert client.post(reverse("receipt-confirm-bulk"), {"application": [apps[0].pk]}).status_code == 404
    assert client.post(reverse("receipt-return", args=[apps[0].pk]), {"reason": "xx原因"}).status_code == 404
    assert _statuses(apps) == ["receipt_entered"]
    own = client_for(world.users.county1_staff)  # hostile ids: 404, never a 500
    assert (
        own.post(reverse("receipt-confirm-bulk"), {"application": ["99999999999999999999"]}).status_code
        == 404
    )


def test_issue13_university_may_not_confirm(world, client_for):
    applications_in(world, "receipt_entered", 1)
    client = client_for(world.users.university1_officer)
    assert client.post(reverse("receipt-confirm-bulk"), {"application": ["1"]}).status_code == 403


def test_issue13_unconfirmed_receipts_are_the_county_obligation(world):
    from deadlines.registry import count_obligation

    applications_in(world, "receipt_entered", 2)
    obligation = count_obligation("receipt_confirm_due", organisation=world.county1, loan_year=2026)
    assert obligation.count == 2 and obligation.url == reverse("receipt-confirmation")
    assert count_obligation("receipt_confirm_due", organisation=world.county2, loan_year=2026).count == 0


@pytest.mark.django_db(transaction=True)
def test_issue13_concurrent_confirmation_one_wins_the_other_409(live_world):
    """Two clerks confirm the same receipt at the same moment: one confirms, the other gets a conflict."""
    world = live_world
    apps = applications_in(world, "receipt_entered", 1)
    results = race(
        *(
            lambda user=user: services.receipts_confirm(actor=user, applications=apps, on=CONFIRM_DAY)
            for user in (world.users.county1_staff, world.users.county1_manager)
        )
    )
    assert sorted("409" if isinstance(r, ConflictError) else "ok" for r in results) == ["409", "ok"], results
    assert (
        AuditEvent.objects.filter(object_pk=str(apps[0].pk), action="application.receipt_confirmed").count()
        == 1
    )
