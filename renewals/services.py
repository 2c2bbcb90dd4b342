"""Writes of the renewals app: the fee standard the intake form reads, renewal declarations and their
review (notice 三(七))."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.models import Student
from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES, OrgKind
from loanportal.scope import require_write_scope
from loanportal.services import notification_send_to_organisation
from loanportal.transitions import apply_transition
from loanportal.updates import model_update

from . import rules, states
from .models import FeeStandard, RenewalDeclaration, RenewalSource, RenewalStatus
from .selectors import fee_standard_find

FEE_FIELDS = ["tuition", "accommodation"]


@transaction.atomic
def fee_standard_set(
    *,
    actor,
    university,
    year: int,
    major: str,
    level: str,
    tuition: int,
    accommodation: int = 0,
) -> FeeStandard:
    """Create or update the fee standard (收费标准) of one major and level; audited. Only the university
    itself (or the system: demo data). Two first entries of the same standard at once: the unique
    constraint refuses the second, which answers 409, never 500."""
    require_write_scope(actor, university=university, business="收费标准维护", allow_system=True)
    standard = (
        FeeStandard.objects.select_for_update()
        .filter(university=university, year=year, major=major, level=level)
        .first()
    )
    created = standard is None
    if created:
        standard = FeeStandard(university=university, year=year, major=major, level=level)
    try:
        with transaction.atomic():
            model_update(
                instance=standard,
                fields=FEE_FIELDS,
                data={"tuition": tuition, "accommodation": accommodation},
                actor=actor,
                action="fee_standard.set",
                university=university,
                validate_constraints=False,
                created=created,
            )
    except IntegrityError as exc:
        raise ConflictError("该专业的收费标准刚被同时录入，请刷新后核对") from exc
    return standard


# --- renewal declarations (续贷声明, notice 三(七)) ----------------------------------------------------


def _amounts_check(*, student, year: int, university, tuition: int, accommodation: int) -> None:
    """The year's limit and minimum (applications' LoanPolicy) and, where the university has one, its fee
    standard for the student's major and level; ValidationError per field."""
    from applications.services.lifecycle.policy import amounts_check

    amounts_check(year=year, level=student.level, tuition=tuition, accommodation=accommodation)
    fee = fee_standard_find(university=university, year=year, major=student.major, level=student.level)
    errors = rules.fee_standard_errors(
        tuition=tuition,
        accommodation=accommodation,
        fee_tuition=fee.tuition if fee else None,
        fee_accommodation=fee.accommodation if fee else None,
    )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def renewal_declare(
    *,
    actor,
    student: Student,
    year: int,
    tuition_amount: int,
    accommodation_amount: int = 0,
    statement: str = "",
    application=None,
    contract_number: str = "",
    declared_on: datetime.date | None = None,
    source: str = "api",
    import_batch=None,
) -> RenewalDeclaration:
    """Record a student's renewal declaration (from the bank's system = the system, a county clerk at the
    window for a late declaration, or the student's university); audited. The contract being renewed is
    the student's earlier application or the bank's contract number. `source`: 银行系统导入 (with its
    `import_batch`), 接口提交, 窗口补录 (a late declaration at the county's window during intake, notice
    三(七) last sentence: only while the county's intake window is open) or 系统."""
    if source == RenewalSource.WINDOW:
        from deadlines.services import require_open

        if getattr(actor, "role", None) not in COUNTY_ROLES:
            raise PermissionDeniedError("窗口补录续贷声明由学生生源地县级资助中心办理")
        require_open("intake_window", actor.organisation, on=timezone.localdate(), action="窗口补录续贷声明")
    if student.university_id is None:
        raise DomainError("该学生没有登记就读高校，不能提交续贷声明", field="student")
    require_write_scope(
        actor,
        county=student.household_county,
        university=student.university,
        business="续贷声明登记",
        allow_system=True,
    )
    contract_number = (contract_number or "").strip()
    if application is not None:
        if application.student_id != student.pk:
            raise DomainError("原贷款申请不是该学生的", field="application")
        if application.year >= year:
            raise DomainError("续贷声明须针对以前年度的贷款合同", field="application")
        contract_number = contract_number or (application.contract_number or "")
    if application is None and not contract_number:
        raise DomainError("请填写原贷款合同编号或选择原贷款申请", field="contract_number")
    if RenewalDeclaration.objects.filter(student=student, year=year).exists():
        raise ConflictError(f"该学生{year}年度的续贷声明已提交，不能重复提交")
    _amounts_check(
        student=student,
        year=year,
        university=student.university,
        tuition=tuition_amount,
        accommodation=accommodation_amount,
    )
    declaration = RenewalDeclaration(
        student=student,
        application=application,
        contract_number=contract_number,
        year=year,
        county=student.household_county,
        university=student.university,
        tuition_amount=tuition_amount,
        accommodation_amount=accommodation_amount,
        statement=(statement or "").strip(),
        declared_on=declared_on or timezone.localdate(),
        source=source,
        import_batch=import_batch,
    )
    declaration.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError as exc:
        raise ConflictError(f"该学生{year}年度的续贷声明刚被同时提交，请刷新后查看") from exc
    audit_record(
        actor=actor,
        action="renewal.submitted",
        obj=declaration,
        new={
            "year": year,
            "contract_number": contract_number,
            "tuition_amount": tuition_amount,
            "accommodation_amount": accommodation_amount,
            "source": source,
        },
        organisation=declaration.county,
        university=declaration.university,
    )
    return declaration


def renewal_review(*, actor, declaration: RenewalDeclaration, decision: str, reason: str = ""):
    """The one review transition: approve / return (once) / reject, by the reviewer notice 三(七) names
    (renewals.rules.review_permission_refusal). Row lock and audit row in one transaction; a decision on
    a declaration another reviewer has just decided answers 409 (ConflictError)."""
    to = states.DECISIONS.get(decision)
    if to is None:
        raise DomainError("审核结果只能是通过、退回或不予通过", field="decision")
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = (
            RenewalDeclaration.objects.select_for_update().select_related("university").get(pk=declaration.pk)
        )
        refusal = rules.review_permission_refusal(
            role=getattr(actor, "role", None),
            organisation_id=getattr(actor, "organisation_id", None),
            university_id=locked.university_id,
            county_id=locked.county_id,
            university_in_province=locked.university.in_province,
        )
        if refusal:
            raise PermissionDeniedError(refusal)
        refusal = rules.review_state_refusal(status=locked.status, to=to, return_count=locked.return_count)
        if refusal:
            raise ConflictError(refusal)
        if to in states.REASON_REQUIRED and not reason:
            raise DomainError(f"{states.DECISION_LABELS[decision]}必须填写原因", field="reason")
        if to == states.APPROVED:
            _amounts_check(
                student=locked.student,
                year=locked.year,
                university=locked.university,
                tuition=locked.tuition_amount,
                accommodation=locked.accommodation_amount,
            )
        extra = {
            "reviewer_organisation": actor.organisation,
            "reviewed_by": actor,
            "reviewed_at": timezone.now(),
            "review_reason": reason,
        }
        if to == states.RETURNED:
            extra["return_count"] = locked.return_count + 1
        return apply_transition(
            instance=locked,
            to=to,
            actor=actor,
            allowed=states.TRANSITIONS,
            reason=reason,
            reason_required_for=states.REASON_REQUIRED,
            labels=RenewalStatus,
            organisation=locked.county,
            university=locked.university,
            extra=extra,
            action_prefix="renewal",
        )


def renewal_resubmit(
    *,
    actor,
    declaration: RenewalDeclaration,
    tuition_amount: int,
    accommodation_amount: int,
    statement: str = "",
):
    """A returned declaration, corrected, comes back for review (once: a second return is refused). The
    student's university or county records the correction (or the system, from the bank's file)."""
    require_write_scope(
        actor,
        county=declaration.county,
        university=declaration.university,
        business="续贷声明修改",
        allow_system=True,
    )
    with transaction.atomic():
        locked = RenewalDeclaration.objects.select_for_update().get(pk=declaration.pk)
        if locked.status != states.RETURNED:
            raise ConflictError(
                f"当前状态为“{states.LABELS.get(locked.status, locked.status)}”，只有已退回修改的续贷声明可以重新提交"
            )
        _amounts_check(
            student=locked.student,
            year=locked.year,
            university=locked.university,
            tuition=tuition_amount,
            accommodation=accommodation_amount,
        )
        return apply_transition(
            instance=locked,
            to=states.RESUBMITTED,
            actor=actor,
            allowed=states.TRANSITIONS,
            labels=RenewalStatus,
            organisation=locked.county,
            university=locked.university,
            extra={
                "tuition_amount": tuition_amount,
                "accommodation_amount": accommodation_amount,
                "statement": (statement or locked.statement).strip(),
            },
            action_prefix="renewal",
        )


def renewal_hand_over_overdue(*, loan_year, key_date, organisation, as_of, dry_run) -> list:
    """Calendar enforcement of `renewal_review_due` for one university (notice 三(七) 兜底): every
    declaration of an out-of-province university still unreviewed after its (extended) review date is
    handed to the student's county — flagged once, audited, both sides notified. Idempotent: a declaration
    already handed over is never touched again; an in-province university hands nothing over."""
    from deadlines.services import deadline_for

    year = getattr(loan_year, "year", loan_year)
    if organisation.kind != OrgKind.UNIVERSITY or organisation.in_province:
        return []
    if as_of <= deadline_for(key_date.code, organisation, year=year):
        return []  # the university's own (extended) date has not passed
    pending = (
        RenewalDeclaration.objects.select_for_update()
        .select_related("student", "county")
        .filter(university=organisation, year=year, status__in=states.PENDING, handed_to_county=False)
        .order_by("pk")
    )
    touched = []
    now = timezone.now()
    by_county: dict = {}
    for declaration in pending:
        description = f"{declaration.student.name}：{states.HANDED_OVER_NOTE}（{declaration.county.name}）"
        touched.append((declaration, description))
        if dry_run:
            continue
        declaration.handed_to_county = True
        declaration.handed_to_county_at = now
        declaration.save(update_fields=["handed_to_county", "handed_to_county_at", "updated_at"])
        audit_record(
            actor=None,
            action="renewal.handed_to_county",
            obj=declaration,
            old={"handed_to_county": False},
            new={"handed_to_county": True, "key_date": key_date.code, "loan_year": year},
            reason=states.HANDED_OVER_NOTE,
            organisation=declaration.county,
            university=organisation,
        )
        by_county.setdefault(declaration.county, []).append(declaration)
    if dry_run or not touched:
        return touched
    url = reverse("renewal-list")
    for county, declarations in by_county.items():
        notification_send_to_organisation(
            organisation=county,
            roles=COUNTY_ROLES,
            title=f"{states.HANDED_OVER_NOTE}：{organisation.name} {len(declarations)} 份续贷声明",
            body=f"{organisation.name}未在审核期限内完成续贷声明审核，请县级资助中心兜底审核。",
            url=url + "?handed=1",
            category="renewal",
            level="warning",
            dedupe_key=f"renewal-handover:{year}:{organisation.pk}:{county.pk}",
        )
    notification_send_to_organisation(
        organisation=organisation,
        roles=UNIVERSITY_ROLES,
        title=f"{len(touched)} 份续贷声明逾期未审，已转学生所在县级资助中心审核",
        body="贵校未在审核期限内完成这些续贷声明的审核，已按通知三(七)转县级学生资助机构兜底审核。",
        url=url + "?handed=1",
        category="renewal",
        level="warning",
        dedupe_key=f"renewal-handover:{year}:{organisation.pk}",
    )
    return touched
