"""Fee standards (收费标准) and the fee account (收费账户) of a university — notice 八: entered and the
account confirmed by `fee_standard_due` (7/15). Scoped reads first, then the writes (services): the table
saved at once (the spreadsheet import: renewals.fee_import), the yearly account confirmation, and the
calendar's list of late universities (the enforcement of `fee_standard_due`)."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError
from loanportal.models import Organisation, StudyLevel
from loanportal.roles import PROVINCE_ROLES, UNIVERSITY_ROLES, OrgKind
from loanportal.scope import require_write_scope
from loanportal.services import notification_send_to_organisation
from loanportal.updates import model_update

from . import rules
from .models import FeeAccount, FeeStandard, LateFeeUniversity

LEVELS = dict(StudyLevel.choices)
BUSINESS = "收费标准维护"

# --- scoped reads --------------------------------------------------------------------------------------


def fee_university_of(user) -> Organisation | None:
    """The university whose fee standards this user edits (None: not a university user)."""
    org = getattr(user, "organisation", None)
    if getattr(user, "role", None) in UNIVERSITY_ROLES and org is not None and org.kind == OrgKind.UNIVERSITY:
        return org
    return None


def fee_account_of(*, university, year: int) -> FeeAccount | None:
    return FeeAccount.objects.filter(university=university, year=year).select_related("confirmed_by").first()


def fee_account_confirmed(*, university, year: int) -> bool:
    return university is not None and FeeAccount.objects.filter(university=university, year=year).exists()


def fee_obligation(*, university, year: int) -> int:
    """Open items of `fee_standard_due` for one university: no standards (1), no account confirmation (1)."""
    return rules.fee_obligation_count(
        has_standards=FeeStandard.objects.filter(university=university, year=year).exists(),
        account_confirmed=fee_account_confirmed(university=university, year=year),
    )


def fee_overview(*, user, year: int):
    """Province (and city) view: every university with its number of standards for the year, whether its
    account is confirmed and whether the calendar listed it as late. Universities see only themselves."""
    universities = Organisation.objects.filter(kind=OrgKind.UNIVERSITY)
    own = fee_university_of(user)
    if own is not None:
        universities = universities.filter(pk=own.pk)
    elif getattr(user, "role", None) not in PROVINCE_ROLES:
        return Organisation.objects.none()
    return universities.annotate(
        standards=Count("fee_standards", filter=Q(fee_standards__year=year)),
        account_confirmed=Exists(FeeAccount.objects.filter(university=OuterRef("pk"), year=year)),
        late=Exists(LateFeeUniversity.objects.filter(university=OuterRef("pk"), year=year)),
    ).order_by("-late", "-in_province", "code")


def late_fee_universities(*, user, year: int):
    """The province's list of late universities (逾期高校) for the year; nobody else has one."""
    if getattr(user, "role", None) not in PROVINCE_ROLES:
        return LateFeeUniversity.objects.none()
    return (
        LateFeeUniversity.objects.filter(year=year).select_related("university").order_by("university__code")
    )


# --- the table page: save every row at once -------------------------------------------------------------


@dataclass
class FeeRow:
    """One row of the table as typed: `pk` of an existing standard (None: a new row), `delete` ticked."""

    major: str
    level: str
    tuition: object
    accommodation: object
    pk: int | None = None
    delete: bool = False


class FeeTableRejected(DomainError):
    """Some rows have errors: nothing was saved. `errors`: row index → {field: Chinese message}."""

    def __init__(self, *, errors: dict):
        super().__init__(f"收费标准表中有{len(errors)}行有错误，未保存任何一行；请按提示修改后重新保存")
        self.errors = errors


def fee_rows_duplicated(keyed: list[tuple[int, tuple]], describe) -> dict:
    errors, first = {}, {}
    for index, key in keyed:
        if key in first:
            errors[index] = describe(first[key], key)
        else:
            first[key] = index
    return errors


def fee_standards_save(*, actor, university, year: int, rows: list[FeeRow]) -> dict:
    """Save the fee standards table of one university and year in one go (收费标准录入): every row is
    checked first (rules.fee_row_errors, a major and level only once); any error → FeeTableRejected
    with the errors per row and nothing written. Otherwise each changed row is written and audited
    (`fee_standard.set` old → new, `fee_standard.delete`). Returns {"created", "updated", "deleted"}."""
    require_write_scope(actor, university=university, business=BUSINESS)
    errors: dict[int, dict] = {}
    keyed = []
    existing = {s.pk: s for s in FeeStandard.objects.filter(university=university, year=year)}
    for index, row in enumerate(rows):
        if row.pk is not None and row.pk not in existing:
            errors[index] = {"major": "该行收费标准已不存在（可能已被他人删除），请刷新页面"}
            continue
        if row.delete:
            continue
        level = rules.level_from_text(row.level, LEVELS)
        row_errors = rules.fee_row_errors(
            major=row.major, level=level, tuition=row.tuition, accommodation=row.accommodation
        )
        if row_errors:
            errors[index] = row_errors
        else:
            keyed.append((index, (row.major.strip(), level)))
    for index, message in fee_rows_duplicated(
        keyed,
        lambda first, key: f"“{key[0]}（{LEVELS[key[1]]}）”与第{first + 1}行重复，每个专业和学历层次只填一行",
    ).items():
        errors.setdefault(index, {})["major"] = message
    if errors:
        raise FeeTableRejected(errors=errors)
    counts = {"created": 0, "updated": 0, "deleted": 0}
    with transaction.atomic():
        locked = {
            s.pk: s for s in FeeStandard.objects.select_for_update().filter(university=university, year=year)
        }
        for row in rows:
            if row.delete and row.pk is not None and row.pk in locked:
                standard = locked[row.pk]
                audit_record(
                    actor=actor,
                    action="fee_standard.delete",
                    obj=standard,
                    old={
                        "major": standard.major,
                        "level": standard.level,
                        "tuition": standard.tuition,
                        "accommodation": standard.accommodation,
                    },
                    university=university,
                )
                standard.delete()
                counts["deleted"] += 1
        for row in rows:
            if row.delete:
                continue
            level = rules.level_from_text(row.level, LEVELS)
            data = {
                "major": row.major.strip(),
                "level": level,
                "tuition": int(str(row.tuition).replace(",", "").split(".")[0]),
                "accommodation": int(str(row.accommodation).replace(",", "").split(".")[0]),
            }
            standard = locked.get(row.pk) if row.pk is not None else None
            created = standard is None
            if created:
                standard = FeeStandard(university=university, year=year)
            _, changed = fee_standard_write(actor=actor, standard=standard, data=data, created=created)
            if created:
                counts["created"] += 1
            elif changed:
                counts["updated"] += 1
    return counts


def fee_standard_write(*, actor, standard: FeeStandard, data: dict, created: bool):
    try:
        with transaction.atomic():
            return model_update(
                instance=standard,
                fields=["major", "level", "tuition", "accommodation"],
                data=data,
                actor=actor,
                action="fee_standard.set",
                university=standard.university,
                validate_constraints=False,  # a duplicate (or a concurrent first entry) is the 409 below
                created=created,
            )
    except IntegrityError as exc:
        raise ConflictError("该专业的收费标准刚被同时录入，请刷新后核对") from exc


# --- the fee account (收费账户), confirmed once a year --------------------------------------------------

ACCOUNT_FIELDS = ["account_name", "bank_name", "account_number", "confirmed_by", "confirmed_at"]


@transaction.atomic
def fee_account_confirm(
    *, actor, university, year: int, account_name: str, bank_name: str, account_number: str
) -> FeeAccount:
    """Confirm the university's fee account for the loan year (收费账户核对确认): who and when, audited
    (old → new when it is confirmed again with other details). Only the university's own staff."""
    require_write_scope(actor, university=university, business="收费账户确认")
    account = FeeAccount.objects.select_for_update().filter(university=university, year=year).first()
    created = account is None
    if created:
        account = FeeAccount(university=university, year=year)
    data = {
        "account_name": (account_name or "").strip(),
        "bank_name": (bank_name or "").strip(),
        "account_number": "".join((account_number or "").split()).replace("-", ""),
        "confirmed_by": actor,
        "confirmed_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            model_update(
                instance=account,
                fields=ACCOUNT_FIELDS,
                data=data,
                actor=actor,
                action="fee_account.confirm",
                university=university,
                validate_constraints=False,
                created=created,
            )
    except IntegrityError as exc:
        raise ConflictError("收费账户刚被同时确认，请刷新后核对") from exc
    return account


# --- the calendar: late universities (enforcement of fee_standard_due) ----------------------------------


def fee_late_universities_record(*, loan_year, key_date, organisation, as_of, dry_run) -> list:
    """Enforcement of `fee_standard_due` for one university, the day after its (extended) date: without
    fee standards or without the account confirmation for the year it goes on the province's list of
    late universities (逾期高校) — one row, audited, the province notified. Idempotent: a university
    already listed is not listed again (the engine's EnforcementRun runs it once anyway)."""
    from deadlines.services import deadline_for

    year = getattr(loan_year, "year", loan_year)
    if organisation.kind != OrgKind.UNIVERSITY:
        return []
    deadline = deadline_for(key_date.code, organisation, year=year)
    if as_of <= deadline:
        return []
    missing_standards = not FeeStandard.objects.filter(university=organisation, year=year).exists()
    missing_account = not fee_account_confirmed(university=organisation, year=year)
    if not (missing_standards or missing_account):
        return []
    what = "、".join(
        text
        for text, missing in (("未录入收费标准", missing_standards), ("未确认收费账户", missing_account))
        if missing
    )
    description = f"{organisation.name}：{what}，列入收费标准逾期高校名单"
    if LateFeeUniversity.objects.filter(university=organisation, year=year).exists():
        return []
    if dry_run:
        return [(organisation, description)]
    late = LateFeeUniversity.objects.create(
        university=organisation,
        year=year,
        deadline=deadline,
        missing_standards=missing_standards,
        missing_account=missing_account,
    )
    audit_record(
        actor=None,
        action="fee_standard.late",
        obj=late,
        new={
            "年度": year,
            "截止日期": deadline.isoformat(),
            "未录入收费标准": missing_standards,
            "未确认收费账户": missing_account,
        },
        reason=description,
        university=organisation,
    )
    province = Organisation.objects.filter(kind=OrgKind.PROVINCE).first()
    url = reverse("fee-standard-list")
    if province is not None:
        notification_send_to_organisation(
            organisation=province,
            roles=PROVINCE_ROLES,
            title=f"收费标准逾期：{organisation.name}",
            body=description,
            url=url,
            category="fee_standard",
            level="warning",
            dedupe_key=f"fee-late:{year}:{organisation.pk}",
        )
    notification_send_to_organisation(
        organisation=organisation,
        roles=UNIVERSITY_ROLES,
        title="收费标准录入已逾期",
        body=f"贵校{what}，已列入省中心的收费标准逾期高校名单，请尽快完成。",
        url=url,
        category="fee_standard",
        level="warning",
        dedupe_key=f"fee-late:{year}:{organisation.pk}:university",
    )
    return [(late, description)]
