"""Every state set and allowed-transitions map of the applications app, in one database-free module.

Models (choices, constraint conditions), rules, services, selectors and templates all read these names;
nothing else spells a state list out. DESIGN.md "The yearly loan cycle" is the source of the maps.
"""

# --- first-loan application (贷款申请) -------------------------------------------------------------

DRAFT = "draft"
ACCEPTED = "accepted"
CONTRACT_SIGNED = "contract_signed"
RECEIPT_ENTERED = "receipt_entered"
RECEIPT_CONFIRMED = "receipt_confirmed"
BANK_APPROVED = "bank_approved"
BANK_DECLINED = "bank_declined"
DISBURSED = "disbursed"
FEE_CERTIFIED = "fee_certified"
ARCHIVED = "archived"
RETURNED = "returned"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
ABANDONED = "abandoned"

APPLICATION_LABELS: dict[str, str] = {
    DRAFT: "草稿",
    ACCEPTED: "已受理",
    CONTRACT_SIGNED: "已签合同",
    RECEIPT_ENTERED: "回执已录入",
    RECEIPT_CONFIRMED: "回执已确认",
    BANK_APPROVED: "银行已审批",
    BANK_DECLINED: "银行未通过",
    DISBURSED: "已放款",
    FEE_CERTIFIED: "已开收费证明",
    ARCHIVED: "已归档",
    RETURNED: "已退回",
    REJECTED: "不予受理",
    WITHDRAWN: "已撤回",
    ABANDONED: "视为放弃",
}

# Archiving (notice 八: 次年3月底前完成信贷材料的归档): every loan of the year with a signed contract, finished
# or closed — a case that ended after signing still has a contract file to archive.
ARCHIVABLE_STATES = frozenset({BANK_APPROVED, DISBURSED, FEE_CERTIFIED, WITHDRAWN, ABANDONED, BANK_DECLINED})

APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({ACCEPTED, REJECTED, WITHDRAWN}),
    ACCEPTED: frozenset({CONTRACT_SIGNED, RETURNED, REJECTED, WITHDRAWN}),
    RETURNED: frozenset({ACCEPTED, REJECTED, WITHDRAWN}),
    CONTRACT_SIGNED: frozenset({RECEIPT_ENTERED, WITHDRAWN, ABANDONED}),
    # 回执退回: the county sends an entered receipt back to the university (with a reason) to re-enter it
    RECEIPT_ENTERED: frozenset({RECEIPT_CONFIRMED, CONTRACT_SIGNED, WITHDRAWN}),
    # notice 八: the bank reviews the materials, then approves or declines (with a reason)
    RECEIPT_CONFIRMED: frozenset({BANK_APPROVED, BANK_DECLINED, WITHDRAWN}),
    BANK_APPROVED: frozenset({DISBURSED, ARCHIVED}),
    DISBURSED: frozenset({FEE_CERTIFIED, ARCHIVED}),
    FEE_CERTIFIED: frozenset({ARCHIVED}),
    BANK_DECLINED: frozenset({ARCHIVED}),
    REJECTED: frozenset(),
    # closed after signing: archived only when a contract exists (application_actions checks it)
    WITHDRAWN: frozenset({ARCHIVED}),
    ABANDONED: frozenset({ARCHIVED}),
    ARCHIVED: frozenset(),
}

# An application in one of these states no longer blocks a new one for the same student and year, and
# gives its pre-application back to the list (listed).
APPLICATION_CLOSED = frozenset({REJECTED, WITHDRAWN, ABANDONED, BANK_DECLINED})
APPLICATION_REASON_REQUIRED = frozenset({RETURNED, REJECTED, WITHDRAWN, ABANDONED, BANK_DECLINED})
# Moves that need a reason although their target state does not always: a receipt sent back (回执退回).
APPLICATION_REASON_REQUIRED_MOVES = frozenset({(RECEIPT_ENTERED, CONTRACT_SIGNED)})
# The bank sees the cases handed to it: from 回执已确认 on.
APPLICATION_BANK_VISIBLE = frozenset(
    {RECEIPT_CONFIRMED, BANK_APPROVED, BANK_DECLINED, DISBURSED, FEE_CERTIFIED, ARCHIVED}
)
APPLICATION_CORRECTABLE = frozenset({CONTRACT_SIGNED, RECEIPT_ENTERED, RECEIPT_CONFIRMED})
APPLICATION_DANGER = frozenset({REJECTED, WITHDRAWN, RETURNED, BANK_DECLINED})

# --- corrections (申请更正, maker–checker) --------------------------------------------------------------

CORRECTION_PENDING = "pending"
CORRECTION_APPROVED = "approved"
CORRECTION_REJECTED = "rejected"

# A correction is decided once, by a county manager who neither requested it nor entered the application.
CORRECTION_TRANSITIONS: dict[str, frozenset[str]] = {
    CORRECTION_PENDING: frozenset({CORRECTION_APPROVED, CORRECTION_REJECTED}),
    CORRECTION_APPROVED: frozenset(),
    CORRECTION_REJECTED: frozenset(),
}

# --- pre-application (首贷预申请) -------------------------------------------------------------------

PRE_LISTED = "listed"
PRE_APPLIED = "applied"
PRE_WITHDRAWN = "withdrawn"

# listed → applied (intake accepted the loan application) or withdrawn (with a reason);
# applied → listed when that application closes; withdrawn → listed to restore (恢复).
PRE_APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    PRE_LISTED: frozenset({PRE_APPLIED, PRE_WITHDRAWN}),
    PRE_APPLIED: frozenset({PRE_LISTED}),
    PRE_WITHDRAWN: frozenset({PRE_LISTED}),
}
PRE_APPLICATION_REASON_REQUIRED = frozenset({PRE_WITHDRAWN, PRE_LISTED})

# --- appointment (预约 → 签到 → 叫号 → 办结 / 未到 / 取消) -------------------------------------------------

BOOKED = "booked"
CHECKED_IN = "checked_in"
CALLED = "called"
SERVED = "served"
NO_SHOW = "no_show"
CANCELLED = "cancelled"

APPOINTMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    BOOKED: frozenset({CHECKED_IN, CANCELLED, NO_SHOW}),
    CHECKED_IN: frozenset({CALLED, CANCELLED}),
    CALLED: frozenset({SERVED, NO_SHOW, CHECKED_IN}),  # back to the queue: 过号重排
    SERVED: frozenset(),
    NO_SHOW: frozenset(),
    CANCELLED: frozenset(),
}
APPOINTMENT_LABELS: dict[str, str] = {
    BOOKED: "已预约",
    CHECKED_IN: "已签到",
    CALLED: "已叫号",
    SERVED: "已办结",
    NO_SHOW: "未到",
    CANCELLED: "已取消",
}
APPOINTMENT_LIVE = (BOOKED, CHECKED_IN, CALLED)
# Closing intake (notice 八): a student already called to a window is still served; every other live
# appointment after the county's last intake day is cancelled.
APPOINTMENT_CANCELLED_AT_CLOSE = (BOOKED, CHECKED_IN)

# --- county summary to the province (生源地助学贷款申请汇总表, notice 八: 10月15日前) ----------------------------

SUMMARY_GENERATED = "generated"
SUMMARY_SUBMITTED = "submitted"
SUMMARY_RETURNED = "returned"
SUMMARY_FORWARDED = "forwarded"

SUMMARY_LABELS: dict[str, str] = {
    SUMMARY_GENERATED: "待县级负责人报送",
    SUMMARY_SUBMITTED: "已报送市级",
    SUMMARY_RETURNED: "市级已退回",
    SUMMARY_FORWARDED: "已报送省中心",
}

# generated → submitted (the county manager checked it); the city returns one with a reason or forwards it
# to the province; a returned table is corrected (regenerated) and submitted again.
SUMMARY_TRANSITIONS: dict[str, frozenset[str]] = {
    SUMMARY_GENERATED: frozenset({SUMMARY_SUBMITTED}),
    SUMMARY_SUBMITTED: frozenset({SUMMARY_RETURNED, SUMMARY_FORWARDED}),
    SUMMARY_RETURNED: frozenset({SUMMARY_SUBMITTED}),
    SUMMARY_FORWARDED: frozenset(),
}
SUMMARY_REASON_REQUIRED = frozenset({SUMMARY_RETURNED})
# The county may regenerate the figures while the table is with it.
SUMMARY_EDITABLE = frozenset({SUMMARY_GENERATED, SUMMARY_RETURNED})

# The loans a county reports (首贷): signed and still live — abandoned, withdrawn, declined loans are not.
SUMMARY_COUNTED = frozenset(
    {CONTRACT_SIGNED, RECEIPT_ENTERED, RECEIPT_CONFIRMED, BANK_APPROVED, DISBURSED, FEE_CERTIFIED, ARCHIVED}
)
