"""Statuses and the allowed-transitions map of the renewal declaration (续贷声明), database-free.

Models (choices), rules, services, selectors and templates read these names; nothing else spells the
state list out. Notice 三(七): the declaration is reviewed (approved, returned for correction, rejected);
a returned declaration may be corrected and resubmitted once — after a second look the reviewer can only
approve or reject.
"""

SUBMITTED = "submitted"
RESUBMITTED = "resubmitted"
APPROVED = "approved"
RETURNED = "returned"
REJECTED = "rejected"

LABELS: dict[str, str] = {
    SUBMITTED: "待审核",
    RESUBMITTED: "已重新提交",
    APPROVED: "审核通过",
    RETURNED: "已退回修改",
    REJECTED: "审核不通过",
}

TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({APPROVED, RETURNED, REJECTED}),
    RETURNED: frozenset({RESUBMITTED}),
    # resubmitted once: no second return (notice 三(七) review; issue 10)
    RESUBMITTED: frozenset({APPROVED, REJECTED}),
    APPROVED: frozenset(),
    REJECTED: frozenset(),
}

# Waiting for a reviewer's decision (the review queue, the hand-over to the county).
PENDING = frozenset({SUBMITTED, RESUBMITTED})
REASON_REQUIRED = frozenset({RETURNED, REJECTED})
DANGER = frozenset({RETURNED, REJECTED})
MAX_RETURNS = 1

# The review decisions of the API and the pages → the state they lead to.
DECISIONS: dict[str, str] = {"approve": APPROVED, "return": RETURNED, "reject": REJECTED}
DECISION_LABELS: dict[str, str] = {"approve": "审核通过", "return": "退回修改", "reject": "不予通过"}

HANDED_OVER_NOTE = "高校逾期未审，转县级审核"
