"""Pure rules of relief cases, no database: categories and their documents (第十二–十六条, 第十九条),
the category-3 year (第十四条), the 5b grace period (第十六条（二）), 公示 working days (第二十条（三）),
priority (第十七条), scope (第十八条), credit follow-up (第二十四条) and archive places (第二十五条)."""

import datetime
import re

from deadlines.rules import working_days  # noqa: F401  (公示's working days, 第二十条（三）: the calendar's one count)

from .rules import SCOPE_ALL, category_scope

# --- documents (救助要件) ------------------------------------------------------------------------------

DOCUMENT_LABELS: dict[str, str] = {
    "contract": "贷款合同",
    "applicant_id": "申请人身份证",
    "agent_id": "代理人身份证",
    "authorisation": "授权书（代理关系证明）",
    "relationship": "与借款学生的关系证明",
    "police_certificate": "公安机关出具的死亡、失踪证明",
    "household_deregistration": "居民户口注销证明",
    "labour_appraisal": "劳动能力鉴定证明（GB/T 16180-2014 一至四级）",
    "court_judgment": "人民法院宣告无民事行为能力的判决书",
    "disaster_certificate": "县级民政部门出具的因灾经济损失证明",
    "medical_vouchers": "医保报销凭证",
    "medical_records": "病历复印件",
    "poverty_handbook": "《扶贫手册》等有效证件",
    "low_income_certificate": "村、居委会或民政部门出具的低收入证明",
    "signed_form": "申请人签字的还款救助申请表",
    "other": "其他材料",
}

CATEGORY_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "1": ("police_certificate", "household_deregistration"),  # 第十二条
    "3": ("disaster_certificate",),  # 第十四条
    "4": ("medical_vouchers", "medical_records"),  # 第十五条
    "5a": ("poverty_handbook",),  # 第十六条（一）
    "5b": ("low_income_certificate",),  # 第十六条（二）
}
# 第十三条: (一) loss of work capacity — labour appraisal; (二) no civil capacity — court judgment
INCAPACITY_DOCUMENTS = {"labour": ("labour_appraisal",), "civil": ("court_judgment",)}
INCAPACITY_LABELS = {"labour": "丧失劳动能力（一至四级）", "civil": "无民事行为能力"}


def required_documents(*, category: str, category_detail: str = "", applicant_kind: str) -> list[str]:
    """The checklist of a case (第十二–十六条 and the closing paragraph of 第十六条, 第十九条（二）):
    the category's documents, always the loan contract and the applicant's ID; an agent adds their ID and
    the authorisation, a co-borrower the proof of the relationship."""
    if category == "2":
        specific = INCAPACITY_DOCUMENTS.get(category_detail, ())
    else:
        specific = CATEGORY_DOCUMENTS.get(category, ())
    documents = [*specific, "contract", "applicant_id"]
    if applicant_kind == "agent":
        documents += ["agent_id", "authorisation"]
    elif applicant_kind == "co_borrower":
        documents.append("relationship")
    return documents


def missing_documents(required: list[str], present: set[str]) -> list[str]:
    return [kind for kind in required if kind not in present]


# --- when a category may be applied for ------------------------------------------------------------------


def application_refusal(
    *,
    category: str,
    category_detail: str = "",
    event_date: datetime.date | None,
    grace_period_ends_on: datetime.date | None,
    applied_on: datetime.date,
) -> tuple[str, str] | None:
    """(field, Chinese reason) when the application is refused by its category's own rule, else None."""
    if category == "2" and category_detail not in INCAPACITY_DOCUMENTS:
        return "category_detail", "第二类请选择“丧失劳动能力”或“无民事行为能力”（第十三条）"
    if category == "3":
        if event_date is None:
            return "event_date", "第三类请填写受灾日期（第十四条）"
        if event_date > applied_on:
            return "event_date", "受灾日期不能晚于申请日期"
        if event_date.year != applied_on.year:
            return (
                "event_date",
                f"第三类（遭遇重大自然灾害）必须于受灾当年提出申请（第十四条）：受灾于 {event_date.year} 年，"
                f"申请于 {applied_on.year} 年，不予受理",
            )
    if category == "5b":
        if grace_period_ends_on is None:
            return "grace_period_ends_on", "第五类（二）请填写还本宽限期截止日（第十六条（二））"
        if applied_on <= grace_period_ends_on:
            return (
                "grace_period_ends_on",
                f"第五类（二）须在还本宽限期后申请（第十六条（二））：宽限期至 {grace_period_ends_on}，"
                "期满后方可申请",
            )
    return None


# --- 公示 (第二十条（三）) --------------------------------------------------------------------------------

PUBLIC_NOTICE_MIN_WORKING_DAYS = 5


_LONG_NUMBER = re.compile(r"\d{7,}")


def notice_content_refusal(content: str, *, private: list[str]) -> str | None:
    """公示 shows only what may be shown (第二十条（三）, 第二十七条): no ID or phone number, no long digit run."""
    text = content or ""
    if any(value and value in text for value in private) or _LONG_NUMBER.search(text):
        return "公示内容不得包含身份证号、电话号码等个人信息（仅限姓名、救助类别、村组等）"
    return None


# --- priority, scope, credit (第十七、十八、二十四条) ----------------------------------------------------

# 第十七条: 1–2 must be aided, 3–4 come first, then 5.
PRIORITY = {"1": 1, "2": 1, "3": 2, "4": 2, "5a": 3, "5b": 3}
PRIORITY_LABELS = {1: "原则上必须救助", 2: "优先救助", 3: "一般救助"}


def priority_of(category: str) -> int:
    return PRIORITY[category]


def priority_label(category: str) -> str:
    return PRIORITY_LABELS[PRIORITY[category]]


def scope_label(category: str) -> str:
    """第十八条 as shown on each case."""
    if category_scope(category) == SCOPE_ALL:
        return "一次性代偿全部应还本息（第十八条）"
    return "只代偿当年应还本息（第十八条）"


def credit_action(category: str) -> str:
    """第二十四条: 1–4 the bank changes the bad record; 5 it also annotates the relief."""
    if category in ("5a", "5b"):
        return "变更不良记录，并在个人征信系统中标注救助情况（第二十四条（二））"
    return "变更借款学生个人征信的不良记录（第二十四条（一））"


# --- archives (第二十五、二十六条, 附件7) -------------------------------------------------------------------

ATTACHMENTS: dict[str, str] = {
    "att1": "附件1 还款救助申请表Ⅰ",
    "att2": "附件2 还款救助申请表Ⅱ",
    "att3": "附件3 还款救助公示表",
    "att4": "附件4 县（区）还款救助申请汇总表",
    "att5": "附件5 甘肃省还款救助情况汇总表",
    "att6": "附件6 国开行还款救助资金明细表",
    "materials": "申请人提交的其他材料",
}
# 第二十五条（二）–（四）: who keeps which attachment.
ARCHIVE_HOLDER = {
    "att1": "province",
    "att2": "province",
    "att4": "province",
    "att6": "province",
    "att5": "bank",
    "att3": "county",
    "materials": "county",
}
HOLDER_LABELS = {"province": "省资助中心", "bank": "国开行甘肃分行", "county": "县级资助中心（基层机构）"}


def application_form_attachment(category: str) -> str:
    """第二十条（二）: 申请表Ⅰ (附件1) for categories 1–4, 申请表Ⅱ (附件2) for category 5."""
    return "att2" if category in ("5a", "5b") else "att1"


def expected_attachments(*, holder_kind: str, category: str, has_public_notice: bool) -> list[str]:
    """The attachments of one case an archive of `holder_kind` must hold (附件7 per holder)."""
    form = application_form_attachment(category)
    if holder_kind == "province":
        return [form, "att4", "att6"]
    if holder_kind == "bank":
        return ["att5"]
    if holder_kind == "county":
        return ["materials", *(["att3"] if has_public_notice else [])]
    return []
