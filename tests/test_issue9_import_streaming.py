"""A pre-application list a clerk waits for is written while it is checked (issue 9, the one import path:
loanportal.imports.StreamedWrite; PostgreSQL COPY reads each chunk as it is checked). Notice 三(六) still holds
to the letter: all-or-nothing, and the same row-level report as a list checked before writing — whether the
bad row comes after rows already sent to the database, or the database itself refuses a row (a student already
listed this year, the same student twice in the file)."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection

from applications.models import PreApplication, PreApplicationImport
from applications.services.preapplications import PreApplicationImportRejected, pre_application_import
from loanportal import imports
from loanportal.demo import make_id_number
from loanportal.errors import ConflictError
from loanportal.imports.service import STREAM_CHUNK_ROWS
from loanportal.models import AuditEvent

from .factories_preapplications import good_row, upload, workbook_bytes

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the streamed write is PostgreSQL's COPY"
)

YEAR = 2026
ROWS = STREAM_CHUNK_ROWS * 2 + 500  # three chunks


def ids(count: int, area: str = "620123") -> list[str]:
    """`count` distinct valid ID numbers (a new birth date every 1,000)."""
    return [
        make_id_number(area, (date(2007, 1, 1) + timedelta(days=i // 1000)).strftime("%Y%m%d"), i % 1000)
        for i in range(count)
    ]


def long_list(numbers: list[str], **overrides_by_row) -> bytes:
    """A list with one student per ID number; overrides_by_row: {"row_<sheet row>": {header: value}}."""
    rows = []
    for index, number in enumerate(numbers):
        overrides = overrides_by_row.get(f"row_{index + 2}", {})
        rows.append(good_row(**{"身份证号": number, **overrides}))
    return workbook_bytes(rows)


def do_import(world, content):
    user = world.users.county1_staff
    return pre_application_import(actor=user, county=user.organisation, year=YEAR, file=upload(content))


def rejected(world, content) -> list[dict]:
    before = (
        PreApplication.objects.count(),
        AuditEvent.objects.filter(action="pre_application_import.succeeded").count(),
        PreApplicationImport.objects.filter(succeeded=True).count(),
    )
    with pytest.raises(PreApplicationImportRejected) as caught:
        do_import(world, content)
    after = (
        PreApplication.objects.count(),
        AuditEvent.objects.filter(action="pre_application_import.succeeded").count(),
        PreApplicationImport.objects.filter(succeeded=True).count(),
    )
    assert after == before, "nothing may be kept: no rows, no success audit row, no successful batch"
    assert caught.value.batch.succeeded is False
    return caught.value.errors


def test_issue9_a_long_clean_list_is_written_in_chunks_as_one_batch(world):
    """notice 三(六): every row of a list longer than one chunk lands in one batch with one audit row."""
    numbers = ids(ROWS)
    batch = do_import(world, long_list(numbers))
    assert batch.succeeded and batch.row_count == ROWS
    assert sorted(PreApplication.objects.filter(batch=batch).values_list("id_number", flat=True)) == sorted(
        numbers
    )
    assert (
        AuditEvent.objects.filter(action="pre_application_import.succeeded", object_pk=str(batch.pk)).count()
        == 1
    )


def test_issue9_a_bad_row_after_chunks_already_written_keeps_nothing(world):
    """notice 三(六) all-or-nothing: the bad row is in the last chunk, after two chunks went to the database."""
    numbers = ids(ROWS)
    last = ROWS + 1  # its sheet row
    errors = rejected(world, long_list(numbers, **{f"row_{last}": {"联系电话": "12345"}}))
    assert [(e["row"], e["column"], e["header"]) for e in errors] == [(last, "F", "联系电话")]


def test_issue9_a_student_listed_elsewhere_in_the_first_chunk_is_reported_with_the_later_row_errors(world):
    """The database refuses the first chunk (the student is on another county's list this year); the rest of
    the file is still checked, so the report holds that row and a bad row further down, and nothing is kept."""
    numbers = ids(ROWS)
    other = world.users.county2_staff
    taken = make_id_number("620122", "20070101", 1)
    pre_application_import(
        actor=other,
        county=other.organisation,
        year=YEAR,
        file=upload(workbook_bytes([good_row("620122", 身份证号=taken)])),
    )
    numbers[5] = taken
    bad_row = STREAM_CHUNK_ROWS * 2 + 10
    errors = rejected(world, long_list(numbers, **{f"row_{bad_row}": {"预申请依据": "不存在的依据"}}))
    assert [(e["row"], e["column"]) for e in errors] == [(7, "B"), (bad_row, "C")]
    assert other.organisation.name.replace("学生资助管理中心", "") in errors[0]["message"]
    assert "不在六类范围内" in errors[1]["message"]


def test_issue9_the_same_student_in_two_chunks_names_both_rows(world):
    """A student twice in the file, the second time in a later chunk: the database's uniqueness stops the
    write and the report names both rows, as for a short list."""
    numbers = ids(ROWS)
    numbers[STREAM_CHUNK_ROWS + 100] = numbers[3]
    errors = rejected(world, long_list(numbers))
    assert [(e["row"], e["column"]) for e in errors] == [(STREAM_CHUNK_ROWS + 102, "B")]
    assert "第5行" in errors[0]["message"] and f"第{STREAM_CHUNK_ROWS + 102}行" in errors[0]["message"]


def test_issue9_a_refused_write_that_check_rows_cannot_explain_is_a_conflict(world):
    """The service's contract (loanportal.imports.StreamedWrite): when the database refuses the write but
    check_rows finds nothing (another import committed meanwhile and was then corrected), the clerk gets a
    409 telling them to import again — not a report without errors, and nothing kept."""
    template = imports.Template(title="测试", fields=(imports.Field("name", "姓名", required=True),))
    sheet = imports.read_text_rows("甲\n乙\n", template)
    written = []

    def write(chunks):
        for chunk in chunks:
            written.extend(chunk)
        raise IntegrityError("duplicate key")

    with pytest.raises(ConflictError) as caught:
        imports.run_sheet_import(
            sheet=sheet,
            file_name="x.xlsx",
            template=template,
            validate_row=lambda row: imports.RowResult(dict(row.cells), []),
            write=lambda accepted: pytest.fail("the streamed write is used"),
            check_rows=lambda accepted: [],
            stream=imports.StreamedWrite(write=write, conflict_message="请重新导入"),
        )
    assert caught.value.message == "请重新导入"
    assert [values["name"] for values in written] == ["甲", "乙"]


def test_issue9_a_list_imported_as_a_job_with_progress_is_checked_before_writing(world):
    """With a progress callback (a background job shows it) the rows are checked first and written after,
    so the progress the clerk sees is committed as it goes; same result."""
    numbers = ids(STREAM_CHUNK_ROWS + 10)
    seen = []
    user = world.users.county1_staff
    batch = pre_application_import(
        actor=user,
        county=user.organisation,
        year=YEAR,
        file=upload(long_list(numbers)),
        progress=lambda done, total: seen.append(
            (done, total, PreApplication.objects.filter(year=YEAR).count())
        ),
    )
    assert batch.row_count == len(numbers)
    assert seen[0][2] == 0, "nothing written while checking"
    assert seen[-1] == (len(numbers), len(numbers), len(numbers)), "the last report: done, and written"


def test_issue9_two_clerks_importing_the_same_students_in_opposite_order_get_a_report_not_a_500(live_world):
    """Two counties' lists name the same 300 students, in opposite order, imported at the same moment: the
    writes wait on each other's rows (a deadlock PostgreSQL breaks). One list is imported; the other clerk gets
    the report naming the students already listed (or a 409 asking to import again) — never a 500, never
    a student listed twice."""
    from .concurrency import race

    world = live_world
    shared = ids(300, area="620123")
    first = workbook_bytes([good_row(身份证号=number) for number in shared])
    second = workbook_bytes([good_row("620122", 身份证号=number) for number in reversed(shared)])

    def importer(user, content):
        return lambda: pre_application_import(
            actor=user, county=user.organisation, year=YEAR, file=upload(content)
        )

    results = race(
        importer(world.users.county1_staff, first), importer(world.users.county2_staff, second), timeout=60
    )
    imported = [r for r in results if isinstance(r, PreApplicationImport)]
    refused = [r for r in results if isinstance(r, (PreApplicationImportRejected, ConflictError))]
    assert len(imported) == 1 and len(refused) == 1, results
    assert PreApplication.objects.filter(year=YEAR).count() == 300
    if isinstance(refused[0], PreApplicationImportRejected):
        assert len(refused[0].errors) == 300 and "不能重复列入" in refused[0].errors[0]["message"]
