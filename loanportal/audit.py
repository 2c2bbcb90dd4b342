"""The audit log service: one append-only, hash-chained row per action."""

from django.db import connection, models, transaction
from django.utils import timezone

from .context import current_ip
from .models import AuditEvent

GENESIS = "0" * 64
# pg_advisory_xact_lock key that serialises appends to the chain (held only until commit).
_CHAIN_LOCK_KEY = 7_410_001


def _object_type(obj) -> str:
    return obj._meta.label_lower if isinstance(obj, models.Model) else str(obj)


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str | None = None,
    object_pk=None,
    object_repr: str | None = None,
    old: dict | None = None,
    new: dict | None = None,
    reason: str = "",
    organisation=None,
    university=None,
) -> AuditEvent:
    """Append one audit row. Call it last in the service's transaction: the chain lock is held to commit."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-pk").values_list("row_hash", flat=True).first()
        user = actor if getattr(actor, "is_authenticated", False) else None
        event = AuditEvent(
            created_at=timezone.now(),
            actor=user,
            actor_username=user.username if user else "system",
            actor_organisation=getattr(user, "organisation", None) if user else None,
            action=action,
            object_type=object_type or (_object_type(obj) if obj is not None else ""),
            object_pk=str(object_pk if object_pk is not None else getattr(obj, "pk", "") or ""),
            object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[
                :200
            ],
            organisation=organisation,
            university=university,
            old=old,
            new=new,
            reason=reason or "",
            ip_address=current_ip.get(),
            prev_hash=last or GENESIS,
        )
        event.row_hash = event.compute_hash()
        event.save()
        return event


def audit_verify() -> list[str]:
    """Walk the chain in order; return a list of problems (empty when the log is intact)."""
    problems: list[str] = []
    previous = GENESIS
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        if event.prev_hash != previous:
            problems.append(f"第{event.pk}条：与前一条的链接断开（可能有记录被删除或插入）")
        if event.compute_hash() != event.row_hash:
            problems.append(f"第{event.pk}条：内容与哈希不符（记录被篡改）")
        previous = event.row_hash
    return problems


def model_snapshot(instance, fields) -> dict:
    """Plain JSON-able values of the named fields, ID numbers and phones masked."""
    from .rules import mask_id_number, mask_phone

    data = {}
    for name in fields:
        value = getattr(instance, name if not hasattr(instance, f"{name}_id") else f"{name}_id")
        if name == "id_number" or name.endswith("_id_number"):
            value = mask_id_number(value)
        elif name == "phone" or name.endswith("_phone"):
            value = mask_phone(value)
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        data[name] = value
    return data
