"""Issue 9: after `seed_demo`, objects of every model a route carries that the demo does not seed (export
requests of every kind, import jobs of every kind, corrections, fee certificates, import batches,
disbursement batches, relief archive boxes, API tokens), made through the services by users of different
organisations, so that the scope walk (test_scope) and the privacy scan (test_privacy_scan) find objects
inside and outside every role's scope.

The import files carry real stored ID numbers and phones of students outside the uploader's scope (typed in
the right and in the wrong columns), so that their error reports are scanned with numbers in them."""

import contextlib
import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from loanportal.models import Student, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def user(username: str) -> User:
    return User.objects.select_related("organisation").get(username=username)


def sheet(headers, rows, name: str) -> SimpleUploadedFile:
    book = Workbook()
    for row in [list(headers), *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def _student_of(county_code: str) -> Student:
    return Student.objects.filter(household_county__code=county_code).order_by("pk").first()


# export kind → who requests it (a role allowed to); `applications` by four kinds of organisation
EXPORT_REQUESTERS = [
    ("applications", "county1_staff"),
    ("applications", "county3_staff"),
    ("applications", "university1_officer"),
    ("applications", "bank_officer"),
    ("county_summary", "county1_manager"),
    ("public_notice", "county3_staff"),
    ("renewal_class_reminders", "university1_officer"),
    ("relief_att1", "county1_staff"),
    ("relief_att2", "county1_staff"),
    ("pre_applications", "county3_staff"),
    ("appointments_day", "county1_staff"),
    ("intake_warning_daily", "city1_manager"),
    ("intake_warning_weekly", "province_officer"),
    ("audit_log", "county1_manager"),
    ("county_progress", "city2_manager"),
    ("relief_att3", "county1_staff"),
    ("relief_att4", "province_officer"),
    ("relief_att5", "province_officer"),
    ("relief_att7", "province_officer"),
    ("relief_att6", "bank_officer"),
    ("relief_disbursement", "province_officer"),
]


def exports_request_every_kind(*, decide: bool) -> list:
    """A request of every export kind, asking for full numbers where the table has them. With `decide`,
    each personal request is approved WITHOUT full numbers by a manager above the requester (aggregate
    tables are approved at once by the service); otherwise they wait for a decision."""
    from loanportal.exports import services
    from loanportal.exports.registry import definitions_all
    from loanportal.roles import MANAGER_ROLES

    missing = {d.name for d in definitions_all()} - {kind for kind, _ in EXPORT_REQUESTERS}
    assert not missing, f"export kinds nobody requests here: {sorted(missing)}"
    managers = list(
        User.objects.filter(role__in=list(MANAGER_ROLES), is_active=True)
        .select_related("organisation")
        .order_by("username")
    )
    made = []
    for kind, username in EXPORT_REQUESTERS:
        requester = user(username)
        definition = services.export_definition_for(user=requester, kind=kind)
        export = services.export_request_create(
            actor=requester,
            kind=kind,
            params={},
            purpose="核对本年度数据",
            full_numbers=services.export_has_numbers(definition) and definition.personal,
        )
        if decide and export.status == "requested":
            approver = next(u for u in managers if services.export_can_decide(user=u, export=export))
            export = services.export_approve(actor=approver, export=export, note="同意", full_numbers=False)
        made.append(export)
    return made


def import_files() -> dict:
    """kind → (uploader, file) for every background import kind, uploaded by the users the privacy scan
    signs in as (so their job pages are read): rows naming students inside and outside the uploader's
    scope by their stored ID numbers and phones (the report must not repeat them)."""
    from applications.rules.preapplications import COLUMNS
    from applications.services.lifecycle.receipts import RECEIPT_TEMPLATE
    from applications.services.yearend import BANK_IMPORT_TEMPLATE
    from renewals.fee_import import IMPORT_TEMPLATE as FEE_TEMPLATE
    from renewals.renewal_import import TEMPLATE as RENEWAL_TEMPLATE
    from repayment_relief.ledger_import.rows import HEADERS as LEDGER_HEADERS

    other = _student_of("620123")  # county 1's student and county 3's: every file names both
    stranger = _student_of("620522")
    preapplication = {
        "name": other.name,
        "id_number": other.id_number,
        "basis": "国家助学金",
        "county": "620522",
        "school": "秦安县第一中学",
        "phone": other.phone,
        "note": f"电话{other.phone}，身份证{stranger.id_number}",
    }
    pre_rows = [[preapplication.get(c.key, "") for c in COLUMNS], [stranger.name, stranger.id_number[:-1]]]
    renewal_rows = [
        [other.name, other.id_number, "GS2025-0001", 2026, 6000, 0, "2026-06-20", "本人申请续贷"],
        [stranger.name, stranger.id_number, "GS2025-0002", 2026, other.id_number, other.phone],
    ]
    bank_rows = [[other.id_number, other.name, "已放款", other.phone, 6000, 0, "2026-11-15", ""]]
    ledger_rows = [
        [
            "GS2021-9999",
            other.id_number,
            "620123",
            "24000.00",
            "2021",
            "2026-10-31",
            other.phone,
            "16000.00",
            "120.50",
            "2024-12-21:3.05",
            "",
            "",
        ]
    ]
    fee_rows = [["计算机科学与技术", "本科", f"学费{other.phone}", f"号{other.id_number}"]]
    receipt_rows = [[other.id_number, other.name], [other.phone, stranger.name]]
    return {
        "fee_standards": (
            "university1_officer",
            sheet(FEE_TEMPLATE.headers, fee_rows, "收费标准.xlsx"),
        ),
        "receipts": (
            "university1_officer",
            sheet([f.header for f in RECEIPT_TEMPLATE.fields], receipt_rows, "回执码清单.xlsx"),
        ),
        "pre_applications": ("county1_staff", sheet([c.header for c in COLUMNS], pre_rows, "名单.xlsx")),
        "bank_status": (
            "bank_officer",
            sheet([f.header for f in BANK_IMPORT_TEMPLATE.fields], bank_rows, "银行审批放款表.xlsx"),
        ),
        "renewals": ("university1_officer", sheet(RENEWAL_TEMPLATE.headers, renewal_rows, "续贷声明.xlsx")),
        "ledger": ("bank_officer", sheet(LEDGER_HEADERS, ledger_rows, "台账.xlsx")),
    }


def import_jobs_every_kind() -> list:
    """A background import job of every kind (dispatched on commit)."""
    from loanportal.imports.jobs import RUNNERS, import_job_create

    files = import_files()
    assert set(files) == set(RUNNERS), "an import kind without a file here"
    jobs = []
    for kind, (username, upload) in files.items():
        uploader = user(username)
        jobs.append(
            import_job_create(
                actor=uploader,
                kind=kind,
                organisation=uploader.organisation,
                year=datetime.date.today().year,
                file=upload,
            )
        )
    return jobs


def routed_objects_seed(*, decide_exports: bool = False) -> None:
    """The objects the demo lacks, each in more than one organisation where the model allows it. The
    export requests wait for a decision, or with `decide_exports` are approved without full numbers."""
    from django.core.exceptions import ValidationError

    from applications.models import Application
    from applications.services.lifecycle.fee_certificates import fee_certificate_issue
    from applications.services.lifecycle.transitions import correction_request
    from deadlines.services import key_date_get
    from loanportal.errors import DomainError
    from loanportal.tokens import api_token_issue
    from renewals.renewal_import import renewal_import
    from repayment_relief.case_followup import relief_archive_box_create
    from repayment_relief.disbursements import disbursement_prepare
    from repayment_relief.ledger_import import ledger_import

    for county, clerk in (("620123", "county1_staff"), ("620522", "county3_staff")):
        application = Application.objects.filter(county__code=county, status="contract_signed").first()
        correction_request(
            actor=user(clerk), application=application, changes={"major": "统计学"}, reason="专业填错"
        )
    for application in Application.objects.filter(status="disbursed").select_related("university"):
        officer = User.objects.filter(organisation=application.university, role="university_officer").first()
        window = key_date_get("fee_certificate_window", year=application.year)
        fee_certificate_issue(actor=officer, application=application, on=window.start_date)
    for username in ("county1_staff", "county3_staff", "province_officer", "bank_officer"):
        relief_archive_box_create(actor=user(username), year=2026, title="还款救助档案")
        api_token_issue(user=user(username))
    for service, kind, uploader in (
        (renewal_import, "renewals", None),
        (renewal_import, "renewals", "county3_staff"),
        (ledger_import, "ledger", None),
    ):
        username, upload = import_files()[kind]
        with contextlib.suppress(DomainError, ValidationError):  # refused: the batch keeps the report
            service(actor=user(uploader or username), file=upload)
    disbursement_prepare(actor=user("province_officer"))
    exports_request_every_kind(decide=decide_exports)
    import_jobs_every_kind()
