"""Writes of the public notice of borrowers (公示): publish, objection log (national aid center rule: only
name, school, department, year, major and class; at least 5 working days; taken down when it ends)."""

import datetime

from django.db import transaction
from django.utils import timezone

from deadlines.rules import format_date
from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError
from loanportal.models import Organisation
from loanportal.permissions import require_own_county

from ..models import NoticeObjection, PublicNotice, PublicNoticeEntry
from ..rules import summaries as rules

# --- public notice (公示) -----------------------------------------------------------------------------------


def _student_text(student, name: str) -> str:
    return str(getattr(student, name, "") or "")


@transaction.atomic
def public_notice_publish(
    *,
    actor,
    county: Organisation,
    year: int,
    place: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    today: datetime.date | None = None,
) -> PublicNotice:
    """发布公示: the county's reported first loans of the year, with only the notice's fields copied in
    (name, school, department, year, major, class). At least 5 working days; starts today or later (the
    system — demo data — may record a past notice)."""
    require_own_county(actor, county, business="贷款学生公示", allow_system=True)
    place = (place or "").strip()
    if not place:
        raise DomainError("请填写公示地点", field="place")
    error = rules.notice_period_error(starts_on, ends_on)
    if error:
        raise DomainError(error, field="ends_on")
    today = today or timezone.localdate()
    if actor is not None and starts_on < today:
        raise DomainError("公示开始日期不能早于今天", field="starts_on")
    # one notice per county and year: two people publishing at once queue on the county's row, and the
    # second is told it exists (409) instead of meeting the unique constraint
    Organisation.objects.select_for_update().get(pk=county.pk)
    if PublicNotice.objects.filter(county=county, year=year).exists():
        raise ConflictError(f"{county.name}{year}年度已发布公示")
    applications = list(
        _reported_applications(county=county, year=year)
        .select_related("student", "university")
        .order_by("student__name", "pk")
    )
    if not applications:
        raise DomainError("本年度还没有可公示的贷款学生（已签合同的首贷申请）")
    notice = PublicNotice(
        county=county, year=year, place=place[:200], starts_on=starts_on, ends_on=ends_on, published_by=actor
    )
    notice.full_clean()
    notice.save()
    PublicNoticeEntry.objects.bulk_create(
        [
            PublicNoticeEntry(
                notice=notice,
                application=app,
                name=app.student.name,
                school=app.university.name,
                department=_student_text(app.student, "department"),
                enrolment_year=app.enrolment_year,
                major=app.major,
                class_name=_student_text(app.student, "class_name"),
            )
            for app in applications
        ]
    )
    audit_record(
        actor=actor,
        action="public_notice.publish",
        obj=notice,
        new={"place": place, "starts_on": starts_on, "ends_on": ends_on, "people": len(applications)},
        organisation=county,
    )
    return notice


def _notice_locked(notice: PublicNotice) -> PublicNotice:
    return PublicNotice.objects.select_for_update(no_key=True).get(pk=notice.pk)


@transaction.atomic
def notice_objection_record(
    *,
    actor,
    notice: PublicNotice,
    content: str,
    received_on: datetime.date | None = None,
    entry: PublicNoticeEntry | None = None,
) -> NoticeObjection:
    """异议登记: an objection received during the notice's period (the day it was received)."""
    require_own_county(actor, notice.county, business="公示异议登记")
    notice = _notice_locked(notice)
    received_on = received_on or timezone.localdate()
    if not notice.starts_on <= received_on <= notice.ends_on:
        raise DomainError(
            f"异议须在公示期内（{format_date(notice.starts_on)}至{format_date(notice.ends_on)}）提出",
            field="received_on",
        )
    content = (content or "").strip()
    if len(content) < 2:
        raise DomainError("请填写异议内容", field="content")
    if entry is not None and entry.notice_id != notice.pk:
        raise DomainError("所选学生不在本次公示名单中", field="entry")
    objection = NoticeObjection(
        notice=notice, entry=entry, received_on=received_on, content=content[:1000], recorded_by=actor
    )
    objection.full_clean()
    objection.save()
    audit_record(
        actor=actor,
        action="public_notice.objection",
        obj=notice,
        new={"objection": objection.pk, "received_on": received_on, "about": entry.name if entry else ""},
        reason=content[:500],
        organisation=notice.county,
    )
    return objection


@transaction.atomic
def notice_objection_handle(*, actor, objection: NoticeObjection, handling: str) -> NoticeObjection:
    """异议处理: how the county handled it (checked, explained, removed from the list…)."""
    require_own_county(actor, objection.notice.county, business="公示异议处理")
    locked = NoticeObjection.objects.select_for_update().get(pk=objection.pk)
    if locked.handled_at:
        raise ConflictError("该异议已处理")
    handling = (handling or "").strip()
    if len(handling) < 2:
        raise DomainError("请填写处理情况", field="handling")
    locked.handling = handling[:1000]
    locked.handled_at = timezone.now()
    locked.handled_by = actor
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor,
        action="public_notice.objection_handled",
        obj=locked.notice,
        new={"objection": locked.pk},
        reason=locked.handling[:500],
        organisation=locked.notice.county,
    )
    return locked


def _reported_applications(*, county, year: int):
    """The summary's reported first loans (signed and live) — the list the notice shows."""
    from .summaries import summary_applications as reported

    return reported(county=county, year=year)
