"""The benchmarks still run against today's schema (a new column once broke the issuance
benchmark's COPY unnoticed). Tiny sizes, scratch databases of their own; the figures are not
asserted, only that each run ends with its documented line."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *args: str, database: str) -> str:
    env = {
        **os.environ,
        "REDIS_URL": "",
        "BENCH_DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "BENCH_REDIS_URL": "redis://127.0.0.1:6379/13",
    }
    completed = subprocess.run(
        [sys.executable, f"bench/{script}", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    return completed.stdout.strip().splitlines()[-1]


@pytest.mark.worker
def test_issuance_benchmark_runs_and_prints_its_line():
    line = run_bench("issuance.py", "--count", "100", "--institutions", "2", database="bench_registry_smoke")
    assert re.fullmatch(
        r"issued=100 seconds=[\d.]+ per_second=\d+ floor_seconds=[\d.]+ floor_ratio=[\d.]+ peak_worker_mb=\d+", line
    ), line


@pytest.mark.worker
def test_imports_benchmark_runs_and_prints_its_line():
    line = run_bench("imports.py", "--rows", "30", database="bench_imports_smoke")
    assert re.fullmatch(
        r"rows=30 xlsx_seconds=[\d.]+ csv_seconds=[\d.]+ read_seconds=[\d.]+ baseline_csv_read_seconds=[\d.]+", line
    ), line


def test_statistics_benchmark_runs_and_prints_its_line():
    line = run_bench("statistics.py", "--count", "300", database="bench_statistics_smoke")
    assert re.fullmatch(
        r"certificates=300 slowest_figure=[a-z_]+ slowest_seconds=[\d.]+ refresh_seconds=[\d.]+", line
    ), line


def test_pages_benchmark_runs_and_prints_its_line():
    line = run_bench("pages.py", "--count", "200", "--repeat", "2", database="bench_pages_smoke")
    assert re.fullmatch(r"certificates=200 slowest_page=\w+ slowest_p95_ms=[\d.]+", line), line


def test_verify_benchmark_runs_and_prints_its_line():
    """A real run, only short: 40 certificates, gunicorn and wrk for a second per endpoint."""
    line = run_bench(
        "verify.py",
        *("--count", "40", "--institutions", "1", "--duration", "1", "--rounds", "1", "--connections", "2"),
        *("--sample", "40"),
        database="bench_verify_smoke",
    )
    assert re.fullmatch(
        r"certificates=40 healthz_rps=\d+ qr_rps=\d+ form_rps=\d+ qr_ratio=[\d.]+ form_ratio=[\d.]+"
        r" qr_p99_ms=[\d.]+ form_p99_ms=[\d.]+",
        line,
    ), line
