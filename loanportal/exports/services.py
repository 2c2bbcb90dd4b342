"""Writes of the export service (导出): request, approve/refuse, generate, download, expire.

One transition service (`export_transition`) moves an ExportRequest along its state machine with the row
locked and an audit row in the same transaction; jobs are dispatched after commit and are idempotent by
state (a redelivered job finds the request already past `approved` and does nothing, or takes over a
request whose previous worker died — its progress has not moved for EXPORT_STALE_MINUTES).

Policy: notice 二十一 (no export of loan data or student information without the responsible person's
approval); relief measures 第二十七条 (controlled viewing, copying and transfer).
"""

import datetime
import hashlib
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from loanportal.audit import audit_record
from loanportal.dispatch import publish_on_commit
from loanportal.errors import ConflictError, DomainError, PermissionDeniedError
from loanportal.roles import MANAGER_ROLES, OrgKind
from loanportal.services import notification_mark_read_for_all, notification_send

from .models import ExportRequest, ExportStatus
from .registry import ExportDefinition, definition_get
from .writer import Watermark, write_export

logger = logging.getLogger(__name__)

S = ExportStatus
ALLOWED = {
    S.REQUESTED: {S.APPROVED, S.REFUSED},
    S.APPROVED: {S.RUNNING},
    S.RUNNING: {S.READY, S.FAILED, S.RUNNING},  # RUNNING → RUNNING: a new worker takes over a dead one's job
    S.FAILED: {S.RUNNING},
    S.READY: {S.EXPIRED},
}
REASON_REQUIRED = frozenset({S.REFUSED})
MAX_PARAMS, MAX_PARAM_LENGTH = 20, 200


class ExportUnavailable(Exception):
    """The file cannot be downloaded (not ready, expired, used up, someone else's): the view answers 404."""


def _now():
    return timezone.now()


def export_root() -> Path:
    root = Path(settings.EXPORT_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


# --- who may do what ---------------------------------------------------------------------------------


def _ancestors(org) -> list:
    chain, seen = [], set()
    while org is not None and org.pk not in seen:
        seen.add(org.pk)
        chain.append(org)
        org = org.parent
    return chain


def export_approver_q(user) -> Q:
    """Requests this user may decide: a manager of the requester's organisation or one above it."""
    org = getattr(user, "organisation", None)
    if org is None or user.role not in MANAGER_ROLES or not user.is_active:
        return Q(pk__in=[])
    if org.kind == OrgKind.PROVINCE:
        scope = Q()
    elif org.kind == OrgKind.CITY:
        scope = Q(organisation_id=org.pk) | Q(organisation__parent_id=org.pk)
    else:
        scope = Q(organisation_id=org.pk)
    return scope & ~Q(requested_by_id=user.pk)


def export_can_decide(*, user, export: ExportRequest) -> bool:
    """A manager, not the requester, of the requester's organisation or above (maker–checker)."""
    if user.role not in MANAGER_ROLES or user.pk == export.requested_by_id or user.organisation is None:
        return False
    if user.organisation.kind == OrgKind.PROVINCE:
        return True
    return user.organisation_id in {o.pk for o in _ancestors(export.organisation)}


def export_actions(*, user, export: ExportRequest) -> set[str]:
    """The actions this user may take on this request now (pages and API render only these)."""
    actions = set()
    if export.status == S.REQUESTED and export_can_decide(user=user, export=export):
        actions |= {"approve", "refuse"}
    if (
        export.status == S.READY
        and export.requested_by_id == user.pk
        and not export_unavailable_reason(export)
    ):
        actions.add("download")
    if (
        export.requested_by_id == user.pk
        and export_unavailable_reason(export)
        and (definition := definition_get(export.kind)) is not None
        and definition.requestable
        and definition.allowed(user)
    ):
        actions.add("again")  # 重新申请: a new request with the same kind, filter and purpose
    return actions


def export_unavailable_reason(export: ExportRequest) -> str:
    """Why this request's file cannot be downloaded (any more), in Chinese; "" while it can be or may
    still become so. The download URL answers 404 all the same; the detail page says this."""
    if export.status == S.REFUSED:
        return f"已被拒绝：{export.decision_note}" if export.decision_note else "已被拒绝"
    if export.shown_status != S.EXPIRED:
        return ""
    if export.download_count >= settings.EXPORT_MAX_DOWNLOADS:
        return f"下载次数已用完（最多 {settings.EXPORT_MAX_DOWNLOADS} 次）"
    if export.expires_at and export.expires_at <= _now():
        return f"已超过{settings.EXPORT_DOWNLOAD_HOURS}小时有效期"
    if export.status == S.EXPIRED:
        return "文件已失效"
    return ""


# --- the one transition service ------------------------------------------------------------------------


def export_transition(
    *, export: ExportRequest, to: str, actor, reason: str = "", changes: dict | None = None, details=None
) -> ExportRequest:
    """Move an export request to `to`: row locked, move checked against ALLOWED, audit row in the same
    transaction (`details` are added to the audit row's new values: row count, SHA-256, …)."""
    with transaction.atomic():
        locked = ExportRequest.objects.select_for_update().get(pk=export.pk)
        current = locked.status
        if to not in ALLOWED.get(current, ()):
            raise ConflictError(f"导出申请当前状态为“{S(current).label}”，不能变更为“{S(to).label}”")
        if to in REASON_REQUIRED and not (reason or "").strip():
            raise DomainError(f"变更为“{S(to).label}”必须填写原因", field="reason")
        locked.status = to
        for name, value in (changes or {}).items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        audit_record(
            actor=actor,
            action=f"export.{to}",
            obj=locked,
            object_repr=str(locked),
            old={"status": current},
            new={"status": to, **(details or {})},
            reason=reason,
            organisation=locked.organisation,
        )
        return locked


# --- request, approve, refuse --------------------------------------------------------------------------


def export_params_clean(params) -> dict:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise DomainError("筛选条件格式不正确", field="params")
    if len(params) > MAX_PARAMS:
        raise DomainError("筛选条件过多", field="params")
    cleaned = {}
    for key, value in params.items():
        if key in ("page", "size", "csrfmiddlewaretoken"):
            continue
        if not isinstance(key, str) or not isinstance(value, (str, int)) or isinstance(value, bool):
            raise DomainError("筛选条件只能是文字或数字", field="params")
        value = str(value)
        if len(key) > 40 or len(value) > MAX_PARAM_LENGTH:
            raise DomainError("筛选条件过长", field="params")
        if value != "":
            cleaned[key] = value
    return cleaned


def export_has_numbers(definition: ExportDefinition) -> bool:
    return definition.has_numbers


def export_filter_summary(export: ExportRequest) -> str:
    """The stored description; for a request stored before its kind described its filter, the kind's
    description of the stored params."""
    if export.filter_summary:
        return export.filter_summary
    definition = definition_get(export.kind)
    return definition.summary(export.params) if definition else "全部（本人权限范围内）"


def export_preview(*, user, definition: ExportDefinition, params) -> tuple[dict, str, int]:
    """What a request with these filters would be: the frozen params, their Chinese description and the
    row count (the request page shows them; export_request_create stores them)."""
    params = definition.frozen(user=user, params=export_params_clean(params))
    return params, definition.summary(params), definition.count(user=user, params=params)


def export_definition_for(*, user, kind: str) -> ExportDefinition:
    """A kind the user may ask for (the request page and the API): the portal's own hand-outs
    (`requestable=False`, e.g. an import's error report) are not asked for."""
    definition = definition_get(kind)
    if definition is None or not definition.requestable:
        raise DomainError("没有这种导出表", field="kind")
    if not definition.allowed(user):
        raise PermissionDeniedError(f"您的角色无权导出“{definition.title}”")
    return definition


def export_request_create(
    *, actor, kind: str, params: dict | None = None, purpose: str = "", full_numbers: bool = False
) -> ExportRequest:
    """申请导出: the requester states a purpose; an aggregate-only table is approved at once (no personal
    data), any other waits for a manager. Audited; the approvers are notified."""
    definition = export_definition_for(user=actor, kind=kind)
    purpose = (purpose or "").strip()
    if definition.personal and len(purpose) < 4:
        raise DomainError("请填写导出用途（至少4个字），审批人据此决定是否批准", field="purpose")
    if full_numbers and not (definition.personal and export_has_numbers(definition)):
        raise DomainError("此表不含证件号或电话，无需申请完整号码", field="full_numbers")
    return _request_record(
        actor=actor, definition=definition, params=params, purpose=purpose, full_numbers=full_numbers
    )


def _request_record(
    *, actor, definition: ExportDefinition, params, purpose: str, full_numbers: bool = False, dispatch=True
) -> ExportRequest:
    """The request row and its audit; approved at once (by nobody, with the reason) when the kind needs no
    approval, then dispatched (`dispatch=False`: the caller generates it itself)."""
    params, summary, total = export_preview(user=actor, definition=definition, params=params)
    with transaction.atomic():
        export = ExportRequest(
            kind=definition.name,
            title=definition.title,
            params=params,
            filter_summary=summary[:300],
            purpose=(purpose or "汇总统计")[:300],
            personal=definition.personal,
            full_numbers_requested=bool(full_numbers),
            requested_by=actor,
            organisation=actor.organisation,
            total_rows=total,
        )
        export.full_clean()
        export.save()
        audit_record(
            actor=actor,
            action="export.requested",
            obj=export,
            object_repr=str(export),
            new={
                "kind": export.kind,
                "filters": params,
                "rows": total,
                "personal": export.personal,
                "full_numbers_requested": export.full_numbers_requested,
            },
            reason=export.purpose,
            organisation=export.organisation,
        )
        if not definition.needs_approval:
            export = export_transition(
                export=export,
                to=S.APPROVED,
                actor=actor,
                reason=definition.no_approval_reason,
                changes={"decided_at": _now()},
            )
            if dispatch:
                _dispatch(export)
        else:
            _notify_approvers(export)
    return export


def _notify_approvers(export: ExportRequest) -> None:
    from loanportal.models import User

    candidates = User.objects.filter(
        is_active=True,
        role__in=list(MANAGER_ROLES),
        organisation_id__in=[o.pk for o in _ancestors(export.organisation)],
    ).exclude(pk=export.requested_by_id)
    notification_send(
        recipients=list(candidates),
        title=f"导出待审批：{export.title}",
        body=f"{export.requested_by} 申请导出 {export.total_rows} 行，用途：{export.purpose}",
        url=reverse("export-detail", args=[export.pk]),
        category="export",
        dedupe_key=f"export-requested-{export.pk}",
        email=False,
    )


def export_approve(
    *, actor, export: ExportRequest, note: str = "", full_numbers: bool = False
) -> ExportRequest:
    """批准导出: a manager of the requester's organisation or above, never the requester. Full ID numbers
    and phones only when the request asked for them and the approval covers them."""
    if actor.pk == export.requested_by_id:
        raise PermissionDeniedError("不能审批自己的导出申请")
    if not export_can_decide(user=actor, export=export):
        raise PermissionDeniedError("只有申请人所在机构或上级机构的负责人可以审批导出")
    with transaction.atomic():
        covered = bool(full_numbers and export.full_numbers_requested)
        export = export_transition(
            export=export,
            to=S.APPROVED,
            actor=actor,
            reason=(note or "").strip(),
            changes={
                "decided_by": actor,
                "decided_at": _now(),
                "decision_note": (note or "").strip()[:300],
                "full_numbers": covered,
            },
            details={"full_numbers": covered},
        )
        _decided(export)
        _dispatch(export)
        notification_send(
            recipients=[export.requested_by],
            title=f"导出已批准：{export.title}",
            body="文件生成后即可下载",
            url=reverse("export-detail", args=[export.pk]),
            category="export",
            dedupe_key=f"export-approved-{export.pk}",
            email=False,
        )
    return export


def _decided(export: ExportRequest) -> None:
    """The request no longer waits: its 导出待审批 notification is read for every approver."""
    notification_mark_read_for_all(dedupe_key=f"export-requested-{export.pk}")


def export_refuse(*, actor, export: ExportRequest, reason: str) -> ExportRequest:
    """不予批准: with a reason, told to the requester."""
    if actor.pk == export.requested_by_id:
        raise PermissionDeniedError("不能审批自己的导出申请")
    if not export_can_decide(user=actor, export=export):
        raise PermissionDeniedError("只有申请人所在机构或上级机构的负责人可以审批导出")
    with transaction.atomic():
        export = export_transition(
            export=export,
            to=S.REFUSED,
            actor=actor,
            reason=(reason or "").strip(),
            changes={
                "decided_by": actor,
                "decided_at": _now(),
                "decision_note": (reason or "").strip()[:300],
            },
        )
        _decided(export)
        notification_send(
            recipients=[export.requested_by],
            title=f"导出未获批准：{export.title}",
            body=export.decision_note,
            url=reverse("export-detail", args=[export.pk]),
            category="export",
            level="warning",
            dedupe_key=f"export-refused-{export.pk}",
            email=False,
        )
    return export


# --- the job ---------------------------------------------------------------------------------------------


def _dispatch(export: ExportRequest, *, force: bool = False) -> None:
    """Queue the job after commit. The request is already in the database: if the broker is down, the
    sweep (exports_sweep, beat) dispatches it later (loanportal.dispatch)."""
    from .tasks import export_generate_task

    publish_on_commit(export_generate_task, export.pk, what=f"export {export.pk}", force=force)


JOB_LOCK_CLASS = 7109  # first key of the PostgreSQL advisory lock a running export job holds


def _job_lock(pk: int) -> bool:
    """Hold the job's advisory lock (PostgreSQL, session level) while the job runs: it is released the moment
    the worker's connection dies (kill -9), so a redelivered message or the sweep can take over at once.
    False when a live worker holds it. Other databases: no lock (a dead job is recognised by staleness)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [JOB_LOCK_CLASS, pk])
        return bool(cursor.fetchone()[0])


def _job_unlock(pk: int) -> None:
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [JOB_LOCK_CLASS, pk])
    except DatabaseError:  # an aborted transaction: the lock goes when the connection closes
        logger.warning("export %s: could not release the job lock", pk, exc_info=True)


def _job_alive(pk: int) -> bool:
    """Whether a live worker holds the job's lock (PostgreSQL); elsewhere we cannot tell: False."""
    if connection.vendor != "postgresql":
        return False
    if _job_lock(pk):
        _job_unlock(pk)
        return False
    return True


def _claim(pk: int) -> ExportRequest | None:
    """Take the job if it is waiting (approved, failed) or its worker died: running without a live lock
    holder (the caller holds the lock now) or, without advisory locks, no progress lately."""
    with transaction.atomic():
        export = ExportRequest.objects.select_for_update().filter(pk=pk).first()
        if export is None:
            return None
        stale = _now() - datetime.timedelta(minutes=settings.EXPORT_STALE_MINUTES)
        if export.status in (S.APPROVED, S.FAILED) or (
            export.status == S.RUNNING and (connection.vendor == "postgresql" or export.updated_at < stale)
        ):
            return export_transition(
                export=export, to=S.RUNNING, actor=None, changes={"rows_done": 0, "error": ""}
            )
        return None


def file_path_for(export: ExportRequest) -> Path:
    return export_root() / f"export-{export.pk}.xlsx"


def export_generate(*, pk: int) -> ExportRequest | None:
    """生成导出文件 (the job's body): stream the requester's scoped rows into the file, then mark it ready
    with its row count and SHA-256 (audited) and notify the requester. Idempotent by state."""
    if not _job_lock(pk):
        logger.info("export %s: a live worker is running it, nothing to do", pk)
        return None  # a duplicate message
    try:
        return _generate(pk)
    finally:
        _job_unlock(pk)


def _generate(pk: int) -> ExportRequest | None:
    export = _claim(pk)
    if export is None:
        return None
    definition = definition_get(export.kind)
    final = file_path_for(export)
    for leftover in export_root().glob(f"{final.stem}.*.part"):  # a dead worker's unfinished file
        leftover.unlink(missing_ok=True)
    partial = final.with_suffix(f".{os.getpid()}.part")
    try:
        watermark = Watermark(
            number=export.number,
            title=export.title,
            requester=_person(export.requested_by),
            approver=_person(export.decided_by) if export.decided_by else definition.no_approval_label,
            generated_at=_now(),
            purpose=export.purpose,
            filters=export.filter_summary or "",
            organisation=str(export.organisation),
            approved_rows=export.total_rows,
        )

        def progress(done: int) -> None:
            ExportRequest.objects.filter(pk=pk).update(rows_done=done, updated_at=_now())

        if definition.layout is not None:
            rows = (export.requested_by, export.params)
        else:
            rows = definition.rows(user=export.requested_by, params=export.params)
        count = write_export(
            definition,
            rows,
            path=str(partial),
            watermark=watermark,
            full_numbers=export.full_numbers,
            progress=progress,
        )
        digest, size = _sha256(partial)
        os.replace(partial, final)  # one file per request, whatever the number of attempts
    except Exception as exc:
        partial.unlink(missing_ok=True)
        logger.exception("export %s failed", pk)
        export_transition(export=export, to=S.FAILED, actor=None, changes={"error": str(exc)[:300]})
        notification_send(
            recipients=[export.requested_by],
            title=f"导出失败：{export.title}",
            body="文件生成失败，请稍后重试或联系管理员",
            url=reverse("export-detail", args=[export.pk]),
            category="export",
            level="danger",
            email=False,
        )
        raise
    now = _now()
    with transaction.atomic():
        export = export_transition(
            export=export,
            to=S.READY,
            actor=None,
            changes={
                "row_count": count,
                "rows_done": count,
                "sha256": digest,
                "file_size": size,
                "file_path": final.name,
                "ready_at": now,
                "expires_at": now + datetime.timedelta(hours=settings.EXPORT_DOWNLOAD_HOURS),
            },
            details={"row_count": count, "sha256": digest, "bytes": size},
        )
        if not definition.requestable:  # handed out at once (an import's error report): nothing to announce
            return export
        notification_send(
            recipients=[export.requested_by],
            title=f"导出文件已生成：{export.title}",
            body=f"共 {count} 行，请在 {settings.EXPORT_DOWNLOAD_HOURS} 小时内下载，"
            f"最多下载 {settings.EXPORT_MAX_DOWNLOADS} 次",
            url=reverse("export-detail", args=[export.pk]),
            category="export",
            level="success",
            dedupe_key=f"export-ready-{export.pk}",
            email=False,
        )
    return export


def _person(user) -> str:
    if user is None:
        return ""
    name = user.full_name or user.username
    org = user.organisation.name if user.organisation_id else ""
    return f"{name}（{user.username}，{org}）" if org else f"{name}（{user.username}）"


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


# --- download and expiry ---------------------------------------------------------------------------------


def export_download(*, actor, export: ExportRequest) -> tuple[Path, str]:
    """下载: the requester only, while ready, before the deadline, at most EXPORT_MAX_DOWNLOADS times; each
    download is audited with the row count and SHA-256. Anything else → ExportUnavailable (404)."""
    if export.requested_by_id != actor.pk:
        raise ExportUnavailable
    expired = False
    with transaction.atomic():
        locked = ExportRequest.objects.select_for_update().get(pk=export.pk)
        if locked.status != S.READY:
            raise ExportUnavailable
        path = export_root() / locked.file_path
        if (
            locked.expires_at <= _now()
            or locked.download_count >= settings.EXPORT_MAX_DOWNLOADS
            or not path.exists()
        ):
            expired = True
        else:
            locked.download_count += 1
            locked.save(update_fields=["download_count", "updated_at"])
            audit_record(
                actor=actor,
                action="export.downloaded",
                obj=locked,
                object_repr=str(locked),
                new={
                    "download": locked.download_count,
                    "row_count": locked.row_count,
                    "sha256": locked.sha256,
                },
                organisation=locked.organisation,
            )
    if expired:
        export_expire(export=locked)
        raise ExportUnavailable
    return path, f"{locked.title}-{locked.number}.xlsx"


def export_expire(*, export: ExportRequest) -> ExportRequest:
    """失效: past the deadline or used up; the file is deleted after commit."""
    reason = "下载次数已用完" if export.download_count >= settings.EXPORT_MAX_DOWNLOADS else "已过下载期限"
    with transaction.atomic():
        export = export_transition(export=export, to=S.EXPIRED, actor=None, reason=reason)
        path = export_root() / export.file_path if export.file_path else None
        if path is not None:
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return export


def exports_sweep() -> dict:
    """The sweep (beat, every 5 minutes): expire what is past its deadline or used up; dispatch approved requests
    whose job never reached a worker (broker down) and running ones whose worker died. Idempotent."""
    now = _now()
    expired = 0
    due = ExportRequest.objects.filter(status=S.READY).filter(
        Q(expires_at__lte=now) | Q(download_count__gte=settings.EXPORT_MAX_DOWNLOADS)
    )
    for export in due.iterator():
        try:
            export_expire(export=export)
            expired += 1
        except ConflictError:
            continue
    stale = now - datetime.timedelta(minutes=settings.EXPORT_STALE_MINUTES)
    waiting = ExportRequest.objects.filter(
        Q(status=S.APPROVED, updated_at__lt=now - datetime.timedelta(minutes=2))
        | Q(status=S.RUNNING, updated_at__lt=stale)
    )
    dispatched = 0
    for export in waiting.iterator():
        _dispatch(export, force=True)
        dispatched += 1
    # Running jobs whose worker died (its advisory lock released) are taken over without waiting.
    orphans = ExportRequest.objects.filter(status=S.RUNNING, updated_at__gte=stale)
    for pk in orphans.values_list("pk", flat=True):
        if not _job_alive(pk):
            _dispatch(ExportRequest(pk=pk), force=True)
            dispatched += 1
    return {"expired": expired, "dispatched": dispatched}
