"""Issue 10, renewal declarations from the bank system's spreadsheet (续贷声明导入, notice 三(七)) — page and
`POST /api/v1/renewals/import/` — a late declaration at the county's window (三(七) last sentence), and
the review queue's filters (院系, 专业, 班级, 年级, 状态, name or student number) with bulk approval."""

import pytest
from django.urls import reverse
from django.utils import timezone

from deadlines.services import current_loan_year, loan_year_ensure_holding
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import AuditEvent
from renewals import states
from renewals.models import RenewalDeclaration, RenewalImport
from renewals.renewal_import import TEMPLATE, RenewalImportRejected, renewal_import
from renewals.selectors import renewal_queue
from renewals.services import renewal_declare

from .factories import StudentFactory
from .factories_preapplications import upload, workbook_bytes

HEADERS = list(TEMPLATE.headers)


def row(student, *, year=None, name=None, tuition=4000, accommodation=800, contract="62202500000001"):
    return [
        name or student.name,
        student.id_number,
        contract,
        year or current_loan_year(),
        tuition,
        accommodation,
        "2026-06-20",
        "本人申请续贷",
    ]


def xlsx(rows):
    return upload(workbook_bytes(rows, headers=HEADERS), name="续贷声明.xlsx")


# --- the import: all or nothing, row errors in Chinese ------------------------------------------------


def test_issue10_notice_3_7_bank_file_imports_every_declaration_audited(world):
    students = [world.students.c1_u1, world.students.c3_u1]
    batch = renewal_import(actor=world.users.university1_officer, file=xlsx([row(s) for s in students]))
    assert batch.succeeded and batch.row_count == 2
    declarations = RenewalDeclaration.objects.filter(import_batch=batch)
    assert {d.student for d in declarations} == set(students)
    assert all(d.source == "import" and d.status == states.SUBMITTED for d in declarations)
    assert AuditEvent.objects.filter(action="renewal.submitted").count() == 2
    assert AuditEvent.objects.filter(action="renewal_import.succeeded").count() == 1


def test_issue10_bank_file_one_bad_row_imports_nothing_and_reports_each_row(world):
    good, other_university = world.students.c1_u1, world.students.c2_u2
    renewal_declare(
        actor=None,
        student=world.students.c3_u1,
        year=current_loan_year(),
        tuition_amount=4000,
        contract_number="C1",
    )
    rows = [
        row(good),
        row(other_university),  # not this university's student
        row(good, name="王五"),  # duplicate in the file and wrong name
        row(world.students.c3_u1),  # already declared
        row(good, tuition=99999),  # over the year's limit
    ]
    rows[4][1] = "620123200501011235"  # a mistyped ID number
    with pytest.raises(RenewalImportRejected) as caught:
        renewal_import(actor=world.users.university1_officer, file=xlsx(rows))
    found = {(e["row"], e["column"]): e["message"] for e in caught.value.errors}
    assert found[(3, "B")] == "不是本单位的借款学生（未找到该身份证号的学生）"
    assert "姓名与该身份证号登记的学生姓名" in found[(4, "A")]
    assert "与第2行是同一学生同一年度的声明" in found[(4, "B")]
    assert "已提交，不能重复提交" in found[(5, "D")]
    assert "校验码" in found[(6, "B")]
    assert RenewalDeclaration.objects.count() == 1  # only the one declared before
    batch = RenewalImport.objects.get()
    assert not batch.succeeded and len(batch.errors) == len(caught.value.errors)


def test_issue10_bank_file_amount_over_limit_names_the_column(world):
    with pytest.raises(RenewalImportRejected) as caught:
        renewal_import(
            actor=world.users.university1_officer, file=xlsx([row(world.students.c1_u1, tuition=60000)])
        )
    (error,) = caught.value.errors
    assert error["row"] == 2 and error["column"] == "E" and error["header"] == "申请学费贷款（元）"


def test_issue10_bank_file_refused_for_roles_outside_and_bad_files(world):
    with pytest.raises(PermissionDeniedError):
        renewal_import(actor=world.users.province_officer, file=xlsx([row(world.students.c1_u1)]))
    with pytest.raises(DomainError, match="表头不符合模板"):
        renewal_import(
            actor=world.users.university1_officer, file=upload(workbook_bytes([["x"]], headers=["别的列"]))
        )


def test_issue10_bank_file_page_shows_result_and_errors(world, client_for):
    client = client_for(world.users.county1_staff)
    assert client.get(reverse("renewal-import")).status_code == 200
    template = client.get(reverse("renewal-import-template"))
    assert template.status_code == 200
    response = client.post(reverse("renewal-import"), {"file": xlsx([row(world.students.c2_u2)])})
    batch = RenewalImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "renewal-import-detail", args=[batch.pk]
    )
    html = client.get(response["Location"]).content.decode()
    assert 'id="renewal-import-errors"' in html and "不是本单位的借款学生" in html
    ok = client.post(reverse("renewal-import"), {"file": xlsx([row(world.students.c1_u1)])})
    assert world.students.c1_u1.name in client.get(ok["Location"]).content.decode()
    # another county's staff cannot open the batch
    other = client_for(world.users.county3_staff).get(reverse("renewal-import-detail", args=[batch.pk]))
    assert other.status_code == 404


def test_issue10_large_bank_file_runs_as_an_import_job(
    world, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    from loanportal.celery import app as celery_app
    from loanportal.imports.models import ImportJob

    settings.IMPORT_JOB_MIN_BYTES = 1
    settings.IMPORT_JOB_ROOT = str(tmp_path)
    client = client_for(world.users.university1_officer)
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the job runs in-process when its on_commit dispatch runs
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("renewal-import"), {"file": xlsx([row(world.students.c1_u1)])})
    finally:
        celery_app.conf.task_always_eager = before
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("renewal-import-job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done" and job.kind == "renewals"
    assert RenewalDeclaration.objects.filter(student=world.students.c1_u1, source="import").exists()
    assert "导入成功" in client.get(reverse("renewal-import-job-status", args=[job.pk])).content.decode()


# --- the API -----------------------------------------------------------------------------------------------


def test_issue10_api_import_201_and_400_with_row_errors(world, api_for):
    api = api_for(world.users.university1_officer)
    ok = api.post("/api/v1/renewals/import/", {"file": xlsx([row(world.students.c1_u1)])}, format="multipart")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["row_count"] == 1 and len(ok.json()["declarations"]) == 1
    bad = api.post(
        "/api/v1/renewals/import/", {"file": xlsx([row(world.students.c2_u2)])}, format="multipart"
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["column"] == "B"
    missing = api.post("/api/v1/renewals/import/", {}, format="multipart")
    assert missing.status_code == 400
    refused = api_for(world.users.bank_officer).post(
        "/api/v1/renewals/import/", {"file": xlsx([row(world.students.c1_u1)])}, format="multipart"
    )
    assert refused.status_code == 403


def test_issue10_api_import_documented_with_400():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/renewals/import/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"201", "400"} <= set(operation["responses"])


# --- a late declaration at the county's window (notice 三(七) last sentence) ---------------------------


def test_issue10_notice_3_7_county_clerk_enters_a_late_declaration_at_the_window(world, client_for):
    loan_year_ensure_holding(on=timezone.localdate(), actor=world.users.province_manager)
    student = world.students.c1_u1
    client = client_for(world.users.county1_staff)
    found = client.get(reverse("renewal-late-new"), {"q": student.name}).content.decode()
    assert "未提交" in found and f"student={student.pk}" in found
    response = client.post(
        reverse("renewal-late-new") + f"?q={student.name}",
        {
            "student": student.pk,
            "contract_number": "62202500000009",
            "tuition_amount": 4000,
            "accommodation_amount": 800,
        },
    )
    assert response.status_code == 302
    declaration = RenewalDeclaration.objects.get(student=student)
    assert declaration.source == "window" and declaration.status == states.SUBMITTED
    # already there: listed as declared, a second entry is refused with a message
    again = client.post(
        reverse("renewal-late-new"),
        {"student": student.pk, "contract_number": "X", "tuition_amount": 4000, "accommodation_amount": 0},
    )
    assert "已提交，不能重复提交" in again.content.decode()
    assert RenewalDeclaration.objects.count() == 1
    # another county's student is not found and cannot be posted
    other = client.post(
        reverse("renewal-late-new"),
        {"student": world.students.c3_u1.pk, "contract_number": "X", "tuition_amount": 4000},
    )
    assert other.status_code == 404
    assert client_for(world.users.university1_officer).get(reverse("renewal-late-new")).status_code == 403


def test_issue10_late_declaration_only_while_intake_is_open(world):
    with pytest.raises(DomainError):
        renewal_declare(
            actor=world.users.county1_staff,
            student=world.students.c1_u1,
            year=current_loan_year(),
            tuition_amount=4000,
            contract_number="C",
            source="window",
        )
    assert not RenewalDeclaration.objects.exists()


# --- the queue: class, year of study, student number; select many, approve at once ------------------


def test_issue10_queue_filters_by_class_grade_and_student_number_and_bulk_approves(world, client_for):
    year = current_loan_year()
    made = []
    for index in range(6):
        student = StudentFactory(
            household_county=world.county1,
            university=world.university1,
            department="信息学院",
            class_name="计科2201" if index < 4 else "计科2202",
            student_number=f"2022010{index}",
            enrolment_year=2022 if index < 5 else 2023,
        )
        made.append(
            renewal_declare(
                actor=None, student=student, year=year, tuition_amount=4000, contract_number=f"C{index}"
            )
        )
    officer = world.users.university1_officer
    assert renewal_queue(user=officer, class_name="计科2201").count() == 4
    assert renewal_queue(user=officer, grade=2023).count() == 1
    assert list(renewal_queue(user=officer, q="20220103")) == [made[3]]
    client = client_for(officer)
    html = client.get(reverse("renewal-list"), {"class_name": "计科2201", "grade": "2022"}).content.decode()
    assert html.count("data-renewal=") == 4 and "计科2202" in html  # the class list offers both
    ids = [d.pk for d in made[:4]]
    client.post(reverse("renewal-bulk-approve"), {"ids": ids, "next_query": "class_name=计科2201"})
    assert RenewalDeclaration.objects.filter(pk__in=ids, status=states.APPROVED).count() == 4
    assert RenewalDeclaration.objects.filter(status=states.SUBMITTED).count() == 2
    assert AuditEvent.objects.filter(action="renewal.approved").count() == 4
    # hostile filters are ignored, not a 500
    assert client.get(reverse("renewal-list"), {"grade": "abc", "class_name": "x" * 500}).status_code == 200


def test_issue10_bank_file_year_must_be_this_or_next_loan_year(world):
    with pytest.raises(RenewalImportRejected) as caught:
        renewal_import(
            actor=world.users.university1_officer,
            file=xlsx([row(world.students.c1_u1, year=current_loan_year() - 1)]),
        )
    (error,) = caught.value.errors
    assert error["column"] == "D" and "本年度或下一年度" in error["message"]
