"""Statuses and the allowed-transitions map of the relief case (还款救助案件), database-free.

Gansu relief measures 第十九–二十二条. Models (choices), services, selectors, templates and the
money side (issue 12) read these names; nothing else spells the state list out.

    entered ──check──▶ materials_incomplete ◀──▶ county_review ──manager──▶ county_passed / county_rejected
    county_passed ──county summary (附件4) submitted──▶ county_submitted
    county_submitted ──province──▶ province_passed / province_rejected / returned
    returned ──county──▶ county_review / materials_incomplete (the county's queue, with the reason)
    province_passed ──hand-over batch (附件5) received by the bank──▶ handed_over ──▶ relieved
"""

ENTERED = "entered"
MATERIALS_INCOMPLETE = "materials_incomplete"
COUNTY_REVIEW = "county_review"
COUNTY_PASSED = "county_passed"
COUNTY_REJECTED = "county_rejected"
COUNTY_SUBMITTED = "county_submitted"
PROVINCE_PASSED = "province_passed"
PROVINCE_REJECTED = "province_rejected"
RETURNED = "returned"
HANDED_OVER = "handed_over"
RELIEVED = "relieved"

LABELS: dict[str, str] = {
    ENTERED: "已录入",
    MATERIALS_INCOMPLETE: "待补正材料",
    COUNTY_REVIEW: "县级初审中",
    COUNTY_PASSED: "县级初审通过",
    COUNTY_REJECTED: "县级初审不通过",
    COUNTY_SUBMITTED: "已报省级复审",
    PROVINCE_PASSED: "省级复审通过",
    PROVINCE_REJECTED: "省级复审不通过",
    RETURNED: "省级退回县级",
    HANDED_OVER: "已移交银行",
    RELIEVED: "已救助",
}

TRANSITIONS: dict[str, frozenset[str]] = {
    ENTERED: frozenset({MATERIALS_INCOMPLETE, COUNTY_REVIEW}),
    MATERIALS_INCOMPLETE: frozenset({COUNTY_REVIEW, MATERIALS_INCOMPLETE}),
    COUNTY_REVIEW: frozenset({COUNTY_PASSED, COUNTY_REJECTED, MATERIALS_INCOMPLETE}),
    COUNTY_PASSED: frozenset({COUNTY_SUBMITTED}),
    COUNTY_REJECTED: frozenset(),
    # 第二十一条（一）: the province decides only after the county (county_submitted)
    COUNTY_SUBMITTED: frozenset({PROVINCE_PASSED, PROVINCE_REJECTED, RETURNED}),
    RETURNED: frozenset({COUNTY_REVIEW, MATERIALS_INCOMPLETE}),
    PROVINCE_PASSED: frozenset({HANDED_OVER}),
    PROVINCE_REJECTED: frozenset(),
    HANDED_OVER: frozenset({RELIEVED}),
    RELIEVED: frozenset(),
}

# The county's work queue (entry, completeness, verification, a returned case).
COUNTY_QUEUE = frozenset({ENTERED, MATERIALS_INCOMPLETE, COUNTY_REVIEW, RETURNED})
# Waiting for the province's re-review.
PROVINCE_QUEUE = frozenset({COUNTY_SUBMITTED})
# Documents may be added/replaced while the county works on the case.
EDITABLE = COUNTY_QUEUE
REASON_REQUIRED = frozenset({COUNTY_REJECTED, PROVINCE_REJECTED, RETURNED})
DANGER = frozenset({COUNTY_REJECTED, PROVINCE_REJECTED, RETURNED, MATERIALS_INCOMPLETE})
FINAL = frozenset({COUNTY_REJECTED, PROVINCE_REJECTED, RELIEVED})

# Review decisions of the pages and the API → the state they lead to.
COUNTY_DECISIONS: dict[str, str] = {"pass": COUNTY_PASSED, "reject": COUNTY_REJECTED}
PROVINCE_DECISIONS: dict[str, str] = {
    "pass": PROVINCE_PASSED,
    "reject": PROVINCE_REJECTED,
    "return": RETURNED,
}
DECISION_LABELS: dict[str, str] = {"pass": "审核通过", "reject": "审核不通过", "return": "退回县级"}

# Summaries (附件4 of a county) and hand-over batches (附件5): draft → submitted / handed over.
SUMMARY_DRAFT = "draft"
SUMMARY_SUBMITTED = "submitted"
BATCH_DRAFT = "draft"
BATCH_HANDED_OVER = "handed_over"
