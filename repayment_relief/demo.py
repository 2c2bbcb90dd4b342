"""Demo relief cases (make run → seed_demo): one county's cases in the workflow's main states, through the
services (audited), so every relief page shows something real. Idempotent: skipped when the county
already has relief cases."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from loanportal.roles import Role

DEMO_PDF = b"%PDF-1.4\n% demo relief document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# (category, how far it goes)
PLAN = [
    ("4", "county_review"),
    ("1", "materials_incomplete"),
    ("2", "county_submitted"),
    ("3", "returned"),
    ("5a", "handed_over"),
    ("4", "handed_over"),
]


def seed_relief_cases(context: dict) -> None:
    from . import case_followup as followup
    from . import case_services as services
    from . import categories
    from .models import LoanContract, ReliefCase

    users = context["users"]
    staff = next((u for u in users.values() if u.role == Role.COUNTY_STAFF), None)
    if staff is None:
        return
    manager = next(
        (
            u
            for u in users.values()
            if u.role == Role.COUNTY_MANAGER and u.organisation_id == staff.organisation_id
        ),
        None,
    )
    province = next((u for u in users.values() if u.role == Role.PROVINCE_OFFICER), None)
    if (
        manager is None
        or province is None
        or ReliefCase.objects.filter(county_id=staff.organisation_id).exists()
    ):
        return
    students = [s for s in context["students"] if s.household_county_id == staff.organisation_id][: len(PLAN)]
    today = timezone.localdate()

    def upload(case, kinds):
        for kind in kinds:
            services.relief_document_upload(
                actor=staff,
                case=case,
                kind=kind,
                upload=SimpleUploadedFile(
                    f"{categories.DOCUMENT_LABELS[kind]}.pdf", DEMO_PDF, "application/pdf"
                ),
            )

    for index, (student, (category, goal)) in enumerate(zip(students, PLAN, strict=False)):
        contract = LoanContract.objects.filter(borrower=student).first() or LoanContract.objects.create(
            contract_no=f"DEMO{today.year - 4}{student.pk:06d}",
            borrower=student,
            county=student.household_county,
            principal=Decimal("8000.00"),
            school_year=today.year - 4,
        )
        case = services.relief_case_create(
            actor=staff,
            borrower=student,
            contracts=[contract],
            category=category,
            category_detail="labour" if category == "2" else "",
            facts=[
                "母亲患尿毒症，长期透析",
                "借款学生因车祸身故",
                "工伤致残，鉴定为三级",
                "暴雨致房屋倒塌",
                "建档立卡户，毕业后未就业",
                "本人患白血病",
            ][index],
            event_date=today if category == "3" else None,
            applicant_kind="borrower",
            applicant_name=student.name,
            applicant_id_number=student.id_number,
            county_found=index == 1,
        )
        required = categories.required_documents(
            category=category, category_detail=case.category_detail, applicant_kind="borrower"
        )
        if goal == "materials_incomplete":
            upload(case, required[:1])
            services.relief_case_check_materials(actor=staff, case=case)
            continue
        upload(case, required)
        case = services.relief_case_check_materials(actor=staff, case=case)
        services.relief_verification_record(
            actor=staff,
            case=case,
            method="household_survey",
            checked_by="孙丽",
            checked_on=today - datetime.timedelta(days=1),
            findings="入户核实，家庭情况属实",
            bank_payment_told=True,
        )
        if goal == "county_review":
            continue
        services.relief_case_county_decide(actor=manager, case=case, decision="pass", reason="情况属实，同意")
    summary_cases = ReliefCase.objects.filter(county_id=staff.organisation_id, status="county_passed")
    if summary_cases.exists():
        summary = services.county_summary_create(actor=staff, county=staff.organisation)
        services.county_summary_submit(actor=manager, summary=summary)
    for case in ReliefCase.objects.filter(
        county_id=staff.organisation_id, status="county_submitted"
    ).order_by("pk"):
        goal = PLAN[[s.pk for s in students].index(case.borrower_id)][1]
        if goal == "returned":
            services.relief_case_province_decide(
                actor=province, case=case, decision="return", reason="受灾证明缺民政部门盖章"
            )
        elif goal == "handed_over":
            services.relief_case_province_decide(
                actor=province, case=case, decision="pass", reason="复审通过"
            )
    if ReliefCase.objects.filter(status="province_passed", batch__isnull=True).exists():
        batch = services.relief_batch_create(actor=province)
        services.relief_batch_hand_over(actor=province, batch=batch, received_on=today)
    followup.relief_information_officer_name(actor=manager, county=staff.organisation, user=staff)
