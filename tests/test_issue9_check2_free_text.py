"""Issue 9 protection check 2, free text: an ID number or mobile number typed into a note, reason, objection,
补正 request or finding is masked when it is stored (loanportal.free_text), so no reader of the record —
page, API, export, audit log, notification — ever sees it in full. Notice 二十一 and the relief measures'
第二十七条 (controlled viewing and copying of student information)."""

import pytest
from django.apps import apps
from django.db import models

from loanportal.free_text import FREE_TEXT_FIELDS
from loanportal.models import AuditEvent, Notification

from .factories import valid_id
from .test_privacy_scan import findings

PROJECT_APPS = ("loanportal", "applications", "renewals", "deadlines", "repayment_relief")

# Text columns that are not free text (generated, reference data, or a person's own registered details shown
# under their own rules), each with why. Any other text column must be listed in FREE_TEXT_FIELDS.
NOT_FREE_TEXT = {
    "loanportal.Organisation.name": "the organisation directory (reference data)",
    "loanportal.User.password": "a password hash",
    "loanportal.User.username": "a login name (validated characters)",
    "loanportal.User.first_name": "a staff member's name",
    "loanportal.User.last_name": "a staff member's name",
    "loanportal.User.email": "an e-mail address (validated)",
    "loanportal.Student.address": "the student's registered address (personal data, shown by scope)",
    "loanportal.Student.department": "the register's department",
    "loanportal.Student.major": "the register's major",
    "loanportal.Student.class_name": "the register's class",
    "loanportal.Student.employer": "the graduate's employer (personal data, shown by scope)",
    "loanportal.AuditEvent.actor_username": "a login name",
    "loanportal.Notification.url": "a link inside the portal",
    "loanportal.Notification.dedupe_key": "an internal key",
    "loanportal.Notification.email_to": "the recipient's e-mail address",
    "loanportal.ApiToken.auth_hash": "a token hash",
    "loanportal.ExportRequest.title": "the export definition's title",
    "loanportal.ExportRequest.file_path": "a generated path",
    "loanportal.ImportJob.content_type": "the upload's content type",
    "loanportal.ImportJob.file_path": "a generated path",
    "deadlines.KeyDate.label": "the calendar's item (reference data)",
    "applications.Application.major": "the application's major",
    "applications.IntakeSite.name": "the site's name",
    "applications.LoanPolicy.rate_rule": "the policy's rate rule (reference data)",
    "applications.PreApplicationImport.source_school": "a school name read from the list",
    "applications.PreApplication.high_school": "a school name",
    "applications.PublicNoticeEntry.school": "a school name",
    "applications.PublicNoticeEntry.department": "a department",
    "applications.PublicNoticeEntry.major": "a major",
    "applications.PublicNoticeEntry.class_name": "a class",
    "renewals.FeeStandard.major": "a major",
    "renewals.FeeAccount.account_name": "the university's account name",
    "renewals.FeeAccount.bank_name": "the university's bank",
    "repayment_relief.ReliefDocument.storage_name": "a generated file name",
    "repayment_relief.ReliefArchiveBox.title": "a box title",
}


def text_columns():
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.TextField) or (
                isinstance(field, models.CharField) and (field.max_length or 0) >= 100 and not field.choices
            ):
                yield model, field


def test_issue9_check2_every_text_column_is_declared_free_text_or_not():
    """A new note or reason column cannot be added without deciding whether it is free text."""
    undeclared = [
        f"{model._meta.label}.{field.name}"
        for model, field in text_columns()
        if field.name not in FREE_TEXT_FIELDS.get(model._meta.label, ())
        and f"{model._meta.label}.{field.name}" not in NOT_FREE_TEXT
    ]
    assert not undeclared, f"text columns neither free text nor declared otherwise: {undeclared}"
    for label, names in FREE_TEXT_FIELDS.items():
        model = apps.get_model(label)
        for name in names:
            model._meta.get_field(name)  # a stale declaration raises


@pytest.mark.django_db
def test_issue9_check2_a_number_typed_into_a_correction_reason_is_masked_for_every_reader(
    world, api_for, client_for
):
    """The clerk types a student's ID number and phone into a 补正 request's reason; the stored reason, the
    audit row's reason and every reader's page and API answer show them masked; the audit chain verifies."""
    from django.urls import reverse

    from applications.models import ApplicationCorrection
    from applications.services.lifecycle.transitions import correction_request
    from loanportal.audit import audit_seal, audit_verify

    from .factories_lifecycle import make_application

    application = make_application(world, to="contract_signed")
    id_number, phone = valid_id("620123", "20070505"), "13912345678"
    correction = correction_request(
        actor=world.users.county1_staff,
        application=application,
        changes={"major": "统计学"},
        reason=f"学生本人身份证{id_number}，电话{phone}，专业填错",
    )
    stored = ApplicationCorrection.objects.get(pk=correction.pk).reason
    assert id_number not in stored and phone not in stored
    assert stored.startswith("学生本人身份证620") and "139****5678" in stored and stored.endswith("专业填错")
    event = AuditEvent.objects.filter(object_pk=str(application.pk)).order_by("-pk").first()
    assert id_number not in event.reason + str(event.new) and phone not in event.reason + str(event.new)
    audit_seal()
    assert not audit_verify()
    numbers = {id_number, phone}
    for reader in (world.users.county1_manager, world.users.city1_manager, world.users.province_manager):
        for client, url in (
            (client_for(reader), reverse("application-detail", args=[application.pk])),
            (client_for(reader), "/audit/"),
            (api_for(reader), f"/api/v1/applications/{application.pk}/"),
        ):
            response = client.get(url)
            assert response.status_code == 200, (reader.username, url)
            text = response.content.decode()
            assert not findings(text, numbers), (reader.username, url, response.status_code)


@pytest.mark.django_db
def test_issue9_check2_relief_objection_and_resolution_with_numbers_are_masked(world, settings, tmp_path):
    """第二十条（三）: an objection to a relief notice naming someone's phone, and the clerk's resolution
    quoting an ID number, are stored masked (and so are their audit rows)."""
    import datetime

    from repayment_relief import case_services as services
    from repayment_relief.models import ReliefObjection

    from .factories_relief import case_in_county_review, notice_of_last_fortnight

    settings.RELIEF_DOCUMENT_ROOT = str(tmp_path / "relief")
    staff = world.users.county1_staff
    case = case_in_county_review(world)
    notice = notice_of_last_fortnight(world, case)
    id_number = valid_id("620123", "19990101")
    objection = services.relief_objection_record(
        actor=staff,
        notice=notice,
        received_on=notice.starts_on + datetime.timedelta(days=2),
        content="举报人电话13698765432",
    )
    services.relief_objection_resolve(
        actor=staff, objection=objection, resolution=f"核实车主身份证{id_number}"
    )
    stored = ReliefObjection.objects.get(pk=objection.pk)
    assert stored.content == "举报人电话136****5432"
    assert id_number not in stored.resolution and stored.resolution.startswith("核实车主身份证620")
    audit = " ".join(f"{e.reason} {e.old} {e.new} {e.object_repr}" for e in AuditEvent.objects.all())
    assert not findings(audit, {id_number, "13698765432"})


@pytest.mark.django_db
def test_issue9_check2_imported_list_notes_are_masked_on_the_bulk_path(world):
    """A county's pre-application list whose 备注 column holds a phone and an ID number (written with COPY
    on PostgreSQL, bulk_create elsewhere): the stored notes are masked."""
    from applications.models import PreApplication
    from applications.services.preapplications import pre_application_import

    from .factories_preapplications import good_row, upload, workbook_bytes

    id_number = valid_id("620123", "19800101")
    pre_application_import(
        actor=world.users.county1_staff,
        county=world.county1,
        year=2026,
        file=upload(workbook_bytes([good_row(备注=f"母亲电话13512345678，身份证{id_number}")])),
    )
    note = PreApplication.objects.get().note
    assert note.startswith("母亲电话135****5678，身份证620") and id_number not in note


@pytest.mark.django_db
def test_issue9_check2_notifications_and_export_purposes_are_masked(world):
    """What one user types reaches others as a notification (a refusal's reason) or an approver's queue (an
    export's purpose): both stored masked."""
    from loanportal.exports import services as exports

    export = exports.export_request_create(
        actor=world.users.county1_staff, kind="applications", params={}, purpose="核对学生13712345678的贷款"
    )
    exports.export_refuse(
        actor=world.users.county1_manager, export=export, reason="请勿在用途中填写13712345678"
    )
    export.refresh_from_db()
    assert export.purpose == "核对学生137****5678的贷款"
    assert "13712345678" not in export.decision_note
    bodies = " ".join(f"{n.title} {n.body}" for n in Notification.objects.all())
    assert bodies and "13712345678" not in bodies


@pytest.mark.django_db
def test_issue9_check2_mask_free_text_command_masks_rows_stored_before(world):
    """Rows written before masking (a queryset update bypasses pre_save, as old data did) are masked by
    `manage.py mask_free_text`, once: a second run changes nothing; the sealed audit log is left as it is."""
    import io

    from django.core.management import call_command

    from applications.models import PreApplication

    pre = PreApplication.objects.create(
        year=2026,
        county=world.county1,
        name="名单学生",
        id_number=valid_id("620123", "20070103"),
        basis="national_grant",
        source="manual",
        created_by=world.users.county1_staff,
    )
    PreApplication.objects.filter(pk=pre.pk).update(note="家长电话15912345678")
    out = io.StringIO()
    call_command("mask_free_text", stdout=out)
    assert "applications.PreApplication：1 条" in out.getvalue()
    assert PreApplication.objects.get(pk=pre.pk).note == "家长电话159****5678"
    assert AuditEvent.objects.filter(action="free_text.masked").count() == 1
    out = io.StringIO()
    call_command("mask_free_text", stdout=out)
    assert "无需处理" in out.getvalue()
