"""The audit log service: one append-only row per action, sealed after commit into a keyed chain.

Lock order (docs/architecture.md "Audit"): a business transaction takes its own row locks and INSERTs
its audit rows; it takes no audit lock at all. After it commits, `audit_seal` runs in its own short
transaction and is the only holder of the sealer's advisory lock; it reads committed rows only and
locks no business row. So an audited write never waits for an audited write of another county, and
the sealer never waits for a business lock.

The chain: every sealed row gets `seq` 1, 2, 3 … in sealing (= commit) order and `row_hash` =
HMAC-SHA256(AUDIT_HMAC_KEY, canonical JSON of seq, previous hash, sealing time and the row's values as
stored). Without the key nobody can recompute a hash after rewriting a row. Signed checkpoints of the
latest hash are written outside the database (`audit_checkpoint`, daily), so removing the newest rows
is noticed too.
"""

import hashlib
import hmac
import json
import logging
import os
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from .context import current_ip
from .free_text import mask_audit_values
from .models import AuditEvent, AuditSeal
from .rules import mask_text

logger = logging.getLogger("loanportal.audit")

GENESIS = "0" * 64
# pg_advisory_xact_lock key held by the sealer only, in its own short transaction.
_SEAL_LOCK_KEY = 7_410_001
# The periodic sealer looks at the rows of the last days (index on created_at); the checkpoint job and
# `manage.py audit_seal` at all of them.
RECENT_DAYS = 2
CHECKPOINT_FILE = "checkpoints.jsonl"


def _object_type(obj) -> str:
    return obj._meta.label_lower if isinstance(obj, models.Model) else str(obj)


def _as_stored(value):
    """The value as the JSON column will give it back (dates, decimals, UUIDs → strings), so the row in
    memory, the row in the database and the hash all agree."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


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
    """Append one audit row inside the caller's transaction. No lock is taken: the row is sealed into
    the chain after the transaction commits (or rolled back with it)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        created_at=timezone.now(),
        actor=user,
        actor_username=user.username if user else "system",
        actor_organisation=getattr(user, "organisation", None) if user else None,
        action=action,
        object_type=object_type or (_object_type(obj) if obj is not None else ""),
        object_pk=str(object_pk if object_pk is not None else getattr(obj, "pk", "") or ""),
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:200],
        organisation=organisation,
        university=university,
        old=_as_stored(mask_audit_values(old)),
        new=_as_stored(mask_audit_values(new)),
        # a text column: hashed as the text it stores, with no full ID number or phone (loanportal.free_text)
        reason="" if reason is None else mask_text(str(reason)),
        ip_address=current_ip.get(),
    )
    event.save()
    _seal_after_commit_once(event.pk)
    return event


# --- sealing --------------------------------------------------------------------------------------


def _seal_after_commit(first_pk: int) -> None:
    try:
        audit_seal(since_pk=first_pk, durable=False)
    except Exception:  # noqa: BLE001 - the business write is committed; the periodic sealer catches up
        logger.exception("sealing audit rows after commit failed; the periodic sealer will retry")


def _seal_after_commit_once(pk: int) -> None:
    """One sealer run per transaction, however many rows it appended, from its first row on (a
    transaction's rows get increasing keys)."""
    if connection.in_atomic_block and any(
        getattr(entry[1], "func", None) is _seal_after_commit for entry in connection.run_on_commit
    ):
        return
    transaction.on_commit(partial(_seal_after_commit, pk))


def _hmac(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def event_payload(event) -> dict:
    """An audit row's values as the database stores them (plain JSON types): what its seal covers."""
    return {
        "pk": event.pk,
        "at": event.created_at.isoformat(),
        "actor": event.actor_id,
        "actor_username": event.actor_username,
        "actor_org": event.actor_organisation_id,
        "action": event.action,
        "type": event.object_type,
        "object_pk": event.object_pk,
        "repr": event.object_repr,
        "org": event.organisation_id,
        "univ": event.university_id,
        "old": event.old,
        "new": event.new,
        "reason": event.reason,
        "ip": event.ip_address,
    }


def seal_hash(*, event: AuditEvent, seq: int, prev_hash: str, sealed_at) -> str:
    """HMAC of one sealed row: its place in the chain and its values exactly as stored."""
    return _hmac(
        {
            "kind": "audit-seal",
            "seq": seq,
            "prev": prev_hash,
            "sealed_at": sealed_at.isoformat(),
            "event": event_payload(event),
        }
    )


def _seal_lock(*, wait: bool) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite serialises writers itself (development only)
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEAL_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEAL_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _pending(since_pk, since):
    pending = AuditEvent.objects.filter(seal__isnull=True)
    if since_pk is not None:
        pending = pending.filter(pk__gte=since_pk)
    if since is not None:
        pending = pending.filter(created_at__gte=since)
    return pending


def audit_seal(
    *, since_pk: int | None = None, since=None, wait: bool = False, durable: bool = True, batch: int = 2000
) -> int:
    """封存: give committed, unsealed audit rows their place in the chain, in commit order; all of them,
    or those from key `since_pk` on (right after a commit: the transaction's own rows and any later),
    or those created `since` (the periodic sealer). Returns how many rows were sealed.

    Runs in its own short transaction under the sealer's advisory lock. With `wait=False` (after a
    request's commit) a sealer that finds the lock taken leaves at once: the holder looks again for
    pending rows after it commits, and the periodic sealer picks up within a minute whatever is left.
    With `durable=False` (after a request's commit) the seal's commit does not wait for its own disk
    flush: a crash may lose the newest seals, never the rows, and the sealer seals those rows again;
    `audit_checkpoint` waits for the flush before it anchors a hash outside the database."""
    sealed = 0
    for _ in range(50):
        with transaction.atomic():
            if not _seal_lock(wait=wait):
                return sealed
            if not durable and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            events = list(_pending(since_pk, since).order_by("pk")[:batch])
            if not events:
                return sealed
            last = AuditSeal.objects.order_by("-seq").values_list("seq", "row_hash").first()
            seq, previous = last or (0, GENESIS)
            now = timezone.now()
            seals = []
            for event in events:
                seq += 1
                row_hash = seal_hash(event=event, seq=seq, prev_hash=previous, sealed_at=now)
                seals.append(
                    AuditSeal(seq=seq, event=event, sealed_at=now, prev_hash=previous, row_hash=row_hash)
                )
                previous = row_hash
            AuditSeal.objects.bulk_create(seals)
        sealed += len(seals)
        if not _pending(since_pk, since).exists():
            break
    return sealed


def audit_seal_recent() -> int:
    """The periodic sealer: rows of the last RECENT_DAYS days not yet sealed."""
    return audit_seal(since=timezone.now() - timedelta(days=RECENT_DAYS), wait=True)


# --- checkpoints outside the database ---------------------------------------------------------------


def _checkpoint_dir() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def audit_checkpoint() -> dict | None:
    """检查点: seal what is pending, then append the latest sealed hash, signed with the key, as one JSON
    line to AUDIT_CHECKPOINT_DIR/checkpoints.jsonl (outside the database). None when nothing is sealed."""
    audit_seal(wait=True)
    last = AuditSeal.objects.order_by("-seq").values_list("seq", "row_hash").first()
    if last is None:
        return None
    _wait_until_flushed()  # never anchor a seal a crash could still take back
    record = {"seq": last[0], "hash": last[1], "at": timezone.now().isoformat()}
    record["hmac"] = _hmac({"kind": "audit-checkpoint", **record})
    directory = _checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / CHECKPOINT_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return record


def _wait_until_flushed(timeout: float = 10.0) -> None:
    """Wait until PostgreSQL has flushed its write-ahead log up to now, so every seal committed so far
    (also those committed without waiting for the flush) is on disk."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        target = cursor.fetchone()[0]
        # The WAL writer only flushes up to the last asynchronous commit; WAL written after it by a
        # transaction still open elsewhere may wait for a long time. A trivial synchronous commit on a side
        # connection flushes everything inserted before its commit record, `target` included.
        side = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            side.set_autocommit(True)
            with side.cursor() as side_cursor:
                side_cursor.execute("SET synchronous_commit TO on")
                side_cursor.execute("SELECT txid_current()")
        finally:
            side.close()
        while True:
            cursor.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not flush its log in time; checkpoint not written")
            time.sleep(0.05)


def _read_checkpoints(problems: list[str]) -> list[dict]:
    directory = _checkpoint_dir()
    checkpoints = []
    if not directory.is_dir():
        return checkpoints
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                body = {"seq": int(record["seq"]), "hash": str(record["hash"]), "at": str(record["at"])}
                signature = str(record["hmac"])
            except (ValueError, KeyError, TypeError):
                problems.append(f"检查点文件 {path.name} 第{number}行：无法解析")
                continue
            if not hmac.compare_digest(signature, _hmac({"kind": "audit-checkpoint", **body})):
                problems.append(f"检查点文件 {path.name} 第{number}行：签名不符（检查点被篡改或密钥不对）")
                continue
            checkpoints.append({**body, "where": f"{path.name} 第{number}行"})
    return checkpoints


# --- verification -----------------------------------------------------------------------------------


def audit_verify() -> list[str]:
    """Walk the sealed chain with the key and compare it with the checkpoints outside the database;
    return a list of problems (empty when the log is intact). Read-only: seals nothing."""
    problems: list[str] = []
    checkpoints = _read_checkpoints(problems)
    wanted = {checkpoint["seq"] for checkpoint in checkpoints}
    hashes_at: dict[int, str] = {}
    previous, expected = GENESIS, 1

    def check(rows):
        nonlocal previous, expected
        events = AuditEvent.objects.in_bulk([row[1] for row in rows])
        for seq, event_pk, sealed_at, prev_hash, row_hash in rows:
            if seq != expected:
                problems.append(f"第{expected}至{seq - 1}号封存缺失（记录被删除）")
            if prev_hash != previous:
                problems.append(f"第{seq}号封存：与前一条的链接断开（可能有记录被删除或插入）")
            event = events.get(event_pk)
            if event is None:
                problems.append(f"第{seq}号封存：所封存的第{event_pk}条记录已不存在（记录被删除）")
            else:
                recomputed = seal_hash(event=event, seq=seq, prev_hash=prev_hash, sealed_at=sealed_at)
                if not hmac.compare_digest(recomputed, row_hash):
                    problems.append(f"第{seq}号封存（第{event_pk}条记录）：内容与密钥签名不符（记录被篡改）")
            if seq in wanted:
                hashes_at[seq] = row_hash
            previous, expected = row_hash, seq + 1

    rows = []
    seals = AuditSeal.objects.order_by("seq").values_list(
        "seq", "event_id", "sealed_at", "prev_hash", "row_hash"
    )
    for row in seals.iterator(chunk_size=2000):
        rows.append(row)
        if len(rows) == 2000:
            check(rows)
            rows = []
    check(rows)
    last_seq = expected - 1
    for checkpoint in checkpoints:
        seq = checkpoint["seq"]
        if seq > last_seq:
            problems.append(
                f"检查点（{checkpoint['where']}）记录到第{seq}号封存，数据库只到第{last_seq}号（最新的记录被删除）"
            )
        elif seq not in hashes_at:
            problems.append(f"检查点（{checkpoint['where']}）的第{seq}号封存已不存在（记录被删除）")
        elif not hmac.compare_digest(hashes_at[seq], checkpoint["hash"]):
            problems.append(f"第{seq}号封存与检查点（{checkpoint['where']}）不符（记录被改写）")
    return problems


def audit_checkpoint_count() -> int:
    return len(_read_checkpoints([]))


def audit_unsealed_count() -> int:
    return AuditEvent.objects.filter(seal__isnull=True).count()


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
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, bool)) for v in value):
            value = list(value)  # JSON lists (e.g. reminder days) stay lists
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        data[name] = value
    return data
