"""Writes of the core. Every write validates with full_clean() and records one audit row."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .audit import audit_record, model_snapshot
from .context import memo_forget
from .dispatch import publish_on_commit
from .errors import DomainError, PermissionDeniedError
from .models import CoBorrower, EmailStatus, Notification, Organisation, Student, User
from .roles import Role
from .rules import normalise_id_number
from .scope import require_write_scope
from .updates import model_update

STUDENT_FIELDS = [
    "name",
    "id_number",
    "household_county",
    "phone",
    "address",
    "level",
    "university",
    "department",
    "major",
    "enrolment_year",
    "study_years",
]
CO_BORROWER_FIELDS = ["name", "id_number", "relationship", "phone"]


def _full_clean(instance, **kwargs) -> None:
    instance.full_clean(**kwargs)


@transaction.atomic
def student_create(*, actor: User, reason: str = "", **data) -> Student:
    """Register a borrowing student (借款学生登记): only by the student's household county (生源地); None is
    the system (demo data)."""
    require_write_scope(actor, county=data.get("household_county"), business="学生登记", allow_system=True)
    data["id_number"] = normalise_id_number(data.get("id_number", ""))
    student = Student(**data)
    _full_clean(student)
    try:
        with transaction.atomic():
            student.save()
    except IntegrityError as exc:
        raise ValidationError({"id_number": "该身份证号的学生已存在"}) from exc
    audit_record(
        actor=actor,
        action="student.create",
        obj=student,
        new=model_snapshot(student, STUDENT_FIELDS),
        reason=reason,
        organisation=student.household_county,
        university=student.university,
    )
    return student


@transaction.atomic
def student_update(*, actor: User, student: Student, reason: str = "", **changes) -> Student:
    """Change a registered student: only by the household county, which may not move the student to
    another county."""
    locked = Student.objects.select_for_update().get(pk=student.pk)
    require_write_scope(actor, county=locked.household_county_id, business="学生信息维护", allow_system=True)
    if "household_county" in changes:
        require_write_scope(
            actor, county=changes["household_county"], business="学生信息维护", allow_system=True
        )
    if "id_number" in changes:
        changes["id_number"] = normalise_id_number(changes["id_number"])
    university = changes.get("university", locked.university)
    county = changes.get("household_county", locked.household_county)
    model_update(
        instance=locked,
        fields=STUDENT_FIELDS,
        data=changes,
        actor=actor,
        action="student.update",
        reason=reason,
        organisation=county,
        university=university,
    )
    return locked


@transaction.atomic
def co_borrower_add(*, actor: User, student: Student, reason: str = "", **data) -> CoBorrower:
    """Add a co-borrower (共同借款人) to a student of the actor's county."""
    require_write_scope(
        actor, county=student.household_county_id, business="共同借款人登记", allow_system=True
    )
    data["id_number"] = normalise_id_number(data.get("id_number", ""))
    co_borrower = CoBorrower(student=student, **data)
    _full_clean(co_borrower)
    co_borrower.save()
    audit_record(
        actor=actor,
        action="co_borrower.create",
        obj=co_borrower,
        new=model_snapshot(co_borrower, CO_BORROWER_FIELDS),
        reason=reason,
        organisation=student.household_county,
        university=student.university,
    )
    return co_borrower


def personal_number_reveal(*, actor: User, obj, field: str, reason: str) -> str:
    """Reveal one full ID number or phone (查看完整号码): needs a privileged role and a reason; audited."""
    if actor.role not in settings.REVEAL_ROLES:
        raise PermissionDeniedError("您的角色无权查看完整号码")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("请填写查看完整号码的原因", field="reason")
    if field not in ("id_number", "phone"):
        raise DomainError("只能查看身份证号或联系电话")
    value = getattr(obj, field)
    student = obj if isinstance(obj, Student) else getattr(obj, "student", None)
    audit_record(
        actor=actor,
        action=f"reveal.{field}",
        obj=obj,
        reason=reason,
        organisation=getattr(student, "household_county", None),
        university=getattr(student, "university", None),
    )
    return value


def notification_send(
    *,
    recipients,
    title: str,
    body: str = "",
    url: str = "",
    category: str = "info",
    level: str = "info",
    dedupe_key: str = "",
    email: bool = True,
) -> list[Notification]:
    """Notify users in the app (the bell) and by e-mail. With a dedupe_key, each user gets it at most once.

    The outbox: the caller's transaction records the notification and, for a recipient with an address,
    the e-mail to send (email_status pending) together with the change itself; the e-mail is sent by a
    Celery job after commit (notification_emails_send), never inside the request. Broker down → the rows
    wait, pending, for the sweep (notification_emails_sweep)."""
    memo_forget("unread_notifications")
    created = []
    for user in recipients:
        address = user.email if email else ""
        fields = {"title": title, "body": body, "url": url, "category": category, "level": level}
        if address:
            fields.update(email_to=address, email_status=EmailStatus.PENDING)
        if dedupe_key:
            notification, was_created = Notification.objects.get_or_create(
                recipient=user, dedupe_key=dedupe_key, defaults=fields
            )
        else:
            notification, was_created = Notification.objects.create(recipient=user, **fields), True
        if was_created:
            created.append(notification)
    emails = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
    if emails:
        from .tasks import notification_emails_send_task

        publish_on_commit(notification_emails_send_task, emails, what=f"notification e-mails {emails}")
    return created


def notification_email_send(*, pk: int) -> str:
    """Send one notification's e-mail, exactly once: the row is locked (a concurrent sender skips it) and
    only a pending row is sent; the status changes to sent in the same transaction. A failed send is
    counted and left pending (failed after NOTIFICATION_EMAIL_MAX_ATTEMPTS) for a retry.
    → "sent", "retry", "failed" or "skipped" (already sent, given up, or being sent right now)."""
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, email_status=EmailStatus.PENDING)
            .first()
        )
        if note is None:
            return "skipped"
        note.email_attempts += 1
        try:
            send_mail(
                note.title,
                f"{note.body}\n\n{note.url}" if note.url else note.body,
                settings.DEFAULT_FROM_EMAIL,
                [note.email_to],
                fail_silently=False,
            )
        except Exception as exc:  # SMTP down, refused, timed out: counted, retried later
            note.email_error = f"{type(exc).__name__}: {exc}"[:300]
            if note.email_attempts >= settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS:
                note.email_status = EmailStatus.FAILED
            note.save(update_fields=["email_attempts", "email_error", "email_status"])
            return "failed" if note.email_status == EmailStatus.FAILED else "retry"
        note.email_status, note.email_sent_at, note.email_error = EmailStatus.SENT, timezone.now(), ""
        note.save(update_fields=["email_attempts", "email_error", "email_status", "email_sent_at"])
    return "sent"


def notification_emails_send(*, pks) -> list[int]:
    """Send these notifications' e-mails; → the pks still pending after a failed attempt (to retry)."""
    return [pk for pk in pks if notification_email_send(pk=pk) == "retry"]


def notification_emails_sweep(*, older_than_seconds: int = 120, limit: int = 500) -> dict:
    """The outbox sweep (beat, every few minutes): send the e-mails still pending a while after their
    notification was recorded (the broker was down when it was, or SMTP failed). Idempotent. Three failed
    sends in a row end the run (SMTP is down: the next run tries again, rather than wait out every timeout)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    pending = Notification.objects.filter(email_status=EmailStatus.PENDING, created_at__lte=cutoff)
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    failures_in_a_row = 0
    for pk in pending.order_by("pk").values_list("pk", flat=True)[:limit]:
        outcome = notification_email_send(pk=pk)
        counts[outcome] += 1
        failures_in_a_row = failures_in_a_row + 1 if outcome in ("retry", "failed") else 0
        if failures_in_a_row >= 3:
            break
    return counts


def notification_send_to_organisation(
    *, organisation: Organisation, roles=None, **kwargs
) -> list[Notification]:
    users = User.objects.filter(organisation=organisation, is_active=True)
    if roles:
        users = users.filter(role__in=list(roles))
    return notification_send(recipients=users, **kwargs)


def notification_mark_read(*, user: User, pk=None) -> int:
    """Mark one (or, with pk=None, all) of the user's notifications read."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    memo_forget("unread_notifications")
    return qs.update(read_at=timezone.now())


def notification_mark_read_for_all(*, dedupe_key: str) -> int:
    """Mark every recipient's notification with this key read: a to-do that has been done (an export
    request decided by one approver is no longer waiting for the others)."""
    if not dedupe_key:
        return 0
    memo_forget("unread_notifications")
    return Notification.objects.filter(dedupe_key=dedupe_key, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    role: str,
    organisation: Organisation,
    password: str | None,
    full_name: str = "",
    email: str = "",
) -> User:
    """Create a portal user in an organisation with one role."""
    user = User(username=username, role=role, organisation=organisation, full_name=full_name, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    _full_clean(user, exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        new={"username": username, "role": Role(role).label},
        organisation=organisation,
    )
    return user
