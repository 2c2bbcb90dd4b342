"""Pure rules of the university's half of the loan year (notice 八): fast receipt entry (回执录入) and fee
certificates (收费证明). No database."""

import datetime

from .. import states
from .intake import mask_name
from .refusals import CONFLICT, Refusal

# --- receipt entry ------------------------------------------------------------------------------


def receipt_message_masked(message: str, name: str) -> str:
    """A service message about a student, with the name masked (张*明) for the scan list beside the
    input: a stack of receipts is entered in a shared office, the full name is on the paper anyway."""
    if not name:
        return message
    return message.replace(name, mask_name(name))


# --- fee certificates (收费证明) ------------------------------------------------------------------


def fee_certificate_number(*, year: int, university_code: str, sequence: int) -> str:
    """收费证明编号: loan year, the university's code and a sequence per university and year,
    e.g. 2026-10730-00017."""
    return f"{year}-{university_code}-{sequence:05d}"


def fee_certificate_refusal(
    *, status: str, disbursed_on: datetime.date | None, disbursed_to_university: int | None
) -> Refusal | None:
    """Why no fee certificate can be issued for an application now (or None). The state map refuses any
    other move too; this says it in the words of the work: the tuition has not arrived yet, or the
    certificate exists already."""
    if status == states.FEE_CERTIFIED or status == states.ARCHIVED:
        return Refusal("已开具收费证明，不能重复开具", CONFLICT)
    if status != states.DISBURSED:
        label = states.APPLICATION_LABELS.get(status, status)
        return Refusal(f"银行尚未放款（当前状态：{label}），学费未到账，不能开具收费证明", CONFLICT)
    if disbursed_on is None or disbursed_to_university is None:
        return Refusal("银行尚未报送放款日期和划入高校的金额，不能开具收费证明", CONFLICT)
    return None
