"""The relief measures' forms as spreadsheets (附件1–5, 附件7) through the one export path
(loanportal/exports: request → manager approval → job → audited download). Each sheet has the form's
layout: title, caption, merged group headers, signature lines. Rows come from the case selectors, so a
requester exports only what their scope shows."""

from loanportal.exports.registry import (
    DATE,
    ID_NUMBER,
    INTEGER,
    Column,
    register,
)
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role

from . import case_selectors as selectors
from . import categories, states
from .export_layout import FormLayout, param_int
from .export_layout import form_definition as _with_form
from .models import ReliefArchiveItem, ReliefPublicNotice

CASE_READERS = frozenset(COUNTY_ROLES | PROVINCE_ROLES | {Role.CITY_MANAGER})
BATCH_READERS = frozenset(PROVINCE_ROLES | {Role.BANK_OFFICER})
ARCHIVE_READERS = frozenset(COUNTY_ROLES | PROVINCE_ROLES | {Role.BANK_OFFICER})
FORM_CATEGORIES = {"relief_att1": ("1", "2", "3", "4"), "relief_att2": ("5a", "5b")}


def _contracts(case) -> str:
    return "；".join(c.contract_no for c in case.contracts.all())


def _method(case) -> str:
    return "、".join(sorted({v.get_method_display() for v in case.verifications.all()}))


def _listed_cases(user, params):
    """The cases the case list shows for these filters (状态, 类别, 姓名或救助编号): the 导出 buttons beside
    them export exactly that list."""
    return selectors.relief_case_queue(user=user, **selectors.case_list_filters(params))


def _list_summary(params) -> str:
    """The case list's filters in Chinese, with labels ("状态：待省级复审；类别：第1类")."""
    filters = selectors.case_list_filters(params)
    parts = []
    if filters["status"]:
        parts.append(
            f"状态：{dict(selectors.case_status_choices()).get(filters['status'], filters['status'])}"
        )
    if filters["category"] in categories.PRIORITY:
        parts.append(f"类别：第{filters['category']}类")
    if filters["q"].strip():
        parts.append(f"姓名或救助编号：{filters['q'].strip()}")
    return "；".join(parts)


def _form_cases(name, user, params):
    rows = _listed_cases(user, params).filter(category__in=FORM_CATEGORIES[name])
    case_pk = param_int(params, "case")
    if case_pk:
        rows = rows.filter(pk=case_pk)
    return rows.prefetch_related("contracts").order_by("priority", "county__code", "case_no")


def _form_rows(name):
    def rows(*, user, params):
        for n, case in enumerate(_form_cases(name, user, params), start=1):
            yield (
                n,
                case.case_no,
                case.county.name,
                case.borrower.name,
                case.borrower.id_number,
                getattr(case.borrower.university, "name", ""),
                _contracts(case),
                case.get_category_display(),
                categories.scope_label(case.category),
                case.applicant_name,
                case.get_applicant_kind_display(),
                case.applicant_relationship,
                case.applicant_id_number,
                case.facts,
                case.get_status_display(),
            )

    return rows


def _form_definition(name, title, attachment):
    return _with_form(
        name=name,
        title=title,
        columns=(
            Column("序号", INTEGER, 6),
            Column("救助编号", width=18),
            Column("受理单位", width=20),
            Column("姓名", width=10),
            Column("身份证号", ID_NUMBER, 21),
            Column("毕业院校", width=18),
            Column("借款合同号", width=20),
            Column("救助类别", width=26),
            Column("申请救助范围", width=24),
            Column("申请人姓名", width=10),
            Column("申请人类型", width=12),
            Column("与借款学生关系", width=10),
            Column("申请人身份证号", ID_NUMBER, 21),
            Column("申请理由", width=30),
            Column("办理状态", width=12),
        ),
        rows=_form_rows(name),
        count=lambda *, user, params: _form_cases(name, user, params).count(),
        roles=CASE_READERS,
        page="relief-case-list",
        describe=lambda params: "；".join(
            filter(
                None,
                [
                    f"{attachment}" + (f"（案件 {params.get('case')}）" if params.get("case") else ""),
                    _list_summary(params),
                ],
            )
        ),
        layout=FormLayout(
            caption=f"{attachment}　受理单位（盖章）：　　　　　　　　填表日期：　　年　　月　　日",
            groups=(("借款学生", 3, 6), ("救助申请", 7, 8), ("申请人", 9, 13)),
            signatures=("申请人签字：", "基层机构经办人：", "基层机构负责人：", "省资助中心复审："),
        ),
    )


register(_form_definition("relief_att1", "国家助学贷款还款救助申请表Ⅰ", "附件1"))
register(_form_definition("relief_att2", "国家助学贷款还款救助申请表Ⅱ", "附件2"))


# --- 附件3 公示表 -----------------------------------------------------------------------------------------------


def _notices(user, params):
    cases = _listed_cases(user, params).order_by().values("pk")
    return (
        ReliefPublicNotice.objects.filter(case__in=cases)
        .select_related("case", "case__borrower", "case__county")
        .order_by("case__county__code", "starts_on", "pk")
    )


def _notice_rows(*, user, params):
    for n, notice in enumerate(_notices(user, params), start=1):
        case = notice.case
        yield (
            n,
            case.county.name,
            case.borrower.name,
            case.get_category_display(),
            notice.content,
            notice.starts_on,
            notice.ends_on,
            notice.place,
            notice.objections.count(),
        )


register(
    _with_form(
        name="relief_att3",
        title="国家助学贷款还款救助公示表",
        columns=(
            Column("序号", INTEGER, 6),
            Column("基层机构", width=20),
            Column("姓名", width=10),
            Column("救助类别", width=26),
            Column("公示内容", width=30),
            Column("开始日期", DATE, 12),
            Column("结束日期", DATE, 12),
            Column("公示范围", width=18),
            Column("异议件数", INTEGER, 8),
        ),
        rows=_notice_rows,
        count=lambda *, user, params: _notices(user, params).count(),
        roles=CASE_READERS,
        page="relief-case-list",
        describe=lambda params: "；".join(filter(None, ["附件3 公示表", _list_summary(params)])),
        layout=FormLayout(
            caption="附件3　公示单位（盖章）：",
            groups=(("公示期", 5, 6),),
            signatures=("经办人：", "负责人：", "日期："),
        ),
    )
)


# --- 附件4 县（区）汇总表 -----------------------------------------------------------------------------------------


def _summary_cases(user, params):
    summaries = selectors.county_summaries_visible_to(user=user)
    summary_pk = param_int(params, "summary")
    if summary_pk:
        summaries = summaries.filter(pk=summary_pk)
    return (
        selectors.relief_cases_visible_to(user=user)
        .filter(county_summary__in=summaries)
        .prefetch_related("contracts", "verifications")
        .order_by("county__code", "county_summary_id", "priority", "case_no")
    )


def _summary_rows(*, user, params):
    for n, case in enumerate(_summary_cases(user, params), start=1):
        yield (
            n,
            case.borrower.name,
            case.borrower.id_number,
            getattr(case.borrower.university, "name", ""),
            _contracts(case),
            case.get_category_display(),
            categories.priority_label(case.category),
            categories.scope_label(case.category),
            case.applicant_name,
            _method(case),
            case.county_decided_at.date() if case.county_decided_at else None,
            case.county_reason or "同意",
        )


register(
    _with_form(
        name="relief_att4",
        title="XX县（区）生源地助学贷款还款救助申请汇总表",
        columns=(
            Column("序号", INTEGER, 6),
            Column("姓名", width=10),
            Column("身份证号", ID_NUMBER, 21),
            Column("毕业院校", width=18),
            Column("借款合同号", width=20),
            Column("救助类别", width=26),
            Column("救助重点", width=14),
            Column("救助范围", width=24),
            Column("申请人", width=10),
            Column("初审方式", width=14),
            Column("初审日期", DATE, 12),
            Column("初审意见", width=16),
        ),
        rows=_summary_rows,
        count=lambda *, user, params: _summary_cases(user, params).count(),
        roles=CASE_READERS,
        page="relief-summary-list",
        describe=lambda params: (
            "附件4" + (f"（汇总表 {params.get('summary')}）" if params.get("summary") else "")
        ),
        layout=FormLayout(
            caption="附件4　县（区）资助中心（盖章）：　　　　　　　　填报日期：　　年　　月　　日",
            groups=(("借款学生", 1, 4), ("救助申请", 5, 8), ("县级初审", 9, 11)),
            signatures=("负责人：", "经办人：", "联系电话：", "日期："),
        ),
    )
)


# --- 附件5 甘肃省汇总表（移交批次） ---------------------------------------------------------------------------------


def _batch_cases(user, params):
    batches = selectors.relief_batches_visible_to(user=user)
    batch_pk = param_int(params, "batch")
    if batch_pk:
        batches = batches.filter(pk=batch_pk)
    from .models import ReliefCase

    return (
        ReliefCase.objects.filter(batch__in=batches)
        .select_related("borrower", "county", "batch")
        .prefetch_related("contracts")
        .annotate(priority=selectors._priority())
        .order_by("batch_id", "priority", "county__code", "case_no")
    )


def _batch_rows(*, user, params):
    for n, case in enumerate(_batch_cases(user, params), start=1):
        yield (
            n,
            case.county.name,
            case.borrower.name,
            case.borrower.id_number,
            _contracts(case),
            case.get_category_display(),
            categories.priority_label(case.category),
            categories.scope_label(case.category),
            case.county_decided_at.date() if case.county_decided_at else None,
            case.province_decided_at.date() if case.province_decided_at else None,
            case.batch.handed_over_on,
            case.batch.cutoff_date,
        )


register(
    _with_form(
        name="relief_att5",
        title="甘肃省生源地助学贷款还款救助情况汇总表",
        columns=(
            Column("序号", INTEGER, 6),
            Column("县（区）", width=18),
            Column("姓名", width=10),
            Column("身份证号", ID_NUMBER, 21),
            Column("借款合同号", width=20),
            Column("救助类别", width=26),
            Column("救助重点", width=14),
            Column("救助范围", width=24),
            Column("县级初审日期", DATE, 12),
            Column("省级复审日期", DATE, 12),
            Column("银行收到材料日期", DATE, 14),
            Column("金额计算截止日", DATE, 14),
        ),
        rows=_batch_rows,
        count=lambda *, user, params: _batch_cases(user, params).count(),
        roles=BATCH_READERS,
        page="relief-batch-list",
        describe=lambda params: "附件5" + (f"（批次 {params.get('batch')}）" if params.get("batch") else ""),
        layout=FormLayout(
            caption="附件5　省学生资助管理中心（盖章）：　　　　　　　　填报日期：　　年　　月　　日",
            groups=(("借款学生", 1, 4), ("救助", 5, 7), ("审核与移交", 8, 11)),
            signatures=("省资助中心负责人：", "经办人：", "国开行甘肃分行接收人：", "日期："),
        ),
    )
)


# --- 附件7 归档材料清单 ------------------------------------------------------------------------------------------


def _archive_cases(user, params):
    return (
        selectors.relief_cases_visible_to(user=user)
        .exclude(status__in=(states.ENTERED, states.MATERIALS_INCOMPLETE))
        .order_by("county__code", "case_no")
    )


def _archive_rows(*, user, params):
    n = 0
    for case in _archive_cases(user, params):
        items = {
            item.attachment: item
            for item in ReliefArchiveItem.objects.filter(case=case).select_related("box", "box__holder")
        }
        has_notice = ReliefPublicNotice.objects.filter(case=case).exists()
        for holder in ("county", "province", "bank"):
            for code in categories.expected_attachments(
                holder_kind=holder, category=case.category, has_public_notice=has_notice
            ):
                n += 1
                item = items.get(code)
                yield (
                    n,
                    case.case_no,
                    case.borrower.name,
                    categories.ATTACHMENTS[code],
                    categories.HOLDER_LABELS[holder],
                    str(item.box) if item else "",
                    item.sequence if item else None,
                    "已归档" if item else "缺",
                )


register(
    _with_form(
        name="relief_att7",
        title="国家助学贷款还款救助归档材料清单",
        columns=(
            Column("序号", INTEGER, 6),
            Column("救助编号", width=18),
            Column("借款学生", width=10),
            Column("归档材料", width=30),
            Column("存档单位", width=22),
            Column("档案盒", width=20),
            Column("卷内序号", INTEGER, 8),
            Column("归档情况", width=10),
        ),
        rows=_archive_rows,
        count=lambda *, user, params: sum(1 for _ in _archive_rows(user=user, params=params)),
        roles=ARCHIVE_READERS,
        page="relief-archive-list",
        describe=lambda params: "附件7 归档材料清单",
        layout=FormLayout(
            caption="附件7　还款救助档案单独成盒、单独编号（第二十五条）",
            groups=(("存放位置", 4, 6),),
            signatures=("归档人：", "档案管理员：", "日期："),
        ),
    )
)
