"""Writes of the pre-application list (首贷预申请, notice 三(六)): import a list, add one student, withdraw.

The import is all-or-nothing: every row is checked first (rules.check_row, one query for the ID numbers
already listed this year, one for students already registered); only a list without a single error is
written, with COPY (PostgreSQL; bulk_create elsewhere) in one transaction and one audit row for the batch. A refused list keeps its
error report on a rejected batch (no pre-application rows), so the clerk can see and download it.
"""

import csv
import functools
import io

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from loanportal import imports
from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError
from loanportal.free_text import mask_free_text
from loanportal.imports import checks as imports_checks
from loanportal.models import Organisation, Student, User
from loanportal.permissions import require_own_county
from loanportal.roles import OrgKind
from loanportal.rules import mask_id_number, mask_phone, normalise_id_number
from loanportal.transitions import apply_transition

from ... import states
from ...models.preapplication import (
    PreApplication,
    PreApplicationImport,
    PreApplicationStatus,
)
from ...rules.preapplications import COLUMNS, EXAMPLE_NAME, check_row, county_names

BULK_BATCH_SIZE = 2000
LOOKUP_CHUNK = 5000

# 状态流转 (applications.states): listed → applied / withdrawn; applied → listed when the application
# closes; withdrawn → listed to restore (恢复预申请).
PRE_APPLICATION_TRANSITIONS = states.PRE_APPLICATION_TRANSITIONS
REASON_REQUIRED = states.PRE_APPLICATION_REASON_REQUIRED


class PreApplicationImportRejected(DomainError):
    """The list has row errors: nothing imported; `batch` holds the report, `errors` its rows."""

    def __init__(self, *, batch: PreApplicationImport, errors: list[dict]):
        super().__init__(f"名单中有{len(errors)}处错误，未导入任何学生；请按错误报告修改后重新导入")
        self.batch = batch
        self.errors = errors


def _require_county_actor(actor: User, county: Organisation) -> None:
    require_own_county(actor, county, business="预申请名单维护")
    if county.kind != OrgKind.COUNTY:
        raise DomainError("预申请名单只能属于县级机构")


def _max_lengths() -> dict:
    return {
        key: PreApplication._meta.get_field(key).max_length
        for key in ("name", "high_school", "phone", "note")
    }


def _with_id_numbers(queryset, id_numbers: list[str]):
    """Querysets restricted to these ID numbers: one array parameter on PostgreSQL (`= ANY(%s)`: Django's
    `__in` builds one placeholder per value, ~0.3 s for a 10,000-row list), chunks of `__in` elsewhere."""
    if connection.vendor == "postgresql":
        column = f"{connection.ops.quote_name(queryset.model._meta.db_table)}.{connection.ops.quote_name('id_number')}"
        # The column name comes from the model, the values are one bound parameter.
        yield queryset.extra(where=[f"{column} = ANY(%s)"], params=[id_numbers])  # noqa: S610
        return
    for start in range(0, len(id_numbers), LOOKUP_CHUNK):
        yield queryset.filter(id_number__in=id_numbers[start : start + LOOKUP_CHUNK])


def _listed_elsewhere(*, year: int, id_numbers) -> dict[str, tuple[str, str]]:
    """ID number → (county name, status) of pre-applications already on a list this year, any county."""
    found: dict[str, tuple[str, str]] = {}
    for queryset in _with_id_numbers(PreApplication.objects.filter(year=year), list(id_numbers)):
        for id_number, county_name, status in queryset.values_list("id_number", "county__name", "status"):
            found[id_number] = (county_name, status)
    return found


def _already_listed_message(*, county_name: str, status: str, own_county: Organisation, year: int) -> str:
    where = "本县" if county_name == own_county.name else county_name
    state = "（已撤销，可在本县名单中恢复）" if status == PreApplicationStatus.WITHDRAWN else ""
    return f"该生已在{where}{year}年度预申请名单中{state}，不能重复列入"


def _source_school(schools: list[str]) -> str:
    distinct = sorted({s for s in schools if s})
    if len(distinct) == 1:
        return distinct[0][:100]
    if not distinct:
        return ""
    return f"{distinct[0]}等{len(distinct)}所学校"[:100]


# The list's columns for the one import path (loanportal.imports): ID numbers and phones must be text cells.
IMPORT_TEMPLATE = imports.Template(
    title="首贷预申请名单",
    fields=tuple(
        imports.Field(c.key, c.header, required=c.required, text=c.key in ("id_number", "phone"))
        for c in COLUMNS
    ),
)


def pre_application_import(
    *, actor: User, county: Organisation, year: int, file, progress=None
) -> PreApplicationImport:
    """Import a county's pre-application list from an xlsx (首贷预申请名单导入, notice 三(六)).

    Goes through the one import path (loanportal.imports.run_import): refuses a bad file (DomainError)
    before parsing; refuses a list with any bad row (PreApplicationImportRejected, carrying the report);
    otherwise writes every row in one transaction and returns the batch. `progress(done, total)` is
    called every 1,000 rows (a background job shows it).
    """
    _require_county_actor(actor, county)
    names = county_names(county.name)
    limits = _max_lengths()

    bad_id_rows: set[int] = set()

    def validate_row(row: imports.Row) -> imports.RowResult | None:
        result = check_row(row.cells, county_code=county.code, county_names=names, max_lengths=limits)
        if result.values["name"] == EXAMPLE_NAME:  # the template's example row, left in: skipped
            return None
        if any(key == "id_number" for key, _ in result.errors):
            bad_id_rows.add(row.number)
        return imports.RowResult(result.values, result.errors, label=result.values["name"])

    def check_rows(accepted) -> list[tuple[int, str, str]]:
        problems = []
        first_row_of: dict[str, int] = {}
        for row, values in accepted:
            id_number = values["id_number"]
            if not id_number or row.number in bad_id_rows:
                continue
            first = first_row_of.setdefault(id_number, row.number)
            if first != row.number:
                problems.append(
                    (
                        row.number,
                        "id_number",
                        f"身份证号与第{first}行重复（同一学生在文件中出现两次，第{first}行和第{row.number}行）",
                    )
                )
        for id_number, (county_name, status) in _listed_elsewhere(year=year, id_numbers=first_row_of).items():
            message = _already_listed_message(
                county_name=county_name, status=status, own_county=county, year=year
            )
            problems.append((first_row_of[id_number], "id_number", message))
        return problems

    file_name = imports_checks.file_name_of(file)
    writer = _ListWriter(actor=actor, county=county, year=year, file_name=file_name)
    try:
        outcome = imports.run_import(
            file=file,
            template=IMPORT_TEMPLATE,
            validate_row=validate_row,
            check_rows=check_rows,
            write=writer.write_all,
            # A list the clerk waits for is written while it is checked; the (year, ID) uniqueness that
            # check_rows reports is the table's constraint, so a clean write means check_rows finds nothing.
            stream=imports.StreamedWrite(write=writer.write, conflict_message=LISTED_MEANWHILE),
            empty_message="名单中没有学生数据（第2行起为数据行）",
            progress=progress,
        )
    except imports.ImportRejected as exc:
        errors = [error.as_dict() for error in exc.errors]
        raise PreApplicationImportRejected(
            batch=_record_rejected(
                actor=actor, county=county, year=year, file_name=file_name, rows=exc.rows, errors=errors
            ),
            errors=errors,
        ) from None
    return outcome.result


def pre_application_import_job(*, job, file, progress) -> tuple[str, int | None, str]:
    """The body of a background pre-application import (loanportal.imports.jobs): the same import, same
    rules, with progress; returns (job status, batch pk, message for the uploader)."""
    try:
        batch = pre_application_import(
            actor=job.created_by, county=job.organisation, year=job.year, file=file, progress=progress
        )
    except PreApplicationImportRejected as exc:
        return "rejected", exc.batch.pk, exc.message
    except DomainError as exc:
        return "rejected", None, exc.message
    return "done", batch.pk, f"导入成功：{batch.row_count} 名学生已列入{batch.year}年度预申请名单"


def _record_rejected(*, actor, county, year, file_name, rows, errors) -> PreApplicationImport:
    return imports.import_rejection_record(
        model=PreApplicationImport,
        actor=actor,
        action="pre_application_import.rejected",
        file_name=file_name,
        rows=rows,
        errors=errors,
        audit_organisation=county,
        county=county,
        year=year,
    )


LISTED_MEANWHILE = "名单中有学生刚被列入其他名单，未导入任何学生；请重新导入以查看错误报告"

# The columns of an imported row, in the order _ListWriter.rows builds them: the row's own values, then what
# is the same for the whole list (the student link is made after the rows are written).
IMPORT_COLUMNS = (
    "name",
    "id_number",
    "basis",
    "high_school",
    "phone",
    "note",
    "student_id",
    "year",
    "county_id",
    "status",
    "source",
    "batch_id",
    "created_by_id",
    "created_at",
)


class _ListWriter:
    """Writes a checked list in the import's transaction: the batch row; the rows (PostgreSQL COPY, reading
    the chunks as the import checks them; bulk_create elsewhere); each row's link to its registered student;
    the batch's totals and one audit row. The table's (year, ID) constraint refuses a student listed
    meanwhile by another import (IntegrityError), never a second listing."""

    def __init__(self, *, actor, county, year, file_name):
        self.actor, self.county, self.year, self.file_name = actor, county, year, file_name

    def write_all(self, accepted: list) -> PreApplicationImport:
        """The whole checked list at once (after check_rows found nothing)."""
        checked = [values for _, values in accepted]
        chunks = (
            checked[start : start + BULK_BATCH_SIZE] for start in range(0, len(checked), BULK_BATCH_SIZE)
        )
        try:  # in chunks, as when streamed: the COPY text of a 100,000-row list is never held whole
            return self.write(chunks)
        except (IntegrityError, OperationalError) as exc:
            if not imports.refused_by_a_concurrent_write(exc):
                raise
            # another list with these students, written at the same time
            raise ConflictError(LISTED_MEANWHILE) from exc

    def write(self, chunks) -> PreApplicationImport:
        batch = PreApplicationImport(
            county=self.county,
            year=self.year,
            file_name=self.file_name,
            succeeded=True,
            created_by=self.actor,
        )
        batch.full_clean()
        batch.save()
        now = timezone.now()
        constant = (
            None,  # student: linked below
            self.year,
            self.county.pk,
            PreApplicationStatus.LISTED.value,
            "import",
            batch.pk,
            self.actor.pk,
            # COPY writes text: the instant formatted once here, not once per row by the CSV writer.
            now.isoformat() if connection.vendor == "postgresql" else now,
        )
        id_numbers: list[str] = []
        schools: set[str] = set()

        def rows(chunk: list[dict]) -> list[tuple]:
            id_numbers.extend(values["id_number"] for values in chunk)
            schools.update(values["high_school"] for values in chunk)
            return [
                (
                    values["name"],
                    values["id_number"],
                    values["basis"],
                    values["high_school"],
                    values["phone"],
                    mask_free_text(values["note"]),  # the bulk path of loanportal.free_text
                    *constant,
                )
                for values in chunk
            ]

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor, connection.wrap_database_errors:
                cursor.cursor.copy_expert(_copy_sql(), _CopyChunks(chunks, rows))
        else:
            for chunk in chunks:
                PreApplication.objects.bulk_create(
                    [PreApplication(**dict(zip(IMPORT_COLUMNS, row, strict=True))) for row in rows(chunk)],
                    batch_size=BULK_BATCH_SIZE,
                )
        _link_registered_students(batch, id_numbers)
        batch.row_count = len(id_numbers)
        batch.source_school = _source_school(list(schools))
        batch.save(update_fields=["row_count", "source_school"])
        audit_record(
            actor=self.actor,
            action="pre_application_import.succeeded",
            obj=batch,
            new={"文件名": self.file_name, "导入人数": batch.row_count, "贷款年度": self.year},
            organisation=self.county,
        )
        return batch


class _CopyChunks:
    """The file a COPY FROM STDIN reads: each read() is the CSV text of the next chunk of checked rows (psycopg2
    sends it whatever its length), "" at the end. Advancing `chunks` checks the next rows, so PostgreSQL
    writes one chunk while the next is checked. None and "" are both an empty field (see _copy_sql)."""

    def __init__(self, chunks, rows):
        self.chunks, self.rows = chunks, rows

    def read(self, _size: int = -1) -> str:
        for chunk in self.chunks:
            buffer = io.StringIO()
            csv.writer(buffer).writerows(self.rows(chunk))
            return buffer.getvalue()
        return ""


@functools.cache
def _copy_sql() -> str:
    """The COPY of IMPORT_COLUMNS. An empty field is NULL (the student link), except in text columns: there
    it is "" (an empty 备注), and a text typed as \\N stays text."""
    quote = connection.ops.quote_name
    text = [c for c in IMPORT_COLUMNS if PreApplication._meta.get_field(c).get_internal_type() == "CharField"]
    return (
        f"COPY {quote(PreApplication._meta.db_table)} ({', '.join(quote(c) for c in IMPORT_COLUMNS)}) "
        f"FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(quote(c) for c in text)}))"
    )


def _link_registered_students(batch: PreApplicationImport, id_numbers: list[str]) -> None:
    """Link the batch's rows to the students already registered (one query for the ID numbers; a first-loan
    list rarely has any, so the update touches only those rows)."""
    registered: list[str] = []
    for queryset in _with_id_numbers(Student.objects.all(), id_numbers):
        registered.extend(queryset.values_list("id_number", flat=True))
    if not registered:
        return
    for queryset in _with_id_numbers(PreApplication.objects.filter(batch=batch), registered):
        queryset.update(
            student=Subquery(Student.objects.filter(id_number=OuterRef("id_number")).values("pk")[:1])
        )


@transaction.atomic
def pre_application_add(
    *,
    actor: User,
    county: Organisation,
    year: int,
    name: str,
    id_number: str,
    basis: str,
    high_school: str = "",
    phone: str = "",
    note: str = "",
) -> PreApplication:
    """Add one student found eligible before or during intake (现场补录, notice 三(六) paragraph 2)."""
    _require_county_actor(actor, county)
    id_number = normalise_id_number(id_number)
    existing = _listed_elsewhere(year=year, id_numbers=[id_number]).get(id_number)
    if existing:
        raise ConflictError(
            _already_listed_message(county_name=existing[0], status=existing[1], own_county=county, year=year)
        )
    pre_application = PreApplication(
        year=year,
        county=county,
        name=(name or "").strip(),
        id_number=id_number,
        basis=basis,
        high_school=(high_school or "").strip(),
        phone=(phone or "").strip(),
        note=(note or "").strip(),
        status=PreApplicationStatus.LISTED,
        source="manual",
        student=Student.objects.filter(id_number=id_number).first(),
        created_by=actor,
    )
    pre_application.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            pre_application.save()
    except IntegrityError as exc:  # a concurrent add of the same student won: 409, never 500
        existing = _listed_elsewhere(year=year, id_numbers=[id_number]).get(id_number)
        raise ConflictError(
            _already_listed_message(county_name=existing[0], status=existing[1], own_county=county, year=year)
            if existing
            else "该生已在本年度预申请名单中，不能重复列入"
        ) from exc
    audit_record(
        actor=actor,
        action="pre_application.create",
        obj=pre_application,
        new=_snapshot(pre_application),
        organisation=county,
    )
    return pre_application


def _snapshot(pre_application: PreApplication) -> dict:
    """The audit row's readable, masked view of a pre-application (Chinese keys and labels)."""
    return {
        "贷款年度": pre_application.year,
        "姓名": pre_application.name,
        "身份证号": mask_id_number(pre_application.id_number),
        "预申请依据": pre_application.get_basis_display(),
        "高中学校": pre_application.high_school,
        "联系电话": mask_phone(pre_application.phone),
        "来源": pre_application.get_source_display(),
    }


def pre_application_transition(
    *, actor: User, pre_application: PreApplication, to: str, reason: str = "", extra: dict | None = None
) -> PreApplication:
    """The one state change of a pre-application (listed / applied / withdrawn); `extra` fields are saved
    with it (e.g. the registered student when it becomes applied)."""
    return apply_transition(
        instance=pre_application,
        to=to,
        actor=actor,
        allowed=PRE_APPLICATION_TRANSITIONS,
        reason=reason,
        reason_required_for=REASON_REQUIRED,
        labels=PreApplicationStatus,
        organisation=pre_application.county,
        action_prefix="pre_application",
        extra=extra,
    )


def pre_application_withdraw(*, actor: User, pre_application: PreApplication, reason: str) -> PreApplication:
    """Take a student off the list (撤销预申请), with a reason; only the student's county may."""
    _require_county_actor(actor, pre_application.county)
    return pre_application_transition(
        actor=actor, pre_application=pre_application, to=PreApplicationStatus.WITHDRAWN, reason=reason
    )


def pre_application_restore(*, actor: User, pre_application: PreApplication, reason: str) -> PreApplication:
    """Put a withdrawn student back on the list (恢复预申请), with a reason; only the student's county may.
    The refusal of a second listing says this restore exists ("已撤销，可在本县名单中恢复")."""
    _require_county_actor(actor, pre_application.county)
    current = PreApplication.objects.only("status").get(pk=pre_application.pk).status
    if current != PreApplicationStatus.WITHDRAWN:
        raise ConflictError(f"只有已撤销的预申请可以恢复（当前状态：{PreApplicationStatus(current).label}）")
    return pre_application_transition(
        actor=actor, pre_application=pre_application, to=PreApplicationStatus.LISTED, reason=reason
    )
