"""The staging table of a ledger import: rows parsed chunk by chunk land here, the file-wide checks are SQL
against it, and the write is three statements from it — so memory stays flat however long the file is.

Why a session TEMP table (CREATE TEMP TABLE, not inside the import's transaction):
- private to the connection that runs the import: two imports at once never see each other's rows, and a
  re-run of a job after a worker was killed starts from nothing (its connection, and the table, died with
  the worker; the table is dropped and recreated at the start of every run as well);
- never WAL-logged nor vacuumed afterwards (as cheap to fill as an UNLOGGED table) and never in a backup;
- not inside one long transaction: the job's progress updates commit as the chunks are read, so the page's
  progress bar moves; only the final write is one transaction.
PostgreSQL fills it with COPY; SQLite (the development default) has TEMP tables too and takes executemany.
"""

import csv
import io

from django.db import connection

from loanportal.models import Organisation, Student
from loanportal.roles import OrgKind

from ..models import LoanContract, LoanLedgerSnapshot

TABLE = "ledger_import_staging"
STAGED = (
    "contract_no",
    "id_number",
    "county",
    "principal",
    "school_year",
    "as_of",
    "interest_settled_through",
    "outstanding_principal",
    "penalty_accrued",
    "rates",
    "overdue",
    "schedule",
)
PLACE = ("seq", "sheet", "line")  # file order, the sheet's index, the row number the user sees


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _names() -> dict:
    quote = connection.ops.quote_name
    return {
        "staging": TABLE,
        "contract": quote(LoanContract._meta.db_table),
        "snapshot": quote(LoanLedgerSnapshot._meta.db_table),
        "student": quote(Student._meta.db_table),
        "organisation": quote(Organisation._meta.db_table),
    }


def staging_create() -> None:
    """Drop any staging table left on this connection and create an empty one."""
    if _postgres():
        types = {"int": "integer", "big": "bigint", "text": "text", "date": "date", "num": "numeric"}
        types["json"] = "jsonb"
    else:
        types = dict.fromkeys(("text", "date", "num", "json"), "text") | {"int": "integer", "big": "integer"}
    columns = [
        ("seq", "big"),
        ("sheet", "int"),
        ("line", "int"),
        ("contract_no", "text"),
        ("id_number", "text"),
        ("county", "text"),
        ("principal", "num"),
        ("school_year", "int"),
        ("as_of", "date"),
        ("interest_settled_through", "date"),
        ("outstanding_principal", "num"),
        ("penalty_accrued", "num"),
        ("rates", "json"),
        ("overdue", "json"),
        ("schedule", "json"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(
            f"CREATE TEMP TABLE {TABLE} ({', '.join(f'{name} {types[kind]}' for name, kind in columns)})"
        )


def staging_drop() -> None:
    if connection.connection is None or connection.needs_rollback:
        return  # a broken transaction rolls the table back with it; a closed connection took it along
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def staging_add(rows: list[tuple]) -> None:
    """Append rows (seq, sheet, line, *STAGED values) — one COPY on PostgreSQL."""
    if not rows:
        return
    columns = ", ".join(PLACE + STAGED)
    with connection.cursor() as cursor:
        if _postgres():
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)  # None → an unquoted empty field: NULL in COPY's CSV format
            buffer.seek(0)
            with connection.wrap_database_errors:
                cursor.cursor.copy_expert(f"COPY {TABLE} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
        else:
            marks = ", ".join(["%s"] * (len(PLACE) + len(STAGED)))
            cursor.executemany(f"INSERT INTO {TABLE} ({columns}) VALUES ({marks})", rows)


def staging_ready() -> None:
    """After the last chunk: an index for the joins and fresh statistics for the planner."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX {TABLE}_contract ON {TABLE} (contract_no)")
        if _postgres():
            cursor.execute(f"ANALYZE {TABLE}")


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Each check: (sql returning seq, sheet, line, contract_no, …details, total count) first `limit` rows in file
# order, and how many problems there are in all (the last column, a window over the whole result).


def duplicates(limit: int) -> list[tuple]:
    """A contract number a second time in the file: (seq, sheet, line, contract_no, first sheet, first line,
    count)."""
    return _fetch(
        f"""SELECT seq, sheet, line, contract_no, first_sheet, first_line, count(*) OVER ()
            FROM (SELECT seq, sheet, line, contract_no,
                         first_value(sheet) OVER w AS first_sheet, first_value(line) OVER w AS first_line,
                         row_number() OVER w AS n
                  FROM {TABLE} WINDOW w AS (PARTITION BY contract_no ORDER BY seq)) d
            WHERE n > 1 ORDER BY seq LIMIT %s""",
        [limit],
    )


def other_borrower(limit: int) -> list[tuple]:
    """A known contract whose borrower is someone else: (seq, sheet, line, contract_no, count)."""
    n = _names()
    return _fetch(
        f"""SELECT s.seq, s.sheet, s.line, s.contract_no, count(*) OVER ()
            FROM {TABLE} s JOIN {n["contract"]} c ON c.contract_no = s.contract_no
            JOIN {n["student"]} st ON st.id = c.borrower_id
            WHERE st.id_number <> s.id_number ORDER BY s.seq LIMIT %s""",
        [limit],
    )


def new_contract_gaps(limit: int) -> list[tuple]:
    """A contract the portal does not know yet, missing what creating it needs: (seq, sheet, line,
    contract_no, no borrower, no county, no amount, no school year, number of problems in all)."""
    n = _names()
    flags = (
        "CASE WHEN st.id IS NULL THEN 1 ELSE 0 END",
        "CASE WHEN o.id IS NULL THEN 1 ELSE 0 END",
        "CASE WHEN s.principal IS NULL THEN 1 ELSE 0 END",
        "CASE WHEN s.school_year IS NULL THEN 1 ELSE 0 END",
    )
    return _fetch(
        f"""SELECT s.seq, s.sheet, s.line, s.contract_no, {", ".join(flags)}, sum({" + ".join(flags)}) OVER ()
            FROM {TABLE} s LEFT JOIN {n["contract"]} c ON c.contract_no = s.contract_no
            LEFT JOIN {n["student"]} st ON st.id_number = s.id_number
            LEFT JOIN {n["organisation"]} o ON o.code = s.county AND o.kind = %s
            WHERE c.id IS NULL
              AND (st.id IS NULL OR o.id IS NULL OR s.principal IS NULL OR s.school_year IS NULL)
            ORDER BY s.seq LIMIT %s""",
        [OrgKind.COUNTY.value, limit],
    )


def second_contract_in_year(limit: int) -> list[tuple]:
    """A new contract for a borrower who already has one for that school year (in the portal or earlier in
    the file; one contract per student per school year): (seq, sheet, line, contract_no, count). A contract
    number repeated in the file is reported as a duplicate only."""
    n = _names()
    return _fetch(
        f"""SELECT seq, sheet, line, contract_no, count(*) OVER () FROM (
              SELECT s.seq, s.sheet, s.line, s.contract_no, st.id AS student, s.school_year,
                     row_number() OVER (PARTITION BY s.id_number, s.school_year ORDER BY s.seq) AS n
              FROM {TABLE} s JOIN {n["student"]} st ON st.id_number = s.id_number
              WHERE s.school_year IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM {n["contract"]} c WHERE c.contract_no = s.contract_no)
                AND NOT EXISTS (SELECT 1 FROM {TABLE} s0 WHERE s0.contract_no = s.contract_no AND s0.seq < s.seq)) d
            WHERE n > 1 OR EXISTS (SELECT 1 FROM {n["contract"]} c2
                                   WHERE c2.borrower_id = d.student AND c2.school_year = d.school_year)
            ORDER BY seq LIMIT %s""",
        [limit],
    )


def staging_apply(*, now) -> tuple[int, int, int]:
    """Write the staged file (call inside the import's transaction, after the checks found nothing): new
    contracts; the previous latest snapshot of each contract whose new ledger is as new or newer marked
    history; the snapshots, latest where no newer one remains. → (rows, contracts created, latest)."""
    n = _names()
    now = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {n["contract"]} (contract_no, borrower_id, county_id, principal, school_year, created_at)
                SELECT s.contract_no, st.id, o.id, s.principal, s.school_year, %s
                FROM {TABLE} s JOIN {n["student"]} st ON st.id_number = s.id_number
                JOIN {n["organisation"]} o ON o.code = s.county AND o.kind = %s
                WHERE NOT EXISTS (SELECT 1 FROM {n["contract"]} c WHERE c.contract_no = s.contract_no)
                ORDER BY s.seq""",
            [now, OrgKind.COUNTY.value],
        )
        created = cursor.rowcount
        cursor.execute(
            f"""UPDATE {n["snapshot"]} SET is_latest = %s
                WHERE is_latest AND EXISTS (
                  SELECT 1 FROM {TABLE} s JOIN {n["contract"]} c ON c.contract_no = s.contract_no
                  WHERE c.id = {n["snapshot"]}.contract_id AND s.as_of >= {n["snapshot"]}.as_of)""",
            [False],
        )
        cursor.execute(
            f"""SELECT count(*) FROM {TABLE} s JOIN {n["contract"]} c ON c.contract_no = s.contract_no
                WHERE NOT EXISTS (SELECT 1 FROM {n["snapshot"]} x WHERE x.contract_id = c.id AND x.is_latest)"""
        )
        latest = cursor.fetchone()[0]
        cursor.execute(
            f"""INSERT INTO {n["snapshot"]} (contract_id, as_of, interest_settled_through, outstanding_principal,
                    penalty_accrued, rates, overdue, schedule, is_latest, received_at)
                SELECT c.id, s.as_of, s.interest_settled_through, s.outstanding_principal, s.penalty_accrued,
                       s.rates, s.overdue, s.schedule,
                       NOT EXISTS (SELECT 1 FROM {n["snapshot"]} x WHERE x.contract_id = c.id AND x.is_latest), %s
                FROM {TABLE} s JOIN {n["contract"]} c ON c.contract_no = s.contract_no
                ORDER BY s.seq""",
            [now],
        )
        rows = cursor.rowcount
    return rows, created, latest
