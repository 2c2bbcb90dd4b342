"""Free text never keeps a full ID number or mobile number (issue 9 check 2; notice 二十一, relief measures
第二十七条: controlled viewing and copying of personal information).

A note, reason, objection, 补正 request or finding is typed by one person and read by everyone who reads the
record — the pages, the API, the exports, the audit log, notifications. ID numbers and phones have their
own fields, masked everywhere and shown in full only through the audited reveal; a number typed into free
text would bypass all of that. So every free-text field below is masked when it is stored (the one helper,
`loanportal.rules.mask_text`: 620***********1234, 138****5678), whoever typed it and through whichever
path (page form, API, import, service): the `pre_save` receiver for model saves, `mask_row` for the bulk
paths (COPY / bulk_create), and audit_record for the audit row's reason and the free-text values it
records. Nothing is kept to reveal: the structured fields are the place for numbers.
"""

from django.db.models.signals import pre_save

from .rules import mask_text

# model label → its free-text fields. tests/test_issue9_check2_free_text.py fails for a text field of any
# model that is neither listed here nor in NOT_FREE_TEXT.
FREE_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "applications.NoticeObjection": ("content", "handling"),
    "applications.CountySummary": ("returned_reason",),
    "applications.IntakePlan": ("measures",),
    "applications.IntakeSite": ("address",),
    "applications.PreApplication": ("note",),
    "applications.PreApplicationImport": ("file_name",),
    "applications.Application": ("bank_decline_reason",),
    "applications.ApplicationCorrection": ("reason", "decision_note"),
    "applications.ArchiveBox": ("contents", "location"),
    "applications.BankStatusImport": ("file_name",),
    "applications.PublicNotice": ("place",),
    "renewals.RenewalDeclaration": ("statement", "review_reason"),
    "renewals.RenewalImport": ("file_name",),
    "repayment_relief.ReliefBlacklistEntry": ("reason",),
    "repayment_relief.BankAmount": ("question",),
    "repayment_relief.FundEntry": ("note", "document"),
    "repayment_relief.DisbursementBatch": ("document",),
    "repayment_relief.LedgerImport": ("file_name",),
    "repayment_relief.ReliefCase": (
        "facts",
        "county_reason",
        "province_reason",
        "credit_note",
        "fraud_finding",
    ),
    "repayment_relief.ReliefDocument": ("original_name",),
    "repayment_relief.ReliefVerification": ("findings",),
    "repayment_relief.ReliefPublicNotice": ("content", "place"),
    "repayment_relief.ReliefObjection": ("content", "resolution"),
    "loanportal.AuditEvent": ("reason", "object_repr"),
    "loanportal.Notification": ("title", "body", "email_error"),
    "loanportal.ExportRequest": ("purpose", "decision_note", "filter_summary", "error"),
    "loanportal.ImportJob": ("file_name", "message"),
    "deadlines.KeyDateExtension": ("reason",),
}

# Every free-text field name: the audit row's old/new values under these keys are masked too.
FREE_TEXT_NAMES = frozenset(name for fields in FREE_TEXT_FIELDS.values() for name in fields)


def mask_free_text(value):
    """`value` with every ID-number-shaped and mobile-shaped substring masked (non-strings unchanged)."""
    return mask_text(value) if isinstance(value, str) and value else value


def mask_row(instance) -> None:
    """Mask the free-text fields of one model instance in place (the bulk paths call it per row)."""
    for name in FREE_TEXT_FIELDS.get(instance._meta.label, ()):
        value = getattr(instance, name, None)
        masked = mask_free_text(value)
        if masked != value:
            setattr(instance, name, masked)


def mask_audit_values(values):
    """The audit row's old/new dict with its free-text values masked."""
    if not isinstance(values, dict):
        return values
    return {key: mask_free_text(value) if key in FREE_TEXT_NAMES else value for key, value in values.items()}


def _before_save(sender, instance, **kwargs):
    mask_row(instance)


def connect() -> None:
    """Register the pre_save receiver for every model with free text (CoreConfig.ready)."""
    from django.apps import apps

    from .registry import register_action_labels

    register_action_labels({"free_text.masked": "已存自由文本脱敏"})
    for label in FREE_TEXT_FIELDS:
        model = apps.get_model(label)
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"free-text-{label}")


# Rows stored before free text was masked: `manage.py mask_free_text` masks them once (idempotent). The audit
# log is left as it is: its rows are sealed into the hash chain, and changing one would break the chain.
SEALED = frozenset({"loanportal.AuditEvent"})


def mask_stored_free_text(batch_size: int = 1000) -> dict[str, int]:
    """Mask the free-text columns of every stored row that still holds a full number → label → rows
    changed. Written with queryset updates (no pre_save, no audit row per row: the command's output and the
    caller's audit row say what was done)."""
    from django.apps import apps
    from django.db import transaction

    changed = {}
    for label, names in FREE_TEXT_FIELDS.items():
        if label in SEALED:
            continue
        model = apps.get_model(label)
        count = 0
        for row in model.objects.values("pk", *names).iterator(chunk_size=batch_size):
            masked = {name: mask_free_text(row[name]) for name in names}
            masked = {name: value for name, value in masked.items() if value != row[name]}
            if masked:
                with transaction.atomic():
                    model.objects.filter(pk=row["pk"]).update(**masked)
                count += 1
        if count:
            changed[label] = count
    return changed
