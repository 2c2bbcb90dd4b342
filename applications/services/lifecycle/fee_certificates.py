"""收费证明 (fee certificates, notice 八: 11月20日至30日高校查看学费到账情况并开具收费证明).

Issuing is the application's move disbursed → fee_certified through the one transition service, which
checks role, organisation, the calendar window (with the university's extension) and the state map,
locks the row and writes the audit row; the certificate and its number are made inside that same
transaction (like the contract number at signing)."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from loanportal.errors import ConflictError, DomainError
from loanportal.models import Organisation

from ...models import Application, ApplicationStatus, FeeCertificate
from ...rules import receipts as rules
from ...rules.refusals import refuse


def fee_certificate_check(application: Application) -> None:
    """Raise the refusal (409) when the tuition has not arrived or the certificate exists already."""
    refuse(
        rules.fee_certificate_refusal(
            status=application.status,
            disbursed_on=application.disbursed_on,
            disbursed_to_university=application.disbursed_to_university,
        )
    )


def fee_certificate_next_sequence(application: Application) -> int:
    """The next number of the university's certificates of the year. The university's row is locked
    (FOR NO KEY UPDATE, as for contract numbers) so two officers issuing at once get consecutive
    numbers; the unique constraint (university, year, sequence) stands behind it."""
    Organisation.objects.select_for_update(no_key=True).get(pk=application.university_id)
    last = FeeCertificate.objects.filter(
        university_id=application.university_id, year=application.year
    ).aggregate(last=Max("sequence"))["last"]
    return (last or 0) + 1


def fee_certificate_create(*, actor, application: Application, sequence: int) -> FeeCertificate:
    """The certificate row of an application that has just moved to fee_certified (called by the
    transition service inside its transaction)."""
    certificate = FeeCertificate(
        application=application,
        university_id=application.university_id,
        year=application.year,
        sequence=sequence,
        number=rules.fee_certificate_number(
            year=application.year, university_code=application.university.code, sequence=sequence
        ),
        tuition_amount=application.tuition_amount,
        accommodation_amount=application.accommodation_amount,
        disbursed_on=application.disbursed_on,
        disbursed_to_university=application.disbursed_to_university,
        disbursed_to_student=application.disbursed_to_student or 0,
        issued_by=actor,
        issued_at=timezone.now(),
    )
    certificate.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:  # pragma: no cover - the locked sequence prevents it
        raise ConflictError("收费证明编号冲突，请重试") from exc
    return certificate


def fee_certificate_issue(
    *, actor, application: Application, on: datetime.date | None = None
) -> FeeCertificate:
    """开具收费证明 for one student: the transition disbursed → fee_certified, which makes the certificate."""
    from .transitions import application_transition

    moved = application_transition(
        actor=actor, application=application, to=ApplicationStatus.FEE_CERTIFIED, on=on
    )
    return FeeCertificate.objects.select_related("application__student", "university").get(application=moved)


def fee_certificates_issue_many(
    *, actor, applications, on: datetime.date | None = None
) -> tuple[list[FeeCertificate], list[tuple[Application, DomainError]]]:
    """Bulk issue (select many): each student is its own transaction, so one refused student (already
    certified by a colleague a moment ago, money not arrived) does not hold back the others; returns the
    certificates issued and the (application, error) refused."""
    issued, refused = [], []
    for application in applications:
        try:
            issued.append(fee_certificate_issue(actor=actor, application=application, on=on))
        except DomainError as exc:
            refused.append((application, exc))
    return issued, refused
