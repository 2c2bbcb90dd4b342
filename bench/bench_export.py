"""export_300k: 300,000 applications (25 columns with county and university names) to .xlsx.

- **Ours**: the export service's job body (`loanportal.exports.services.export_generate`) on an approved
  request of the province officer: claim by state, the applications definition's scoped query streamed from
  a server-side cursor (`.iterator(chunk_size=5000)`), labels for status and level, ID numbers and phones
  masked as text cells, formula guard on every string, datetimes to Asia/Shanghai, xlsxwriter in
  constant-memory mode with the watermark (header/footer and hidden sheet), progress every 5,000 rows,
  SHA-256 of the file, the `ready` transition with its audit row.
- **Baseline**: django-import-export `ModelResource.export()` of the same 25 columns (related names through
  `student__name`, `county__name`, …), then `Dataset.export("xlsx")` (tablib → openpyxl).
- **Floor**: the same query's plain `values_list` rows written with xlsxwriter `constant_memory` and
  `write_row` — no masking, no labels, no guard: what any xlsx writer must at least pay. `floor_ratio` =
  ours / floor (rows/s); ≥ 1 means not slower than the floor.

Each variant runs in a fresh Python process (`python -m bench.bench_export measure …`), so `peak_mb` is that
process's peak resident memory (VmHWM, Django loaded: `idle_mb` is the same process before the export).
BENCH_EXPORT_ROWS (default 300000) sets the data size; BENCH_EXPORT_BASELINE_ROWS (default: all) lets the
baseline run on the first N rows when 300k would not fit in the machine's time or memory — its rows/s is
then measured on N rows (it is linear in N) and reported as such.
"""

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2026


def _rows_wanted() -> int:
    return int(os.environ.get("BENCH_EXPORT_ROWS", "300000"))


# --- data ------------------------------------------------------------------------------------------------


def _copy(table: str, columns: list[str], rows) -> None:
    """The rows of a generator into `table`, 20,000 at a time: PostgreSQL COPY, or on SQLite (`make bench`
    without DATABASE_URL) one executemany INSERT per chunk."""
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    if postgres:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    else:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    chunk = []

    def flush():
        with connection.cursor() as cursor:
            if postgres:
                buffer = io.StringIO()
                csv.writer(buffer).writerows(chunk)
                buffer.seek(0)
                cursor.cursor.copy_expert(sql, buffer)
            else:
                cursor.executemany(sql, chunk)
        chunk.clear()

    for row in rows:
        chunk.append(["\\N" if v is None else v for v in row] if postgres else list(row))
        if len(chunk) >= 20_000:
            flush()
    if chunk:
        flush()


def build_data(count: int) -> dict:
    """`count` students and one application each, spread over the demo counties and universities."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from applications.models import Application
    from bench.common import demo_context
    from loanportal.demo import make_id_number
    from loanportal.models import Student

    context = demo_context()
    counties, universities = context["counties"], context["universities"]
    actor = context["users"]["county1_staff"]
    Application.objects.all().delete()
    Student.objects.filter(name__startswith="导出").delete()
    now = timezone.now()
    start = datetime.date(1985, 1, 1)  # far from the demo students' birth years: no ID collides
    surnames, given = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊洋艳"

    def students():
        for i in range(count):
            county = counties[i % len(counties)]
            birth = (start + datetime.timedelta(days=i // 1000)).strftime("%Y%m%d")
            yield (
                f"导出{surnames[i % 10]}{given[(i // 10) % 10]}{i}",
                make_id_number(county.code, birth, i % 1000),
                county.pk,
                f"138{i:08d}",
                f"{county.name[:3]}某镇某村{i % 97}号",
                "undergraduate",
                universities[i % len(universities)].pk,
                "信息学院",
                "计算机科学与技术",
                2026,
                4,
                now.isoformat(),
                now.isoformat(),
            )

    student_columns = [
        "name",
        "id_number",
        "household_county_id",
        "phone",
        "address",
        "level",
        "university_id",
        "department",
        "major",
        "enrolment_year",
        "study_years",
        "created_at",
        "updated_at",
    ]
    _copy(Student._meta.db_table, student_columns, students())
    ids = list(
        Student.objects.filter(name__startswith="导出")
        .order_by("pk")
        .values_list("pk", "household_county_id", "university_id")
    )
    statuses = ["accepted", "contract_signed", "receipt_entered", "receipt_confirmed", "disbursed"]

    def applications():
        for i, (student, county, university) in enumerate(ids):
            # one application at a time at the intake window: each has its own instant, as in real data
            created = (now - datetime.timedelta(seconds=len(ids) - i)).isoformat()
            yield (
                YEAR,
                student,
                county,
                statuses[i % len(statuses)],
                university,
                "undergraduate",
                "计算机科学与技术",
                2026,
                4,
                8000 + (i % 5) * 1000,
                1200,
                i % 3 == 0,
                actor.pk,
                created,
                created,
                created,
                f"HT{YEAR}{i:08d}" if i % 5 else None,
                created if i % 5 else None,
                "",
            )

    _copy(
        Application._meta.db_table,
        [
            "year",
            "student_id",
            "county_id",
            "status",
            "university_id",
            "level",
            "major",
            "enrolment_year",
            "study_years",
            "tuition_amount",
            "accommodation_amount",
            "commitment_accepted",
            "created_by_id",
            "created_at",
            "updated_at",
            "accepted_at",
            "contract_number",
            "contract_signed_at",
            "bank_decline_reason",
        ],
        applications(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return context


# --- the three writers (each run in its own process) -----------------------------------------------------


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _province_officer():
    from loanportal.models import User

    return User.objects.get(username="province_officer")


def measure_ours(pk: int, path: str) -> dict:
    from django.conf import settings

    from loanportal.exports import services

    settings.EXPORT_ROOT = path
    export = services.export_generate(pk=pk)
    return {"rows": export.row_count, "bytes": export.file_size}


def measure_floor(path: str) -> dict:
    import xlsxwriter
    from django.db.models import F, Q

    from loanportal.exports.definitions import APPLICATION_COLUMNS, APPLICATION_FIELDS, _applications

    qs = (
        _applications(user=_province_officer(), params={})
        .select_related(None)
        .annotate(
            total=F("tuition_amount") + F("accommodation_amount"),
            pre_applied=Q(pre_application__isnull=False),
        )
        .values_list(*APPLICATION_FIELDS)
    )
    file = Path(path) / "floor.xlsx"
    book = xlsxwriter.Workbook(str(file), {"constant_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet("floor")
    sheet.write_row(0, 0, [c.header for c in APPLICATION_COLUMNS])
    rows = 0
    for rows, row in enumerate(qs.iterator(chunk_size=5000), start=1):  # noqa: B007
        sheet.write_row(rows, 0, row)
    book.close()
    return {"rows": rows, "bytes": file.stat().st_size}


def measure_import_export(path: str, limit: int) -> dict:
    from import_export import fields, resources

    from applications.models import Application
    from loanportal.exports.definitions import APPLICATION_COLUMNS, _applications

    paths = [
        ("pk", "系统编号"),
        ("year", "贷款年度"),
        ("county__name", "受理县"),
        ("county__parent__name", "所属市"),
        ("student__name", "学生姓名"),
        ("student__id_number", "身份证号"),
        ("student__phone", "联系电话"),
        ("student__address", "家庭住址"),
        ("university__name", "就读高校"),
        ("student__department", "院系"),
        ("major", "专业"),
        ("level", "学历层次"),
        ("enrolment_year", "入学年份"),
        ("study_years", "学制（年）"),
        ("tuition_amount", "学费贷款金额（元）"),
        ("accommodation_amount", "住宿费贷款金额（元）"),
        ("total_amount", "贷款总额（元）"),
        ("status", "状态"),
        ("contract_number", "合同号"),
        ("co_borrower__name", "共同借款人"),
        ("pre_application", "已预申请"),
        ("commitment_accepted", "已签书面承诺"),
        ("accepted_at", "受理时间"),
        ("contract_signed_at", "签约时间"),
        ("created_at", "创建时间"),
    ]
    assert len(paths) == len(APPLICATION_COLUMNS) == 25
    attrs = {f"f{i}": fields.Field(attribute=p, column_name=header) for i, (p, header) in enumerate(paths)}

    class Meta:
        model = Application
        fields = tuple(attrs)
        export_order = tuple(attrs)

    resource = type("ApplicationExportResource", (resources.ModelResource,), {**attrs, "Meta": Meta})()
    qs = (
        _applications(user=_province_officer(), params={})
        .select_related("student", "county", "county__parent", "university", "co_borrower")
        .order_by("-created_at", "-pk")
    )
    if limit:
        qs = qs[:limit]
    dataset = resource.export(queryset=qs)
    content = dataset.export("xlsx")
    file = Path(path) / "import_export.xlsx"
    file.write_bytes(content)
    return {"rows": len(dataset), "bytes": len(content)}


def _measure_main(argv: list[str]) -> None:
    """Child process: set Django up, run one writer, print one JSON line."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loanportal.settings")
    django.setup()
    idle = _peak_mb()
    variant, path = argv[0], argv[1]
    start, cpu_start = time.perf_counter(), time.process_time()
    if variant == "ours":
        outcome = measure_ours(int(argv[2]), path)
    elif variant == "floor":
        outcome = measure_floor(path)
    else:
        outcome = measure_import_export(path, int(argv[2]))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        json.dumps(
            {**outcome, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": _peak_mb(), "idle_mb": idle}
        )
    )


def _child(*args) -> dict:
    from django.db import connections

    connections.close_all()
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_export", "measure", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"bench child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the bench ----------------------------------------------------------------------------------------------


def run() -> list[dict]:
    from django.utils import timezone

    from bench.common import result, stopwatch
    from loanportal.exports.models import ExportRequest, ExportStatus

    count = _rows_wanted()
    baseline_limit = int(os.environ.get("BENCH_EXPORT_BASELINE_ROWS", "0") or 0)
    with stopwatch() as build:
        context = build_data(count)
    print(f"export_300k: {count} applications built in {build.seconds:.1f} s", flush=True)
    officer = context["users"]["province_officer"]
    manager = context["users"]["province_manager"]
    export = ExportRequest.objects.create(
        kind="applications",
        title="生源地助学贷款申请汇总表",
        params={},
        purpose="bench",
        personal=True,
        requested_by=officer,
        organisation=officer.organisation,
        decided_by=manager,
        decided_at=timezone.now(),
        status=ExportStatus.APPROVED,
        total_rows=count,
    )
    with tempfile.TemporaryDirectory(prefix="bench-export-") as path:
        ours = _child("ours", path, export.pk)
        print(f"  ours: {ours}", flush=True)
        floor = _child("floor", path)
        print(f"  floor: {floor}", flush=True)
        baseline = _child("import_export", path, baseline_limit)
        print(f"  import-export: {baseline}", flush=True)
    assert ours["rows"] == floor["rows"] == count, (ours, floor)
    assert baseline["rows"] == (baseline_limit or count), baseline
    rate = ours["rows"] / ours["seconds"]
    floor_rate = floor["rows"] / floor["seconds"]
    baseline_rate = baseline["rows"] / baseline["seconds"]
    return [
        result(
            "export_300k",
            rate,
            "rows/s",
            "django-import-export ModelResource.export() + Dataset.export('xlsx')"
            + (f" (on the first {baseline_limit:,} rows)" if baseline_limit else ""),
            baseline_rate,
            rows=ours["rows"],
            seconds=round(ours["seconds"], 2),
            peak_mb=round(ours["peak_mb"], 1),
            idle_mb=round(ours["idle_mb"], 1),
            file_mb=round(ours["bytes"] / 1024 / 1024, 1),
            floor_rows_per_s=round(floor_rate, 1),
            floor_seconds=round(floor["seconds"], 2),
            floor_peak_mb=round(floor["peak_mb"], 1),
            floor_ratio=round(rate / floor_rate, 2),
            cpu_seconds=round(ours.get("cpu_seconds", 0), 2),
            floor_cpu_seconds=round(floor.get("cpu_seconds", 0), 2),
            baseline_cpu_seconds=round(baseline.get("cpu_seconds", 0), 2),
            baseline_rows=baseline["rows"],
            baseline_seconds=round(baseline["seconds"], 2),
            baseline_peak_mb=round(baseline["peak_mb"], 1),
        )
    ]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        sys.path.insert(0, str(ROOT))
        _measure_main(sys.argv[2:])
