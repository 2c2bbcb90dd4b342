"""Helpers for relief-case tests (issue 11): contracts, uploads, a case walked to a given state."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from repayment_relief import case_services as services
from repayment_relief import categories
from repayment_relief.models import LoanContract

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def pdf(name="证明.pdf", data=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def contract_for(student, *, contract_no=None, school_year=2021, principal="8000.00"):
    return LoanContract.objects.create(
        contract_no=contract_no or f"GS{school_year}-{student.pk:05d}",
        borrower=student,
        county=student.household_county,
        principal=Decimal(principal),
        school_year=school_year,
    )


def open_case(world, *, student=None, actor=None, category="4", **extra):
    student = student or world.students.c1_u1
    actor = actor or world.users.county1_staff
    contract = LoanContract.objects.filter(borrower=student).first() or contract_for(student)
    fields = {
        "category": category,
        "applicant_kind": "borrower",
        "applicant_name": student.name,
        "applicant_id_number": student.id_number,
        "facts": "借款学生母亲患尿毒症，长期透析",
    }
    if category == "2":
        fields["category_detail"] = "labour"
    if category == "3":
        fields["event_date"] = timezone.localdate()
    if category == "5b":
        fields["grace_period_ends_on"] = timezone.localdate() - datetime.timedelta(days=30)
    fields.update(extra)
    return services.relief_case_create(actor=actor, borrower=student, contracts=[contract], **fields)


def upload_all(case, actor):
    for kind in categories.required_documents(
        category=case.category, category_detail=case.category_detail, applicant_kind=case.applicant_kind
    ):
        services.relief_document_upload(actor=actor, case=case, kind=kind, upload=pdf(f"{kind}.pdf"))


def verify(case, actor, *, told=True):
    return services.relief_verification_record(
        actor=actor,
        case=case,
        method="field_visit",
        checked_by="王经办",
        checked_on=timezone.localdate(),
        findings="入户核实，情况属实",
        bank_payment_told=told,
    )


def case_in_county_review(world, **kwargs):
    staff = world.users.county1_staff
    case = open_case(world, **kwargs)
    upload_all(case, staff)
    case = services.relief_case_check_materials(actor=staff, case=case)
    verify(case, staff)
    case.refresh_from_db()
    return case


def notice_of_last_fortnight(world, case):
    """第二十条（三）: the case's 公示 by the county clerk, Monday to Sunday two weeks ago (ended)."""
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday() + 14)
    return services.relief_notice_create(
        actor=world.users.county1_staff,
        case=case,
        starts_on=monday,
        ends_on=monday + datetime.timedelta(days=6),
        place="村委会公示栏",
        content="姓名、救助类别",
    )


def case_submitted(world, **kwargs):
    case = case_in_county_review(world, **kwargs)
    manager = world.users.county1_manager
    services.relief_case_county_decide(actor=manager, case=case, decision="pass")
    summary = services.county_summary_create(actor=manager, county=case.county)
    services.county_summary_submit(actor=manager, summary=summary)
    case.refresh_from_db()
    return case
