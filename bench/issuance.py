#!/usr/bin/env python3
"""Issuance benchmark: N certificates for N passed results through a real Celery worker.

    python bench/issuance.py --count 100000        (make bench-issuance)

Creates a scratch PostgreSQL database (BENCH_DATABASE_URL, default .../bench_registry), fills it
with N passed results spread over institution sites and levels, starts its own Celery worker
(prefork, 2 processes) on Redis, issues everything in one batch per institution, and stops the
worker. In the same run it measures the floor: Ed25519 signing of the same payloads plus a raw
PostgreSQL COPY of the same rows. The last line is one line to compare from run to run:

    issued=N seconds=S per_second=R floor_seconds=F floor_ratio=X peak_worker_mb=M
"""

import argparse
import datetime
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--institutions", type=int, default=10, help="sites (one batch each)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=2000)
    return parser.parse_args()


def prepare_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, redis_url: str, chunk_size: int) -> None:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ISSUANCE_CHUNK_SIZE": str(chunk_size),
            "PUBLIC_BASE_URL": "https://registry.example.org",
        }
    )
    import django

    django.setup()


def seed(count: int, institutions: int):
    """N passed results over `institutions` sites × 5 levels, written with COPY."""
    from django.core.management import call_command
    from django.db import connection

    from certification.models import Session
    from registry import identity
    from registry.catalogue import catalogue_load_file
    from registry.levels import EvaluationType
    from registry.models import Filing, Institution, Occupation, Scope, User

    call_command("migrate", verbosity=0)
    catalogue_load_file()
    user = User.objects.create(username="bench")
    occupation = Occupation.objects.get(code="6-31-01-03")
    standard = occupation.standards.get(is_current=True)
    today = datetime.date.today()
    sessions = []
    for i in range(institutions):
        institution = Institution.objects.create(
            kind="social",
            name=f"基准机构{i}",
            credit_code=identity.compose_credit_code(f"91310115MA{i:07d}"),
            district="310115",
            site_code=f"{900000 + i:06d}",
        )
        filing = Filing.objects.create(
            institution=institution,
            state="filed",
            valid_from=datetime.date(2020, 1, 1),
            valid_until=datetime.date(2099, 12, 31),
        )
        scope = Scope.objects.create(
            filing=filing, evaluation_type=EvaluationType.SKILL_LEVEL, occupation=occupation, levels=[1, 2, 3, 4, 5]
        )
        for level in (1, 2, 3, 4, 5):
            sessions.append(
                Session.objects.create(
                    institution=institution,
                    scope=scope,
                    standard=standard,
                    evaluation_type=EvaluationType.SKILL_LEVEL,
                    occupation=occupation,
                    level=level,
                    starts_on=today,
                    ends_on=today,
                    site="基准考点",
                    state=Session.State.SUBMITTED,
                    publicity_ends_on=today - datetime.timedelta(days=1),
                    created_by=user,
                )
            )
    birth = datetime.date(1990, 1, 1)
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY registry_person (document_type, document_ciphertext, document_hash, document_masked,"
            " name, sex, birth_date) FROM STDIN"
        ) as copy:
            for n in range(count):
                number = identity.compose_resident_id(
                    f"31{n // 1000 % 100:02d}{n // 100000 % 100:02d}",
                    birth + datetime.timedelta(days=n % 9000),
                    n % 1000,
                )
                copy.write_row(
                    [
                        "resident_id",
                        identity.encrypt(number),
                        identity.document_hash("resident_id", number),
                        identity.mask_document_number(number),
                        f"考生{n}",
                        "M",
                        birth,
                    ]
                )
        cursor.execute("SELECT id FROM registry_person ORDER BY id")
        people = [row[0] for row in cursor.fetchall()]
        with cursor.copy(
            "COPY certification_application (session_id, person_id, pathway, state, reason, evidence,"
            " decision_note, phone, created_by_id, created_at) FROM STDIN"
        ) as copy:
            now = datetime.datetime.now(datetime.UTC)
            for n, person_id in enumerate(people):
                copy.write_row(
                    [sessions[n % len(sessions)].pk, person_id, "normal", "enrolled", "", "", "", "", user.pk, now]
                )
        cursor.execute(
            "INSERT INTO certification_result (application_id, theory, practical, review, outcome, updated_at)"
            " SELECT id, 80, 80, 80, 'passed', now() FROM certification_application"
        )
    raw.commit() if not connection.in_atomic_block else None
    return user, sessions


def start_worker(url: str, redis_url: str, queue: str, concurrency: int, chunk_size: int):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "ISSUANCE_CHUNK_SIZE": str(chunk_size),
        "DB_CONN_MAX_AGE": "600",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Ready when the pool children exist.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(psutil.Process(process.pid).children()) >= concurrency:
            time.sleep(1.0)
            return process
        time.sleep(0.2)
    raise RuntimeError("worker did not start")


class MemoryWatch(threading.Thread):
    """Peak resident memory of the worker's process tree (main process plus pool children)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                root = psutil.Process(self.pid)
                total = root.memory_info().rss + sum(c.memory_info().rss for c in root.children(recursive=True))
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            time.sleep(0.2)


def issue(user, sessions, queue: str) -> tuple[float, int]:
    from unittest import mock

    from certification.models import Certificate, IssuanceBatch
    from certification.services import issuance
    from certification.tasks import issue_chunk

    by_institution = {}
    for session in sessions:
        by_institution.setdefault(session.institution_id, []).append(session)
    from registry.models import Membership

    for institution_id in by_institution:
        Membership.objects.get_or_create(user=user, institution_id=institution_id, role="institution_admin")
    user = type(user).objects.get(pk=user.pk)  # fresh role cache
    started = time.perf_counter()
    route = lambda chunk_id: issue_chunk.apply_async(args=[chunk_id], queue=queue)  # noqa: E731
    with mock.patch.object(issue_chunk, "delay", route):
        batches = [issuance.batch_create(actor=user, sessions=group) for group in by_institution.values()]
    ids = [b.pk for b in batches]
    while IssuanceBatch.objects.filter(pk__in=ids).exclude(state="done").exists():
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    return seconds, Certificate.objects.count()


def floor(count: int) -> float:
    """Sign the same payloads and COPY the same rows, in one process, with nothing else."""
    from django.db import connection

    from certification import signing
    from certification.services.issuance import CERTIFICATE_COLUMNS

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(CERTIFICATE_COLUMNS)} FROM certification_certificate ORDER BY id")
        rows = cursor.fetchall()
        cursor.execute("CREATE TABLE bench_floor (LIKE certification_certificate INCLUDING ALL)")
    credential_at = CERTIFICATE_COLUMNS.index("credential")
    proof_at = CERTIFICATE_COLUMNS.index("proof_value")
    started = time.perf_counter()
    config_hash = signing.config_digest("2026-01-01T00:00:00Z")
    signed = []
    for row in rows:
        row = list(row)
        row[proof_at] = signing.sign(row[credential_at], config_hash)
        signed.append(row)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY bench_floor ({', '.join(CERTIFICATE_COLUMNS)}) FROM STDIN") as copy:
            for row in signed:
                copy.write_row(row)
    connection.connection.commit()
    seconds = time.perf_counter() - started
    assert len(signed) == count
    return seconds


def main():
    args = parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_registry")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    prepare_database(base)
    setup_django(base, redis_url, args.chunk_size)
    t0 = time.perf_counter()
    user, sessions = seed(args.count, args.institutions)
    print(
        f"seeded {args.count} passed results over {len(sessions)} sessions in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    worker = start_worker(base, redis_url, queue, args.concurrency, args.chunk_size)
    watch = MemoryWatch(worker.pid)
    watch.start()
    try:
        seconds, issued = issue(user, sessions, queue)
    finally:
        watch.stop.set()
        worker.terminate()
        worker.wait(timeout=60)
    print(f"issued {issued} certificates in {seconds:.2f} s through {args.concurrency} worker processes", flush=True)
    floor_seconds = floor(issued)
    print(f"floor (sign + COPY, one process): {floor_seconds:.2f} s", flush=True)
    print(
        f"issued={issued} seconds={seconds:.2f} per_second={issued / seconds:.0f} floor_seconds={floor_seconds:.2f} "
        f"floor_ratio={floor_seconds / seconds:.2f} peak_worker_mb={watch.peak / 2**20:.0f}"
    )


if __name__ == "__main__":
    main()
