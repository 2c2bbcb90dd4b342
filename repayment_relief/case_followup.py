"""After the relief (第二十三–二十七条): credit-record follow-up, fraud finding and blacklist, archives with
their own boxes and numbering, the county's information officer. Keyword-only, validated, audited."""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role
from loanportal.scope import require_write_scope
from loanportal.updates import model_update

from . import categories, states
from .models import (
    ReliefArchiveBox,
    ReliefArchiveItem,
    ReliefBlacklistEntry,
    ReliefCase,
    ReliefInformationOfficer,
)

# Amount above which a fraud case is flagged as large (申请金额较大, 第二十三条: referral to the courts).
LARGE_AMOUNT_YUAN = 20000


def relief_credit_confirm(*, actor, case: ReliefCase, note: str = "") -> ReliefCase:
    """征信处理确认 (第二十四条): the bank confirms it cleared (1–4) or annotated (5) the credit record."""
    if getattr(actor, "role", None) != Role.BANK_OFFICER:
        raise PermissionDeniedError("只有国开行经办人员可以确认征信处理")
    if case.status not in (states.HANDED_OVER, states.RELIEVED):
        raise ConflictError("案件移交银行后才能确认征信处理")
    with transaction.atomic():
        locked = ReliefCase.objects.select_for_update().get(pk=case.pk)
        if locked.credit_confirmed_at:
            raise ConflictError("征信处理已确认")
        model_update(
            instance=locked,
            fields=["credit_confirmed_at", "credit_confirmed_by", "credit_note"],
            data={
                "credit_confirmed_at": timezone.now(),
                "credit_confirmed_by": actor,
                "credit_note": (note.strip() or categories.credit_action(locked.category))[:200],
            },
            actor=actor,
            action="relief_case.credit_confirm",
            organisation=locked.county,
        )
    return locked


def relief_fraud_record(
    *,
    actor,
    case: ReliefCase,
    finding: str,
    employer_letter_on: datetime.date | None = None,
    court_referral_on: datetime.date | None = None,
    large_amount: bool = False,
) -> ReliefCase:
    """失信惩戒 (第二十三条): the finding, letters to the employer, referral to the courts, a large amount;
    the applicant goes on the blacklist counties see at intake and relief."""
    role = getattr(actor, "role", None)
    if role in COUNTY_ROLES:
        require_write_scope(actor, county=case.county, business="失信惩戒登记")
    elif role not in PROVINCE_ROLES:
        raise PermissionDeniedError("只有县级或省级资助中心可以登记失信查实情况")
    if len(finding.strip()) < 4:
        raise DomainError("请填写查实情况（虚构了什么理由、伪造了哪些要件）", field="finding")
    with transaction.atomic():
        locked = ReliefCase.objects.select_for_update().get(pk=case.pk)
        model_update(
            instance=locked,
            fields=[
                "fraud_found",
                "fraud_finding",
                "fraud_found_at",
                "fraud_found_by",
                "employer_letter_on",
                "court_referral_on",
                "large_amount",
            ],
            data={
                "fraud_found": True,
                "fraud_finding": finding.strip(),
                "fraud_found_at": locked.fraud_found_at or timezone.now(),
                "fraud_found_by": locked.fraud_found_by or actor,
                "employer_letter_on": employer_letter_on,
                "court_referral_on": court_referral_on,
                "large_amount": large_amount,
            },
            actor=actor,
            action="relief_case.fraud",
            reason=finding.strip(),
            organisation=locked.county,
        )
        if not ReliefBlacklistEntry.objects.filter(
            case=locked, id_number=locked.applicant_id_number
        ).exists():
            entry = ReliefBlacklistEntry(
                id_number=locked.applicant_id_number,
                name=locked.applicant_name,
                case=locked,
                reason=finding.strip(),
                created_by=actor,
            )
            entry.full_clean()
            entry.save()
            audit_record(
                actor=actor,
                action="relief_blacklist.add",
                obj=locked,
                reason=finding.strip(),
                organisation=locked.county,
            )
    return locked


# --- archives (第二十五、二十六条) ------------------------------------------------------------------------------


def _holder_kind(actor) -> str:
    org = getattr(actor, "organisation", None)
    kind = getattr(org, "kind", None)
    if kind not in categories.HOLDER_LABELS:
        raise PermissionDeniedError("只有县级、省级资助中心和国开行保管还款救助档案")
    if getattr(actor, "role", None) in (Role.CITY_MANAGER,):
        raise PermissionDeniedError("市级不保管还款救助档案")
    return kind


@transaction.atomic
def relief_archive_box_create(*, actor, year: int, title: str = "") -> ReliefArchiveBox:
    """A new box of relief archives (单独成盒, own numbering per holder and year, 第二十五条（一）)."""
    _holder_kind(actor)
    holder = actor.organisation
    type(holder).objects.select_for_update().get(pk=holder.pk)
    number = (
        ReliefArchiveBox.objects.filter(holder=holder, year=year).aggregate(m=Max("number"))["m"] or 0
    ) + 1
    box = ReliefArchiveBox(holder=holder, year=year, number=number, title=title.strip()[:100])
    box.full_clean()
    box.save()
    audit_record(actor=actor, action="relief_archive_box.create", obj=box, organisation=holder)
    return box


@transaction.atomic
def relief_archive_item_add(
    *, actor, box: ReliefArchiveBox, case: ReliefCase, attachment: str
) -> ReliefArchiveItem:
    """Archive one attachment of a case in the holder's own box; only what 第二十五条 gives this holder."""
    kind = _holder_kind(actor)
    if box.holder_id != actor.organisation_id:
        raise PermissionDeniedError("只能向本单位的档案盒归档")
    if attachment not in categories.ATTACHMENTS:
        raise DomainError("请选择归档材料", field="attachment")
    if categories.ARCHIVE_HOLDER[attachment] != kind:
        where = categories.HOLDER_LABELS[categories.ARCHIVE_HOLDER[attachment]]
        raise DomainError(
            f"{categories.ATTACHMENTS[attachment]}由{where}存档（第二十五条）", field="attachment"
        )
    if attachment in ("att1", "att2") and attachment != categories.application_form_attachment(case.category):
        raise DomainError(
            "该案件的申请表不是这一张（第一至四类用申请表Ⅰ，第五类用申请表Ⅱ）", field="attachment"
        )
    if ReliefArchiveItem.objects.filter(box__holder=box.holder, case=case, attachment=attachment).exists():
        raise ConflictError("该材料已归档")
    locked = ReliefArchiveBox.objects.select_for_update().get(pk=box.pk)
    sequence = (locked.items.aggregate(m=Max("sequence"))["m"] or 0) + 1
    item = ReliefArchiveItem(
        box=locked, case=case, attachment=attachment, sequence=sequence, archived_by=actor
    )
    item.full_clean()
    item.save()
    audit_record(
        actor=actor,
        action="relief_archive.add",
        obj=locked,
        new={"case": case.case_no, "attachment": attachment, "sequence": sequence},
        organisation=locked.holder,
    )
    return item


# --- information officer (第二十七条) -----------------------------------------------------------------------


@transaction.atomic
def relief_information_officer_name(*, actor, county, user) -> ReliefInformationOfficer:
    """The county manager names the county's information officer (信息管理责任人)."""
    require_write_scope(actor, county=county, business="信息管理责任人指定")
    if getattr(actor, "role", None) != Role.COUNTY_MANAGER:
        raise PermissionDeniedError("只有县级负责人可以指定信息管理责任人")
    if user.organisation_id != county.pk or not user.is_active:
        raise DomainError("信息管理责任人应为本县在岗人员", field="user")
    officer = ReliefInformationOfficer.objects.select_for_update().filter(county=county).first()
    old = {"user": officer.user.username} if officer else None
    if officer is None:
        officer = ReliefInformationOfficer(county=county, user=user, named_by=actor)
    else:
        officer.user, officer.named_by = user, actor
    officer.full_clean()
    officer.save()
    audit_record(
        actor=actor,
        action="relief_information_officer.name",
        obj=officer,
        old=old,
        new={"user": user.username},
        organisation=county,
    )
    return officer
