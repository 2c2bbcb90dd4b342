"""Scoped reads of relief cases (还款救助案件) and the actions a user may take on one.

Scope (loanportal.scope): a county sees its cases, a city its counties', the province all, the bank the
cases handed over to it (and their batches). Universities see none. The blacklist (失信名单, 第二十三条) is
province-wide on purpose: every county checks it at intake and relief.
"""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role
from loanportal.scope import org_kind, scope_q

from . import categories, states
from .models import (
    ReliefArchiveBox,
    ReliefBatch,
    ReliefBlacklistEntry,
    ReliefCase,
    ReliefCountySummary,
    ReliefDocument,
    ReliefInformationOfficer,
)

BANK_STATES = (states.HANDED_OVER, states.RELIEVED)


def relief_case_scope_q(user, prefix: str = "") -> Q:
    bank = Q(**{f"{prefix}status__in": BANK_STATES})
    return scope_q(user, county=f"{prefix}county", bank=bank)


def _priority():
    """第十七条 as a sortable number: 1–2 first, then 3–4, then 5."""
    return Case(
        *[When(category=c, then=Value(p)) for c, p in categories.PRIORITY.items()],
        default=Value(9),
        output_field=IntegerField(),
    )


def relief_cases_visible_to(*, user) -> QuerySet[ReliefCase]:
    return (
        ReliefCase.objects.filter(relief_case_scope_q(user))
        .select_related("borrower", "county", "county_summary", "batch", "created_by")
        .annotate(priority=_priority())
    )


def relief_case_get(*, user, pk) -> ReliefCase:
    return get_object_or_404(relief_cases_visible_to(user=user), pk=pk)


def case_status_choices() -> list[tuple[str, str]]:
    """The case list's 状态 filter (the page and its 附件1–3 exports describe it with these labels)."""
    return [
        ("", "全部状态"),
        ("county_queue", "县级待办（含省级退回）"),
        ("province_queue", "待省级复审"),
        ("credit_pending", "征信待银行确认"),
        *states.LABELS.items(),
    ]


def case_list_filters(params) -> dict:
    """The case list's filters from its GET parameters (or an export's params), cut as the page cuts them."""
    return {
        "status": str(params.get("status", "") or "")[:32],
        "category": str(params.get("category", "") or "")[:4],
        "q": str(params.get("q", "") or "")[:50],
    }


def relief_case_queue(*, user, status: str = "", category: str = "", q: str = "") -> QuerySet[ReliefCase]:
    """The case list: the county's work first; the province's re-review queue in 第十七条 order."""
    rows = relief_cases_visible_to(user=user)
    if status in states.LABELS:
        rows = rows.filter(status=status)
    elif status == "county_queue":
        rows = rows.filter(status__in=states.COUNTY_QUEUE)
    elif status == "province_queue":
        rows = rows.filter(status__in=states.PROVINCE_QUEUE)
    elif (
        status == "credit_pending"
    ):  # 第二十四条: handed over, the bank has not confirmed the credit record yet
        rows = rows.filter(status__in=BANK_STATES, credit_confirmed_at__isnull=True)
    if category in categories.PRIORITY:
        rows = rows.filter(category=category)
    q = (q or "").strip()[:50]
    if q:
        rows = rows.filter(Q(borrower__name__icontains=q) | Q(case_no__icontains=q))
    return rows.order_by("priority", "county__code", "case_no")


def relief_documents_visible_to(*, user) -> QuerySet[ReliefDocument]:
    return ReliefDocument.objects.filter(relief_case_scope_q(user, "case__")).select_related(
        "case", "case__county"
    )


def county_summaries_visible_to(*, user) -> QuerySet[ReliefCountySummary]:
    return ReliefCountySummary.objects.filter(scope_q(user, county="county")).select_related("county")


def relief_batches_visible_to(*, user) -> QuerySet[ReliefBatch]:
    kind = org_kind(user)
    if kind == "province":
        return ReliefBatch.objects.all()
    if kind == "bank":
        return ReliefBatch.objects.filter(status=states.BATCH_HANDED_OVER)
    return ReliefBatch.objects.filter(pk__in=[])  # counties see their cases' batch on the case


def batch_cases(batch: ReliefBatch) -> QuerySet[ReliefCase]:
    """附件5 order: 第十七条 priority, then county and case number."""
    return (
        batch.cases.select_related("borrower", "county")
        .annotate(priority=_priority())
        .order_by("priority", "county__code", "case_no")
    )


def blacklist_matches(*, user, id_numbers) -> QuerySet[ReliefBlacklistEntry]:
    """Blacklist entries for these ID numbers (intake and relief warnings); county, city and province."""
    if org_kind(user) not in ("county", "city", "province", "bank"):
        return ReliefBlacklistEntry.objects.none()
    numbers = [n for n in id_numbers if n]
    return ReliefBlacklistEntry.objects.filter(id_number__in=numbers).select_related("case", "case__county")


def blacklist_of_my_borrowers(*, user) -> QuerySet[ReliefBlacklistEntry]:
    """Blacklist entries for the borrowers (and their co-borrowers) in the user's scope: the warning on the
    intake page (第二十三条), before a case is opened."""
    from loanportal.models import CoBorrower
    from loanportal.selectors import students_visible_to

    students = students_visible_to(user=user)
    numbers = (
        students.order_by()
        .values("id_number")
        .union(CoBorrower.objects.filter(student__in=students.values("pk")).order_by().values("id_number"))
    )
    return blacklist_visible_to(user=user).filter(id_number__in=numbers)


def blacklist_visible_to(*, user) -> QuerySet[ReliefBlacklistEntry]:
    if org_kind(user) not in ("county", "city", "province", "bank"):
        return ReliefBlacklistEntry.objects.none()
    return ReliefBlacklistEntry.objects.select_related("case", "case__county")


def archive_boxes_visible_to(*, user) -> QuerySet[ReliefArchiveBox]:
    if org_kind(user) == "province":
        return ReliefArchiveBox.objects.select_related("holder")
    organisation_id = getattr(user, "organisation_id", None)
    if not organisation_id or org_kind(user) not in ("county", "bank"):
        return ReliefArchiveBox.objects.none()
    return ReliefArchiveBox.objects.filter(holder_id=organisation_id).select_related("holder")


def archive_box_missing(box: ReliefArchiveBox) -> list[tuple[ReliefCase, list[str]]]:
    """缺件清单 (附件7): for each case with something in the box, the attachments this holder must keep
    (第二十五条) that are not archived anywhere in the holder's boxes."""
    holder_kind = box.holder.kind
    case_ids = box.items.exclude(case__isnull=True).values_list("case_id", flat=True).distinct()
    result = []
    for case in ReliefCase.objects.filter(pk__in=case_ids).select_related("borrower").order_by("case_no"):
        expected = categories.expected_attachments(
            holder_kind=holder_kind, category=case.category, has_public_notice=hasattr(case, "public_notice")
        )
        have = set(case.archive_items.filter(box__holder=box.holder).values_list("attachment", flat=True))
        missing = [categories.ATTACHMENTS[a] for a in expected if a not in have]
        if missing:
            result.append((case, missing))
    return result


def information_officer_of(county) -> ReliefInformationOfficer | None:
    return ReliefInformationOfficer.objects.filter(county=county).select_related("user").first()


# --- actions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    code: str  # the form's/API's action
    label: str
    needs_reason: bool = False
    danger: bool = False


def relief_case_actions_for(user, case: ReliefCase) -> list[Action]:
    """What this user may do on the case now — the same rules the services refuse with."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    role = getattr(user, "role", None)
    actions: list[Action] = []
    own_county = role in COUNTY_ROLES and user.organisation_id == case.county_id
    if own_county and case.status in states.EDITABLE:
        actions.append(Action("upload", "上传材料"))
        actions.append(Action("verify", "记录初审核实"))
        if not hasattr(case, "public_notice"):
            actions.append(Action("notice", "登记公示"))
        if case.status == states.RETURNED:
            actions.append(Action("resume", "重新办理（复查材料）"))
        else:
            actions.append(Action("check", "材料审查"))
    if (
        own_county
        and role == Role.COUNTY_MANAGER
        and case.created_by_id != user.pk
        and case.status == states.COUNTY_REVIEW
    ):
        actions.append(Action("county_pass", "县级初审通过"))
        actions.append(Action("county_reject", "县级初审不通过", needs_reason=True, danger=True))
    if role in PROVINCE_ROLES and case.status in states.PROVINCE_QUEUE:
        actions.append(Action("province_pass", "省级复审通过"))
        actions.append(Action("province_return", "退回县级", needs_reason=True, danger=True))
        actions.append(Action("province_reject", "省级复审不通过", needs_reason=True, danger=True))
    if role == Role.BANK_OFFICER and case.status in BANK_STATES and not case.credit_confirmed_at:
        actions.append(Action("credit_confirm", "确认征信已处理"))
    if (own_county or role in PROVINCE_ROLES) and not case.fraud_found:
        actions.append(Action("fraud", "登记失信查实", needs_reason=True, danger=True))
    return actions


def relief_case_can(user, case: ReliefCase, code: str) -> bool:
    return any(a.code == code for a in relief_case_actions_for(user, case))
