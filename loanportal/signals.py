"""Framework signals only (no business rules here): a lockout by django-axes becomes an audit row."""

import logging

from axes.signals import user_locked_out
from django.dispatch import receiver

logger = logging.getLogger("loanportal.security")


@receiver(user_locked_out)
def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    from .audit import audit_record

    logger.warning("account locked after repeated login failures: %s", username)
    audit_record(
        actor=None,
        action="account.locked_out",
        object_type="loanportal.user",
        object_pk=username or "",
        object_repr=username or "",
        reason="连续登录失败次数过多，账号已锁定",
    )
