"""Issue 13 — the bank's status (银行审批放款, notice 八: 11月20日前审批发放): per contract, and the bank's
spreadsheet reconciled against the portal, all-or-nothing, through the one import path."""

import pytest
from django.urls import reverse

from applications.models import Application, BankStatusImport
from applications.services import yearend as services
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.imports.models import ImportJob
from loanportal.models import AuditEvent
from tests.factories_yearend import BANK_DAY, applications_in, bank_file, extend


def _snapshot(apps):
    return [
        tuple(
            Application.objects.filter(pk=a.pk).values_list(
                "status",
                "disbursed_on",
                "disbursed_to_university",
                "disbursed_to_student",
                "bank_approved_at",
            )[0]
        )
        for a in apps
    ]


def _row(
    application, result="审批通过", *, amount=None, to_university=None, to_student=None, on="", reason=""
):
    return [
        application.contract_number,
        application.student.name,
        result,
        application.total_amount if amount is None else amount,
        to_university,
        to_student,
        on,
        reason,
    ]


def test_issue13_notice_8_bank_file_approves_declines_and_disburses(world):
    """Notice 八: the bank approves, declines (with a reason) or disburses: the tuition and accommodation to
    the university's account, any remainder to the student."""
    apps = applications_in(world, "receipt_confirmed", 3)
    approved = applications_in(world, "bank_approved", 1, start=10)[0]
    rows = [
        _row(apps[0], "审批通过"),
        _row(apps[1], "审批不通过", reason="共同借款人征信有逾期记录"),
        _row(apps[2], "已放款", to_university=5000, to_student=1200, on="2026-11-08"),
        _row(approved, "已放款", to_university=6200, to_student=0, on="2026/11/09"),
    ]
    batch = services.bank_status_import(actor=world.users.province_officer, file=bank_file(rows), on=BANK_DAY)
    assert batch.succeeded and (batch.approved, batch.declined, batch.disbursed) == (1, 1, 2)
    for a in [*apps, approved]:
        a.refresh_from_db()
    assert [a.status for a in apps] == ["bank_approved", "bank_declined", "disbursed"]
    assert apps[1].bank_decline_reason == "共同借款人征信有逾期记录"
    assert (apps[2].disbursed_to_university, apps[2].disbursed_to_student, str(apps[2].disbursed_on)) == (
        5000,
        1200,
        "2026-11-08",
    )
    assert approved.status == "disbursed" and approved.disbursed_to_university == 6200
    # the one transition service wrote each move (approve, then disburse for the one still to approve)
    assert AuditEvent.objects.filter(object_pk=str(apps[2].pk), action="application.bank_approved").exists()
    assert AuditEvent.objects.filter(object_pk=str(apps[2].pk), action="application.disbursed").exists()
    # the same file again changes nothing
    again = services.bank_status_import(actor=world.users.province_officer, file=bank_file(rows), on=BANK_DAY)
    assert again.unchanged == 4 and again.approved == again.disbursed == again.declined == 0


def test_issue13_bank_file_reconciliation_reports_every_mismatch_and_changes_nothing(world):
    """Unknown contract, an amount other than the signed one, a receipt not yet confirmed, a duplicate, a
    disbursement split that does not add up, a refusal without reason — each reported in its row and column
    in Chinese; nothing written (all-or-nothing)."""
    confirmed = applications_in(world, "receipt_confirmed", 4)
    entered = applications_in(world, "receipt_entered", 1, start=20)[0]
    rows = [
        _row(confirmed[0], "审批通过"),  # 2: fine on its own
        ["2026620123099999", "无名", "审批通过", 6200, None, None, "", ""],  # 3: unknown contract
        _row(confirmed[1], "审批通过", amount=7000),  # 4: amount differs
        _row(entered, "审批通过"),  # 5: receipt not confirmed by the county
        _row(confirmed[0], "审批通过"),  # 6: duplicate of row 2
        _row(
            confirmed[2], "已放款", to_university=5000, to_student=100, on="2026-11-08"
        ),  # 7: split ≠ signed
        _row(confirmed[3], "审批不通过"),  # 8: refusal without reason
        _row(confirmed[3], "同意"),  # 9: unknown result (and a duplicate)
    ]
    before = _snapshot([*confirmed, entered])
    audit_before = AuditEvent.objects.filter(action__startswith="application.").count()
    with pytest.raises(services.BankStatusImportRejected) as rejected:
        services.bank_status_import(actor=world.users.province_officer, file=bank_file(rows), on=BANK_DAY)
    errors = {(e["row"], e["column"]): e["message"] for e in rejected.value.errors}
    assert "系统中没有合同号为2026620123099999" in errors[(3, "A")]
    assert "7000元与系统中的签约金额6200元不一致" in errors[(4, "D")]
    assert "电子回执尚未经县级确认" in errors[(5, "A")]
    assert "与第2行重复" in errors[(6, "A")]
    assert "合计5100元，与签约金额6200元不一致" in errors[(7, "F")]
    assert "须填写原因" in errors[(8, "H")]
    assert "审批结果只能填写" in errors[(9, "C")]
    assert (2, "A") not in errors
    assert _snapshot([*confirmed, entered]) == before
    assert AuditEvent.objects.filter(action__startswith="application.").count() == audit_before
    batch = rejected.value.batch
    assert not batch.succeeded and batch.errors == rejected.value.errors


def test_issue13_bank_file_after_the_key_date_is_refused_per_row(world):
    import datetime

    (application,) = applications_in(world, "receipt_confirmed", 1)
    with pytest.raises(services.BankStatusImportRejected) as rejected:
        services.bank_status_import(
            actor=world.users.bank_officer,
            file=bank_file([_row(application)]),
            on=datetime.date(2026, 11, 25),
        )
    assert "审批放款期限已过" in rejected.value.errors[0]["message"]
    assert _snapshot([application])[0][0] == "receipt_confirmed"


def test_issue13_bank_file_bad_file_is_a_400_before_any_row(world):
    with pytest.raises(DomainError):
        services.bank_status_import(
            actor=world.users.bank_officer, file=bank_file([["x"]], headers=["合同号", "别的列"]), on=BANK_DAY
        )


def test_issue13_only_bank_and_province_officers_record_bank_status(world):
    (application,) = applications_in(world, "receipt_confirmed", 1)
    for user in (world.users.county1_staff, world.users.university1_officer, world.users.city1_manager):
        with pytest.raises(PermissionDeniedError):
            services.bank_status_record(actor=user, application=application, result="approved", on=BANK_DAY)
        with pytest.raises(PermissionDeniedError):
            services.bank_status_import(actor=user, file=bank_file([_row(application)]), on=BANK_DAY)
    assert _snapshot([application])[0][0] == "receipt_confirmed"


def test_issue13_record_one_contract_checks_amounts_and_state(world):
    (application,) = applications_in(world, "receipt_confirmed", 1)
    officer = world.users.bank_officer
    with pytest.raises(DomainError) as error:
        services.bank_status_record(
            actor=officer,
            application=application,
            result="disbursed",
            to_university=6000,
            to_student=0,
            disbursed_on=BANK_DAY,
            on=BANK_DAY,
        )
    assert "与签约金额6200元不一致" in error.value.message
    moved = services.bank_status_record(
        actor=officer,
        application=application,
        result="disbursed",
        to_university=6200,
        to_student=0,
        disbursed_on=BANK_DAY,
        on=BANK_DAY,
    )
    assert moved.status == "disbursed"
    with pytest.raises(ConflictError):
        services.bank_status_record(
            actor=officer, application=application, result="declined", reason="材料不全", on=BANK_DAY
        )


def test_issue13_bank_pages_per_contract_entry_and_import(today, world, client_for):
    apps = applications_in(world, "receipt_confirmed", 2)
    extend(world, "bank_approval_due", world.bank)
    client = client_for(world.users.bank_officer)
    listing = client.get(reverse("bank-status-list")).content.decode()
    assert apps[0].contract_number in listing and apps[0].student.id_number not in listing
    response = client.post(
        reverse("bank-status-entry", args=[apps[0].pk]),
        {
            "result": "disbursed",
            "loan_amount": 6200,
            "to_university": 6000,
            "to_student": 200,
            "disbursed_on": "2026-11-30",
        },
    )
    assert response.status_code == 302
    apps[0].refresh_from_db()
    assert (apps[0].status, apps[0].disbursed_to_student) == ("disbursed", 200)
    template = client.get(reverse("bank-status-template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    response = client.post(reverse("bank-status-import"), {"file": bank_file([_row(apps[1], amount=1)])})
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "第2行" in detail and "银行贷款金额1元与系统中的签约金额6200元不一致" in detail


def test_issue13_bank_status_api_scope_and_errors(world, api_for):
    confirmed = applications_in(world, "receipt_confirmed", 1)[0]
    entered = applications_in(world, "receipt_entered", 1, start=5)[0]
    extend(world, "bank_approval_due", world.bank)
    bank = api_for(world.users.bank_officer)
    url = f"/api/v1/bank-status/{confirmed.contract_number}/"
    assert bank.get(url).json()["total_amount"] == 6200
    assert bank.get(f"/api/v1/bank-status/{entered.contract_number}/").status_code == 404  # not handed over
    assert (
        bank.post(
            url + "record/",
            {"result": "disbursed", "to_university": 1, "to_student": 0, "disbursed_on": "2026-11-20"},
            format="json",
        ).status_code
        == 400
    )
    ok = bank.post(url + "record/", {"result": "approved", "loan_amount": 6200}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "bank_approved"
    assert (
        bank.post(url + "record/", {"result": "declined", "reason": "征信"}, format="json").status_code == 409
    )
    county = api_for(world.users.county1_staff)
    assert county.post(url + "record/", {"result": "approved"}, format="json").status_code == 403
    assert api_for(world.users.county2_staff).get(url).status_code == 404
    rejected = bank.post(
        "/api/v1/bank-status/import/", {"file": bank_file([_row(entered)])}, format="multipart"
    )
    assert rejected.status_code == 400
    assert rejected.json()["errors"][0]["column"] == "A" and rejected.json()["errors"][0]["row"] == 2


def test_issue13_large_bank_file_runs_as_an_import_job(world, settings, tmp_path):
    from loanportal.imports import jobs

    (application,) = applications_in(world, "receipt_confirmed", 1)
    extend(world, "bank_approval_due", world.bank)  # the province officer acts on the bank's date
    settings.IMPORT_JOB_MIN_BYTES = 1
    settings.IMPORT_JOB_ROOT = str(tmp_path)
    upload = bank_file([_row(application)])
    assert jobs.import_job_wanted(upload)
    job = jobs.import_job_create(
        actor=world.users.province_officer,
        kind="bank_status",
        organisation=world.province,
        year=2026,
        file=upload,
    )
    jobs.import_job_run(pk=job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "done" and BankStatusImport.objects.get(pk=job.batch_id).approved == 1
    application.refresh_from_db()
    assert application.status == "bank_approved"


def test_issue13_bank_template_round_trip(world):
    """The downloadable template has the import's headers; uploaded unchanged (example row only) it is
    refused as empty, not imported."""
    import io

    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    from loanportal.exports.bankstatus import bank_status_template_workbook
    from tests.factories_yearend import BANK_HEADERS, XLSX

    content = bank_status_template_workbook()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[1]] == BANK_HEADERS
    with pytest.raises(DomainError) as error:
        services.bank_status_import(
            actor=world.users.bank_officer,
            file=SimpleUploadedFile("模板.xlsx", content, content_type=XLSX),
            on=BANK_DAY,
        )
    assert "没有合同数据" in error.value.message
