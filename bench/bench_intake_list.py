"""intake_list_p95: the county's intake list (/applications/?status=…, 50 rows, newest first) with
1,000,000 applications in the table, requested in sequence through the real view (Django test Client:
URL routing, middleware, session, selector, paginator, template) — the figure is server time per request.

Data (PostgreSQL, INSERT … SELECT generate_series): 1,000,000 students and one application each, spread
over 64 counties (the measured county 榆中县 holds 5%: ~50,000 rows), 5 loan years (2022–2026), 6
universities and all 13 states weighted as a real year looks (past years mostly disbursed/archived).

Ours: the list as shipped — selector with select_related + only() of the shown columns, ordering
(-created_at, -pk) that walks the composite index app_county_status_recent backwards, and a paginator
that counts at most 10,001 rows (SELECT COUNT(*) over a LIMITed subquery) instead of COUNT(*) over the
county's whole list.

Baseline (same run, same data, same view, same requests): the composite indexes app_county_status_recent
and app_county_recent dropped inside a transaction that is rolled back afterwards (PostgreSQL DDL is
transactional), so the planner has only the single-column indexes (county_id, status). An extra field
`naive_orm_p95_ms` reports the list with Django's default Paginator (exact COUNT(*) over the county's
filtered list, with its joins) on the indexes, for comparison.

Also recorded: the number of queries for page sizes 10 and 50 (must be equal) and EXPLAIN of the page query.
"""

import os
import time

from . import common

TOTAL = int(os.environ.get("BENCH_INTAKE_ROWS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_INTAKE_REQUESTS", "200"))
WARMUP = 20
STATUSES = ["accepted", "contract_signed", "receipt_entered", "receipt_confirmed", "disbursed", "archived"]
BENCH_COUNTIES = 60


def _generate(context) -> dict:
    from django.db import connection

    from loanportal.models import Organisation
    from loanportal.roles import OrgKind

    city = context["cities"][0]
    extra = []
    for i in range(BENCH_COUNTIES):
        county, _ = Organisation.objects.get_or_create(
            code=f"{629000 + i}",
            defaults={"kind": OrgKind.COUNTY, "name": f"测试县{i:02d}", "parent": city},
        )
        extra.append(county.pk)
    measured = context["counties"][0]
    counties = [c.pk for c in context["counties"]] + extra
    universities = [u.pk for u in context["universities"]]
    clerk = context["users"]["county1_staff"]
    others = "ARRAY[" + ",".join(str(pk) for pk in counties[1:]) + "]::bigint[]"
    unis = "ARRAY[" + ",".join(str(pk) for pk in universities) + "]::bigint[]"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")
        cursor.execute(
            f"""
            INSERT INTO loanportal_student (name, id_number, household_county_id, phone, address, level,
                university_id, department, major, enrolment_year, study_years, created_at, updated_at)
            SELECT '学生' || g, 'B' || lpad(g::text, 16, '0') || 'X',
                   CASE WHEN g % 20 = 0 THEN {measured.pk} ELSE ({others})[1 + g % {len(counties) - 1}] END,
                   '138' || lpad((g % 100000000)::text, 8, '0'), 'bench', 'undergraduate',
                   ({unis})[1 + g % {len(universities)}], '信息学院', '计算机科学与技术',
                   2020 + g % 6, 4, now(), now()
            FROM generate_series(1, {TOTAL}) AS g
            """
        )
        # One application per student; the year and state spread like five real loan years.
        cursor.execute(
            f"""
            INSERT INTO applications_application (year, student_id, county_id, status, university_id, level,
                major, enrolment_year, study_years, tuition_amount, accommodation_amount, commitment_accepted,
                created_by_id, created_at, updated_at, bank_decline_reason)
            SELECT y, s.id, s.household_county_id,
                   CASE WHEN y < 2026 THEN
                          (ARRAY['archived','archived','archived','fee_certified','disbursed','abandoned',
                                 'withdrawn','rejected'])[1 + floor(random() * 8)::int]
                        ELSE
                          (ARRAY['accepted','contract_signed','contract_signed','receipt_entered',
                                 'receipt_confirmed','bank_approved','disbursed','returned','withdrawn',
                                 'rejected','draft','abandoned'])[1 + floor(random() * 12)::int]
                   END,
                   s.university_id, 'undergraduate', '计算机科学与技术', s.enrolment_year, 4,
                   4000 + (s.id % 10) * 500, 1200, true, {clerk.pk},
                   make_timestamptz(y::int, 7, 15, 8, 0, 0::double precision, 'Asia/Shanghai')
                     + floor(random() * 5788800) * interval '1 second',
                   now(), ''
            FROM (SELECT id, household_county_id, university_id, enrolment_year, (2022 + floor(random() * 5))::int AS y
                  FROM loanportal_student WHERE address = 'bench') AS s(id, household_county_id, university_id,
                  enrolment_year, y)
            """
        )
        # A production table is vacuumed: the visibility map lets the capped count use index-only scans.
        cursor.execute("VACUUM (ANALYZE) loanportal_student")
        cursor.execute("VACUUM (ANALYZE) applications_application")
        cursor.execute("SELECT count(*) FROM applications_application WHERE county_id = %s", [measured.pk])
        in_county = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM applications_application")
        total = cursor.fetchone()[0]
    return {"seconds": time.perf_counter() - started, "total": total, "in_county": in_county}


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


CPU_TIMES: dict[int, list[float]] = {}


def _measure(client, requests: int) -> list[float]:
    """Wall time per request (the figure); the process CPU time of each request is kept aside in
    CPU_TIMES, which the other processes on a shared machine disturb less."""
    times, cpu = [], []
    for i in range(WARMUP + requests):
        status = STATUSES[i % len(STATUSES)]
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get("/applications/", {"status": status})
        elapsed = (time.perf_counter() - started) * 1000
        elapsed_cpu = (time.process_time() - started_cpu) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"/applications/ answered {response.status_code}")
        if i >= WARMUP:
            times.append(elapsed)
            cpu.append(elapsed_cpu)
    CPU_TIMES[id(times)] = cpu
    return times


def _query_counts(client) -> dict[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size in (10, 50):
        client.get("/applications/", {"status": "contract_signed", "size": size})
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/applications/", {"status": "contract_signed", "size": size})
        assert response.status_code == 200
        counts[size] = len(ctx.captured_queries)
    for query in ctx.captured_queries:
        print(f"    {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}")
    return counts


def _explain(user) -> str:
    from django.db import connection

    from applications.selectors.lifecycle import application_list

    qs = application_list(user=user, status="contract_signed")[:50]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _naive(client) -> list[float]:
    """The same view with Django's default Paginator (exact COUNT(*) over the joined, filtered list)."""
    from django.core.paginator import Paginator

    from applications.models import Application
    from applications.selectors import lifecycle as selectors

    original_list, original_paginator = selectors.application_list, selectors.CappedCountPaginator

    def naive_list(*, user, status="", query="", year=None):
        qs = Application.objects.filter(selectors.application_scope_q(user))
        if status:
            qs = qs.filter(status=status)
        return qs.order_by("-created_at", "-pk")

    class ExactPaginator(Paginator):
        is_capped = False

        def __init__(self, object_list, per_page, **ignored):
            super().__init__(object_list, per_page)

    selectors.application_list, selectors.CappedCountPaginator = naive_list, ExactPaginator
    try:
        return _measure(client, max(REQUESTS // 4, 20))
    finally:
        selectors.application_list, selectors.CappedCountPaginator = original_list, original_paginator


def run() -> list[dict]:
    from django.db import connection, transaction

    if common.database_vendor() != "postgresql":
        print("  intake_list needs PostgreSQL (generate_series, EXPLAIN); skipped")
        return []
    context = common.demo_context()
    generated = _generate(context)
    print(
        f"  generated {generated['total']:,} applications ({generated['in_county']:,} in the measured county) "
        f"in {generated['seconds']:.1f} s",
        flush=True,
    )
    user = context["users"]["county1_staff"]
    client = _client(user)
    counts = _query_counts(client)
    print(f"  queries per page: size 10 → {counts[10]}, size 50 → {counts[50]}", flush=True)
    assert counts[10] == counts[50], counts
    plan = _explain(user)
    print("  EXPLAIN of the page query:\n    " + plan.replace("\n", "\n    "), flush=True)

    ours = _measure(client, REQUESTS)
    naive = _naive(client)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX app_county_status_recent")
            cursor.execute("DROP INDEX app_county_recent")
        baseline = _measure(client, REQUESTS)
        transaction.set_rollback(True)

    p95, p50 = common.percentile(ours, 0.95), common.percentile(ours, 0.50)
    ours_cpu = CPU_TIMES[id(ours)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    base95 = common.percentile(baseline, 0.95)
    print(
        f"  ours p50 {p50:.1f} ms p95 {p95:.1f} ms; without composite indexes p95 {base95:.1f} ms; "
        f"naive ORM p95 {common.percentile(naive, 0.95):.1f} ms",
        flush=True,
    )
    return [
        common.result(
            "intake_list_p95",
            p95,
            "ms",
            "same view and requests with the composite indexes app_county_status_recent/app_county_recent "
            "dropped (in a rolled-back transaction)",
            base95,
            higher_is_better=False,
            p50_ms=round(p50, 2),
            baseline_p50_ms=round(common.percentile(baseline, 0.50), 2),
            naive_orm_p95_ms=round(common.percentile(naive, 0.95), 2),
            naive_orm_p50_ms=round(common.percentile(naive, 0.50), 2),
            target_ms=30,
            python_cpu_p50_ms=round(common.percentile(ours_cpu, 0.50), 2),
            python_cpu_p95_ms=round(common.percentile(ours_cpu, 0.95), 2),
            load_average_1m=round(load, 2) if load is not None else None,
            rows_in_table=generated["total"],
            rows_in_county=generated["in_county"],
            requests=REQUESTS,
            queries_page_10=counts[10],
            queries_page_50=counts[50],
        )
    ]
