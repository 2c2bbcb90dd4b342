"""What the queue's modules share: the state names, and the county write check."""

from loanportal.models import Organisation, User
from loanportal.permissions import require_own_county

from ... import states
from ...models import AppointmentStatus

S = AppointmentStatus
LIVE_STATUSES = states.APPOINTMENT_LIVE
# The appointment state machine (预约 → 签到 → 叫号 → 办结 / 未到 / 取消): applications.states.
APPOINTMENT_TRANSITIONS = states.APPOINTMENT_TRANSITIONS


def require_county_actor(actor: User | None, county: Organisation) -> None:
    """Only the county's own staff and managers write its intake; None is the system (demo, beat)."""
    require_own_county(actor, county, business="受理业务", allow_system=True)
