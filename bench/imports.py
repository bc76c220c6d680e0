#!/usr/bin/env python3
"""Roster import benchmark: N valid candidates from an XLSX file, then from a CSV of the same rows.

    python bench/imports.py --rows 10000        (make bench-imports)

Creates a scratch PostgreSQL database (BENCH_DATABASE_URL, default .../bench_imports), a filed
institution with a planned 电工 (6-31-01-03) 五级 session, and a roster of N eligible rows (each
with 本职业工作起始日期 two years back). It times `read_table` on the XLSX, the whole
`roster_import` of the XLSX, then (after removing what that import created) the whole import
of the CSV, and, as the baseline of the same run, reading that CSV with the stdlib csv module.
Each import also prints the CPU seconds of this process and of its PostgreSQL backend (read from
/proc when the server is local): on a shared machine the wall time mostly measures the wait for a
core. The last line is one line to compare from run to run:

    rows=N xlsx_seconds=S csv_seconds=C read_seconds=R baseline_csv_read_seconds=B
"""

import argparse
import csv
import datetime
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.issuance import prepare_database, setup_django  # noqa: E402  (the same scratch-database set-up)

HEADERS = ["姓名", "证件号码", "证件类型", "申报途径", "本职业工作起始日期"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    return parser.parse_args()


def seed():
    """A filed institution, its admin and a planned 电工 五级 session."""
    from django.core.management import call_command

    from certification import services
    from registry.catalogue import catalogue_load_file
    from registry.levels import EvaluationType, Level
    from registry.models import Occupation
    from tests import factories

    call_command("migrate", verbosity=0)
    catalogue_load_file()
    occupation = Occupation.objects.get(code="6-31-01-03")
    scope = factories.ScopeFactory(filing__institution__name="基准机构", occupation=occupation)
    admin = factories.member(scope.filing.institution)
    today = datetime.date.today()
    session = services.session_plan(
        actor=admin,
        institution=scope.filing.institution,
        evaluation_type=EvaluationType.SKILL_LEVEL,
        occupation=occupation,
        level=Level.GRADE_5,
        starts_on=today,
        ends_on=today,
        site="基准考点",
    )
    return admin, session


def roster_rows(count: int) -> list[list[str]]:
    from registry import identity

    started = (datetime.date.today() - datetime.timedelta(days=2 * 366)).isoformat()
    first_birth = datetime.date(1975, 1, 1)
    rows = []
    for n in range(count):
        birth = first_birth + datetime.timedelta(days=n // 1000)
        number = identity.compose_resident_id("310115", birth, n % 1000)
        rows.append([f"考生{n:05d}", number, "居民身份证", "正常申报", started])
    return rows


def as_xlsx(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("报名表")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_csv(rows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def backend_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend, when the server runs on this machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_import(admin, session, data: bytes, filename: str, count: int) -> float:
    """Wall seconds of one import; the CPU seconds of this process and of its database backend
    are printed too (on a shared machine wall time mostly measures the wait for a core)."""
    from certification.imports import roster_import
    from certification.models import Application

    backend_before = backend_cpu_seconds()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = roster_import(actor=admin, session=session, data=data, filename=filename)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    backend_after = backend_cpu_seconds()
    database = f"{backend_after - backend_before:.2f} s" if None not in (backend_before, backend_after) else "?"
    print(f"{filename}: {seconds:.2f} s wall, Python CPU {cpu:.2f} s, PostgreSQL backend CPU {database}", flush=True)
    if result.errors or result.created != count or Application.objects.filter(session=session).count() != count:
        for error in result.errors[:20]:
            print(f"  row {error.row} {error.field}: {error.message}", file=sys.stderr)
        raise SystemExit(f"{filename}: created {result.created} of {count}, {len(result.errors)} errors")
    return seconds


def forget() -> None:
    """Remove what an import created (TRUNCATE: no dead rows left behind), so that the next
    import starts from the same empty registry."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE certification_result, certification_application, registry_workexperience,"
            " registry_education, registry_person CASCADE"
        )


def main():
    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_imports")
    prepare_database(url)
    setup_django(url, "", 2000)
    from certification.imports import read_table

    admin, session = seed()
    rows = roster_rows(args.rows)
    xlsx, csv_data = as_xlsx(rows), as_csv(rows)
    print(f"{args.rows} rows: xlsx {len(xlsx) / 2**20:.1f} MiB, csv {len(csv_data) / 2**20:.1f} MiB", flush=True)

    started = time.perf_counter()
    table = read_table(xlsx, "roster.xlsx")
    read_seconds = time.perf_counter() - started
    assert len(table) == args.rows and table[0]["证件号码"] == rows[0][1]

    started = time.perf_counter()
    baseline = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig"), newline="")))
    baseline_seconds = time.perf_counter() - started
    assert len(baseline) == args.rows + 1

    xlsx_seconds = timed_import(admin, session, xlsx, "roster.xlsx", args.rows)
    print(f"xlsx import: {xlsx_seconds:.2f} s (read_table {read_seconds:.3f} s)", flush=True)
    forget()
    csv_seconds = timed_import(admin, session, csv_data, "roster.csv", args.rows)
    print(f"csv import: {csv_seconds:.2f} s (stdlib csv read {baseline_seconds:.3f} s)", flush=True)
    print(
        f"rows={args.rows} xlsx_seconds={xlsx_seconds:.2f} csv_seconds={csv_seconds:.2f} "
        f"read_seconds={read_seconds:.3f} baseline_csv_read_seconds={baseline_seconds:.3f}"
    )


if __name__ == "__main__":
    main()
