"""Issue 10: the reminder to every class (提醒到每一个班级, notice 三(七)) and graduation confirmation with
information maintenance (毕业确认、信息维护, notice 七(十九))."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from deadlines.rules import loan_year_number
from loanportal.errors import PermissionDeniedError
from loanportal.exports import services as exports
from loanportal.exports.models import ExportStatus
from loanportal.models import AuditEvent, Notification
from renewals.graduation import graduating_borrowers, student_graduation_update
from renewals.reminders import renewal_class_reminder_send, renewal_class_reminders
from renewals.services import renewal_declare, renewal_review

from .factories import StudentFactory

YEAR = loan_year_number(timezone.localdate())  # no calendar in these tests: the rule's year


def borrower(
    world, *, class_name, number, enrolment_year=YEAR - 2, study_years=4, department="信息学院", **kw
):
    """A student of university1 whose renewal for last year was approved (so: borrowed last year)."""
    student = StudentFactory(
        household_county=world.county1,
        university=world.university1,
        department=department,
        class_name=class_name,
        student_number=number,
        enrolment_year=enrolment_year,
        study_years=study_years,
        **kw,
    )
    last = renewal_declare(
        actor=None, student=student, year=YEAR - 1, tuition_amount=4000, contract_number="C"
    )
    renewal_review(actor=world.users.university1_officer, declaration=last, decision="approve")
    return student


@pytest.fixture
def classes(world):
    a1 = borrower(world, class_name="计科2201", number="22010101")
    a2 = borrower(world, class_name="计科2201", number="22010102")
    b1 = borrower(world, class_name="金融2201", number="22020101", department="经济学院")
    declared = borrower(world, class_name="计科2201", number="22010103")
    renewal_declare(actor=None, student=declared, year=YEAR, tuition_amount=4000, contract_number="C")
    graduating = borrower(world, class_name="计科2001", number="20010101", enrolment_year=YEAR - 4)
    never = StudentFactory(
        household_county=world.county1, university=world.university1, class_name="计科2201"
    )
    return {"a1": a1, "a2": a2, "b1": b1, "declared": declared, "graduating": graduating, "never": never}


# --- the reminder to every class ------------------------------------------------------------------------


def test_issue10_notice_3_7_reminder_lists_last_years_borrowers_without_a_declaration_per_class(
    world, classes
):
    groups = renewal_class_reminders(user=world.users.university1_officer, year=YEAR)
    found = {(g["department"], g["class_name"]): [s.student_number for s in g["students"]] for g in groups}
    assert found == {
        ("信息学院", "计科2201"): ["22010101", "22010102"],
        ("经济学院", "金融2201"): ["22020101"],
    }
    # other universities and counties have no such list
    assert renewal_class_reminders(user=world.users.university4_officer, year=YEAR) == []
    assert renewal_class_reminders(user=world.users.county1_staff, year=YEAR) == []


def test_issue10_notice_3_7_reminder_notifies_the_universitys_officers_once_a_day(world, classes, client_for):
    client = client_for(world.users.university1_officer)
    html = client.get(reverse("renewal-class-reminder")).content.decode()
    assert 'id="reminder-total">3<' in html and "计科2201" in html and "金融2201" in html
    assert classes["a1"].id_number not in html  # masked
    assert classes["a1"].id_number[:3] + "*" * 11 + classes["a1"].id_number[-4:] in html
    client.post(reverse("renewal-class-reminder-send"))
    client.post(reverse("renewal-class-reminder-send"))
    for user in (world.users.university1_officer, world.users.university1_manager):
        (note,) = Notification.objects.filter(recipient=user, title__startswith="续贷提醒")
        assert "2个班级共3名" in note.title and "计科2201：2人" in note.body
    assert not Notification.objects.filter(
        recipient=world.users.county1_staff, title__startswith="续贷提醒"
    ).exists()
    assert AuditEvent.objects.filter(action="renewal.class_reminder").count() == 2
    with pytest.raises(PermissionDeniedError):
        renewal_class_reminder_send(actor=world.users.county1_staff, year=YEAR)
    assert client_for(world.users.county1_staff).get(reverse("renewal-class-reminder")).status_code == 403


def test_issue10_reminder_list_downloads_masked_through_the_export_path(
    world, classes, client_for, eager, django_capture_on_commit_callbacks
):
    officer = world.users.university1_officer
    export = exports.export_request_create(
        actor=officer, kind="renewal_class_reminders", params={}, purpose="提醒各班级学生提交续贷声明"
    )
    # personal data: a manager approves first
    assert export.personal and export.status == ExportStatus.REQUESTED
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_approve(actor=world.users.university1_manager, export=export)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    response = client_for(officer).get(reverse("export-download", args=[export.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in r] for r in sheet.iter_rows() if r[0].value in ("信息学院", "经济学院")]
    assert len(rows) == 3
    id_number = classes["a1"].id_number
    assert any(id_number[:3] + "*" * 11 + id_number[-4:] in row for row in rows)
    assert not any(id_number in row for row in rows)


# --- graduation confirmation, information maintenance (notice 七(十九)) --------------------------------


def test_issue10_notice_7_19_graduating_borrowers_listed_by_enrolment_and_length(world, classes):
    officer = world.users.university1_officer
    assert list(graduating_borrowers(user=officer, year=YEAR)) == [classes["graduating"]]
    assert list(graduating_borrowers(user=officer, year=YEAR + 2)) == [
        classes[k] for k in ("a1", "a2", "declared", "b1")
    ] or set(graduating_borrowers(user=officer, year=YEAR + 2)) == {
        classes[k] for k in ("a1", "a2", "declared", "b1")
    }
    assert not graduating_borrowers(user=world.users.county1_staff, year=YEAR).exists()


def test_issue10_notice_7_19_graduation_confirmed_and_each_change_audited_old_to_new(
    world, classes, client_for
):
    student = classes["graduating"]
    old_phone = student.phone
    client = client_for(world.users.university1_officer)
    assert student.name in client.get(reverse("graduation-list")).content.decode()
    response = client.post(
        reverse("graduation-edit", args=[student.pk]),
        {
            "graduation_date": f"{YEAR}-06-30",
            "phone": "13912345678",
            "address": "兰州市城关区某街1号",
            "employer": "兰州某科技公司",
            "employment_status": "已就业",
        },
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.graduation_date == datetime.date(YEAR, 6, 30)
    assert (
        student.graduation_confirmed_by == world.users.university1_officer and student.graduation_confirmed_at
    )
    (event,) = AuditEvent.objects.filter(action="student.graduation")
    # the audit log keeps phones masked (loanportal.audit), old → new
    assert event.old["phone"] == old_phone[:3] + "****" + old_phone[-4:]
    assert event.new["phone"] == "139****5678"
    assert event.new["employer"] == "兰州某科技公司" and event.old["employer"] == ""
    # a later change of the employer only: one more row with just that change
    student_graduation_update(
        actor=world.users.university1_manager,
        student=student,
        graduation_date=datetime.date(YEAR, 6, 30),
        phone="13912345678",
        address="兰州市城关区某街1号",
        employer="天水某公司",
        employment_status="已就业",
    )
    last = AuditEvent.objects.filter(action="student.graduation").order_by("pk").last()
    assert last.old == {"employer": "兰州某科技公司"} and last.new == {"employer": "天水某公司"}
    page = client.get(reverse("graduation-edit", args=[student.pk])).content.decode()
    assert "毕业确认/信息维护" in page and "13912345678" not in page and "139****5678" in page
    # the phone left empty (it is never sent in full) stays as it is
    client.post(
        reverse("graduation-edit", args=[student.pk]),
        {
            "graduation_date": f"{YEAR}-06-30",
            "phone": "",
            "employer": "天水某公司",
            "employment_status": "已就业",
        },
    )
    student.refresh_from_db()
    assert student.phone == "13912345678" and student.address == ""
    assert (
        client.get(reverse("graduation-list"), {"status": "confirmed"})
        .content.decode()
        .count("data-student=")
        == 1
    )


def test_issue10_graduation_refuses_bad_input_and_other_organisations(world, classes, client_for):
    student = classes["graduating"]
    client = client_for(world.users.university1_officer)
    bad = client.post(
        reverse("graduation-edit", args=[student.pk]),
        {"graduation_date": "2001-06-30", "phone": "12345", "employment_status": "已就业"},
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and "毕业时间不能早于入学年份" in html
    student.refresh_from_db()
    assert student.graduation_confirmed_at is None
    assert (
        client_for(world.users.university4_officer)
        .get(reverse("graduation-edit", args=[student.pk]))
        .status_code
        == 404
    )
    assert client_for(world.users.county1_staff).get(reverse("graduation-list")).status_code == 403
    with pytest.raises(PermissionDeniedError):
        student_graduation_update(
            actor=world.users.county1_staff, student=student, graduation_date=datetime.date(YEAR, 6, 30)
        )
