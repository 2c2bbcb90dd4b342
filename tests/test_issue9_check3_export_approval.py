"""Issue 9 protection check 3 through both doors — the page and the API: no download before approval, the
requester cannot approve their own request, an expired or used-up link answers 404, every download is
audited with its row count and the file's SHA-256; and two downloads of the last allowed copy at the same
moment give one file. Notice 二十一 (no export of loan data or student information without the responsible
person's approval) and the relief measures' 第二十七条 (controlled copying and transfer)."""

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from loanportal.exports import services
from loanportal.exports.models import ExportRequest, ExportStatus
from loanportal.models import AuditEvent

from .concurrency import race
from .factories import is_postgresql
from .factories_lifecycle import make_application


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXPORT_ROOT = str(tmp_path / "exports")


def _request(world):
    make_application(world)
    return services.export_request_create(
        actor=world.users.county1_staff, kind="applications", params={}, purpose="报送市资助中心核对"
    )


def _approved(world, capture):
    export = _request(world)
    with capture(execute=True):
        services.export_approve(actor=world.users.county1_manager, export=export)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    return export


def _page(client, export):
    return client.get(reverse("export-download", args=[export.pk]))


def _api(api, export):
    return api.get(f"/api/v1/exports/{export.pk}/download/")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_issue9_check3_requester_cannot_approve_their_own_on_the_page(world, client_for):
    """The manager who asked cannot approve (nor refuse) their own request on the page either."""
    manager = world.users.county1_manager
    make_application(world)
    export = services.export_request_create(
        actor=manager, kind="applications", params={}, purpose="核对本县数据"
    )
    client = client_for(manager)
    client.post(reverse("export-approve", args=[export.pk]), {"note": "同意"})
    client.post(reverse("export-refuse", args=[export.pk]), {"reason": "不需要了"})
    export.refresh_from_db()
    assert export.status == ExportStatus.REQUESTED and export.decided_by is None
    assert not AuditEvent.objects.filter(action__in=["export.approved", "export.refused"]).exists()
    assert _page(client, export).status_code == 404


@pytest.mark.django_db
def test_issue9_check3_no_api_or_page_download_before_approval_or_after_refusal(world, client_for, api_for):
    staff = world.users.county1_staff
    export = _request(world)
    assert _page(client_for(staff), export).status_code == 404
    assert _api(api_for(staff), export).status_code == 404
    services.export_refuse(actor=world.users.county1_manager, export=export, reason="用途不明确")
    assert _page(client_for(staff), export).status_code == 404
    assert _api(api_for(staff), export).status_code == 404
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


@pytest.mark.django_db
def test_issue9_check3_api_download_audited_and_the_count_shared_with_the_page(
    world, client_for, api_for, settings, eager, django_capture_on_commit_callbacks
):
    """The page and the API count against one limit; each download is audited with row count and SHA-256;
    the used-up link answers 404 on both doors."""
    settings.EXPORT_MAX_DOWNLOADS = 2
    staff = world.users.county1_staff
    export = _approved(world, django_capture_on_commit_callbacks)
    first = _api(api_for(staff), export)
    assert first.status_code == 200
    digest = hashlib.sha256(_body(first)).hexdigest()
    assert digest == export.sha256
    assert _page(client_for(staff), export).status_code == 200
    assert _api(api_for(staff), export).status_code == 404
    assert _page(client_for(staff), export).status_code == 404
    events = AuditEvent.objects.filter(action="export.downloaded", object_pk=str(export.pk)).order_by("pk")
    assert [e.new for e in events] == [
        {"download": n, "row_count": export.row_count, "sha256": digest} for n in (1, 2)
    ]
    assert all(e.actor == staff for e in events)


@pytest.mark.django_db
def test_issue9_check3_expired_link_is_404_on_the_api(
    world, api_for, eager, django_capture_on_commit_callbacks
):
    staff = world.users.county1_staff
    export = _approved(world, django_capture_on_commit_callbacks)
    ExportRequest.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert _api(api_for(staff), export).status_code == 404
    assert ExportRequest.objects.get(pk=export.pk).status == ExportStatus.EXPIRED
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_issue9_check3_two_downloads_of_the_last_copy_at_once_give_one_file(
    live_world, settings, django_capture_on_commit_callbacks
):
    """One download left, the page and the API ask at the same moment: one file, one audit row, one 404."""
    if not is_postgresql():
        pytest.skip("the race needs PostgreSQL row locks")
    from celery import current_app
    from django.test import Client
    from rest_framework.test import APIClient

    settings.EXPORT_MAX_DOWNLOADS = 1
    current_app.conf.task_always_eager = True
    try:
        export = _approved(live_world, django_capture_on_commit_callbacks)
    finally:
        current_app.conf.task_always_eager = False
    staff = live_world.users.county1_staff

    def page():
        client = Client()
        client.force_login(staff)
        response = _page(client, export)
        return response.status_code, _body(response) if response.status_code == 200 else b""

    def api():
        client = APIClient()
        client.force_authenticate(staff)
        response = _api(client, export)
        return response.status_code, _body(response) if response.status_code == 200 else b""

    results = race(page, api)
    assert sorted(status for status, _ in results) == [200, 404], results
    assert AuditEvent.objects.filter(action="export.downloaded", object_pk=str(export.pk)).count() == 1
    assert ExportRequest.objects.get(pk=export.pk).download_count == 1
