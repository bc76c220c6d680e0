#!/usr/bin/env python3
"""Page benchmark: the lists people read, over N certificates.

    python bench/pages.py --count 1000000        (make bench-pages)

Creates a scratch PostgreSQL database (BENCH_DATABASE_URL, default .../bench_pages) and fills it
with set-based SQL (no issuance path): institution A with 50 sessions of N/50 candidates each (49
issued, one planned and being scored), institution B with the rest of the N certificates, a
regulator, an assessor, an external supervisor and a worker with an account, and one late session of
A in its results publicity (成绩公示: submitted, N/50 scored candidates, none certified; added to a
database seeded before it existed, so --reuse keeps working). Then it requests each
page through Django's full stack (middleware, session auth, templates; no HTTP server) as the user
who reads it (or anyone, for the public pages): the queries of one request, the median and the 95th
percentile of `--repeat` requests, the size.

One line per page, then one line to compare from run to run:

    page=NAME queries=Q db_ms=D cpu_ms=C cold_ms=F p50_ms=A p95_ms=B kb=K

(db_ms: the SQL time of one request; cpu_ms: this process's CPU time per request, median, which a
busy machine disturbs less than the wall-clock figures; cold_ms: the first request, before any
cached count.)
    certificates=N slowest_page=NAME slowest_p95_ms=X
"""

import argparse
import datetime
import math
import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def median(values: list[float]) -> float:
    """The median (not the standard library's `statistics`: bench/statistics.py, the statistics
    benchmark, sits beside this script, first on sys.path, and shadows it)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


sys.path.insert(0, str(ROOT))

SESSIONS = 50
USERS = ("admin_a", "regulator", "assessor", "supervisor", "worker")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="certificates")
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per page")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the scratch database of an earlier run with the same --count"
    )
    parser.add_argument("--only", default="", help="measure only the pages whose name starts with this")
    return parser.parse_args()


def reusable(url: str, count: int) -> bool:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT value FROM bench_world WHERE key = 'count'").fetchone()
    except psycopg.Error:
        return False
    return row is not None and int(row[0]) == count


def world_save(world: dict, count: int) -> None:
    from django.db import connection

    values = {
        "count": count,
        "large": world["large"].pk,
        "scored": world["scored"].pk,
        "number_a": world["number_a"],
        "number_b": world["number_b"],
        "publicity": world["publicity"].pk,
    }
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_world (key text PRIMARY KEY, value text)")
        for key, value in values.items():
            cursor.execute("INSERT INTO bench_world VALUES (%s, %s)", [key, str(value)])


def world_add(key: str, value) -> None:
    """One more fact of the world, in a database seeded before the facts of `world_save` grew."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_world VALUES (%s, %s)", [key, str(value)])


def world_load() -> dict:
    from django.db import connection

    from certification.models import Certificate, Session
    from registry.models import User

    with connection.cursor() as cursor:
        cursor.execute("SELECT key, value FROM bench_world")
        values = dict(cursor.fetchall())
    names = USERS
    return {
        "users": {u.username: u for u in User.objects.filter(username__in=names)},
        "large": Session.objects.get(pk=values["large"]),
        "scored": Session.objects.get(pk=values["scored"]),
        "number_a": values["number_a"],
        "number_b": values["number_b"],
        "certificates": Certificate.objects.count(),
        "publicity": Session.objects.filter(pk=values.get("publicity", 0)).first(),
    }


def prepare_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PUBLIC_BASE_URL": "https://registry.example.org",
        }
    )
    import django

    django.setup()


def _institution(i: int, kind: str = "social", name: str = ""):
    from registry import identity
    from registry.models import Institution

    return Institution.objects.create(
        kind=kind,
        name=name or f"基准机构{i}",
        credit_code=identity.compose_credit_code(f"91310115MA{i:07d}"),
        district="310115",
        site_code=f"{900000 + i:06d}",
    )


def seed(count: int) -> dict:
    """The world, then people, applications, results and certificates in a few INSERT … SELECT."""
    from django.core.management import call_command
    from django.db import connection

    from assessors.models import Assessor
    from certification.models import IssuanceBatch, Session, SessionStaff
    from registry import identity
    from registry.catalogue import catalogue_load_file
    from registry.levels import EvaluationType
    from registry.models import Filing, Membership, Occupation, Role, Scope, User

    call_command("migrate", verbosity=0)
    catalogue_load_file()
    occupation = Occupation.objects.get(code="6-31-01-03")
    standard = occupation.standards.get(is_current=True)
    users = {name: User.objects.create(username=name) for name in USERS}
    a, b = _institution(1, name="基准机构A"), _institution(2, name="基准机构B")
    centre = _institution(3, kind="centre", name="鉴定中心")
    Membership.objects.create(user=users["admin_a"], institution=a, role=Role.INSTITUTION_ADMIN)
    Membership.objects.create(user=users["regulator"], institution=centre, role=Role.REGULATOR)
    today = datetime.date(2026, 6, 1)
    per = max(1, count // SESSIONS)
    plan = []  # (session, candidates)
    for institution, n_sessions in ((a, SESSIONS), (b, 1)):
        filing = Filing.objects.create(
            institution=institution,
            state="filed",
            valid_from=datetime.date(2020, 1, 1),
            valid_until=datetime.date(2099, 12, 31),
        )
        scope = Scope.objects.create(
            filing=filing, evaluation_type=EvaluationType.SKILL_LEVEL, occupation=occupation, levels=[1, 2, 3, 4, 5]
        )
        batch = IssuanceBatch.objects.create(
            institution=institution, issue_date=today, state="done", created_by=users["admin_a"]
        )
        for i in range(n_sessions):
            planned = institution == a and i == n_sessions - 1
            session = Session.objects.create(
                institution=institution,
                scope=scope,
                standard=standard,
                evaluation_type=EvaluationType.SKILL_LEVEL,
                occupation=occupation,
                level=i % 5 + 1,
                starts_on=today - datetime.timedelta(days=7 * (n_sessions - i)),
                ends_on=today - datetime.timedelta(days=7 * (n_sessions - i)),
                site=f"基准考点{i}",
                state=Session.State.PLANNED if planned else Session.State.ISSUED,
                batch=None if planned else batch,
                created_by=users["admin_a"],
            )
            plan.append((session, per if institution == a else count - (SESSIONS - 1) * per))
    # One real encrypted number serves every synthetic person (pages show the masked form only).
    sample = identity.compose_resident_id("310115", datetime.date(1990, 1, 1), 1)
    ciphertext, masked = identity.encrypt(sample), identity.mask_document_number(sample)
    total = sum(n for _, n in plan)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_person (document_type, document_ciphertext, document_hash, document_masked,"
            " name, sex, birth_date)"
            " SELECT 'resident_id', %s, encode(sha256(g::text::bytea), 'hex'), %s, '考生' || g, 'M', '1990-01-01'"
            " FROM generate_series(1, %s) g",
            [ciphertext, masked, total],
        )
        cursor.execute("SELECT min(id) FROM registry_person")
        first = cursor.fetchone()[0]
        offset = first
        for session, n in plan:
            cursor.execute(
                "INSERT INTO certification_application (session_id, person_id, pathway, state, reason, evidence,"
                " decision_note, phone, created_by_id, created_at)"
                " SELECT %s, id, 'normal', 'enrolled', '', '', '', '', %s, now() FROM registry_person"
                " WHERE id >= %s AND id < %s",
                [session.pk, users["admin_a"].pk, offset, offset + n],
            )
            offset += n
        cursor.execute(
            "INSERT INTO certification_result (application_id, theory, practical, review, outcome, updated_at)"
            " SELECT a.id, CASE WHEN s.state = 'planned' THEN NULL ELSE 80 END,"
            "  CASE WHEN s.state = 'planned' THEN NULL ELSE 80 END, NULL,"
            "  CASE WHEN s.state = 'planned' THEN 'pending' ELSE 'passed' END, now()"
            " FROM certification_application a JOIN certification_session s ON s.id = a.session_id"
        )
        # Numbers in the national layout: letter, 0000, province, site, year, level, serial.
        cursor.execute(
            "INSERT INTO certification_certificate (result_id, batch_id, person_id, institution_id, evaluation_type,"
            " occupation_id, level, number, issued_on, verification_code, credential, proof_created, proof_value,"
            " proof, revocation_reason)"
            " SELECT r.id, s.batch_id, a.person_id, s.institution_id, 'skill_level', s.occupation_id, s.level,"
            "  'S000031' || i.site_code || '26' || (6 - s.level)::text"
            "   || lpad((row_number() OVER (PARTITION BY s.institution_id, s.level ORDER BY r.id))::text, 6, '0'),"
            "  date '2026-01-01' + (r.id % 150)::int, md5(r.id::text), '{}', '2026-01-01T00:00:00Z', 'z', '{}', ''"
            " FROM certification_result r JOIN certification_application a ON a.id = r.application_id"
            " JOIN certification_session s ON s.id = a.session_id"
            " JOIN registry_institution i ON i.id = s.institution_id"
            " WHERE s.state = 'issued'"
        )
        cursor.execute("UPDATE registry_person SET user_id = %s WHERE id = %s", [users["worker"].pk, first])
        # What autovacuum does after a bulk load (this server may run without it): statistics,
        # and the visibility map that lets counts read an index alone.
        cursor.execute("VACUUM ANALYZE")
    assessor_person = type(users["worker"].person).objects.exclude(pk=first).first()
    assessor = Assessor.objects.create(
        user=users["assessor"],
        person=assessor_person,
        institution=a,
        kind=Assessor.Kind.ASSESSOR,
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2099, 12, 31),
    )
    scored, _n = plan[SESSIONS - 1]
    SessionStaff.objects.create(session=scored, assessor=assessor, role="assessor", assigned_by=users["admin_a"])
    supervise(users, centre, plan[SESSIONS - 2][0], assessor_person)
    from certification.models import Certificate

    return {
        "users": users,
        "large": plan[SESSIONS - 2][0],  # the last issued: its rows are at the far end of every table
        "scored": scored,
        "number_a": Certificate.objects.filter(institution=a).order_by("-id").values_list("number", flat=True)[0],
        "number_b": Certificate.objects.filter(institution=b).values_list("number", flat=True).first(),
        "certificates": Certificate.objects.count(),
    }


def supervise(users: dict, centre, session, person) -> None:
    """The regulator's external supervisor (外督), attached to the large issued session."""
    from assessors.models import Assessor
    from certification.models import SessionStaff

    supervisor = Assessor.objects.create(
        user=users["supervisor"],
        person=person,
        institution=centre,
        kind=Assessor.Kind.EXTERNAL_SUPERVISOR,
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2099, 12, 31),
    )
    SessionStaff.objects.create(
        session=session, assessor=supervisor, role="external_supervisor", assigned_by=users["regulator"]
    )


def publicity_seed(world: dict, count: int):
    """One late session of institution A in its results publicity (成绩公示): submitted, its N/50
    candidates scored (one in ten failed), none certified, so the public page lists them all. Its
    people, applications and results come after every other row, and it is added as well to a
    database seeded before it existed (--reuse)."""
    from django.db import connection
    from django.utils import timezone

    from certification.models import Session
    from registry import identity

    large, admin = world["large"], world["users"]["admin_a"]
    day = large.ends_on + datetime.timedelta(days=10)  # after the last issued session, beside the planned one
    session = Session.objects.create(
        institution=large.institution,
        scope=large.scope,
        standard=large.standard,
        evaluation_type=large.evaluation_type,
        occupation=large.occupation,
        level=large.level,
        starts_on=day,
        ends_on=day,
        site="基准考点（公示）",
        state=Session.State.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=admin,
        created_by=admin,
    )
    sample = identity.compose_resident_id("310115", datetime.date(1991, 1, 1), 2)
    n = max(1, count // SESSIONS)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH people AS (INSERT INTO registry_person (document_type, document_ciphertext, document_hash,"
            "  document_masked, name, sex, birth_date)"
            "  SELECT 'resident_id', %s, encode(sha256(('publicity-' || g)::bytea), 'hex'), %s,"
            "   '公示考生' || g, 'F', '1991-01-01' FROM generate_series(1, %s) g RETURNING id)"
            " INSERT INTO certification_application (session_id, person_id, pathway, state, reason, evidence,"
            " decision_note, phone, created_by_id, created_at)"
            " SELECT %s, id, 'normal', 'enrolled', '', '', '', '', %s, now() FROM people",
            [identity.encrypt(sample), identity.mask_document_number(sample), n, session.pk, admin.pk],
        )
        cursor.execute(
            "INSERT INTO certification_result (application_id, theory, practical, review, outcome, updated_at)"
            " SELECT id, CASE WHEN id %% 10 = 0 THEN 40 ELSE 80 END, 80, NULL,"
            "  CASE WHEN id %% 10 = 0 THEN 'failed' ELSE 'passed' END, now()"
            " FROM certification_application WHERE session_id = %s",
            [session.pk],
        )
        # As after the seeding: what autovacuum would do after this bulk load.
        cursor.execute("VACUUM ANALYZE registry_person, certification_application, certification_result")
    return session


def publicity_open(session) -> None:
    """Its publicity runs a week from today, whatever day the benchmark runs (the seed's own dates
    are fixed; publicity is read against the real today)."""
    from django.utils import timezone

    session.publicity_ends_on = timezone.localdate() + datetime.timedelta(days=7)
    session.save(update_fields=["publicity_ends_on"])


def pages(world: dict) -> list[tuple[str, str, str]]:
    """(name, user, url) of each list a person reads (user None: anyone, not signed in)."""
    large, scored, batch = world["large"].pk, world["scored"].pk, world["large"].batch_id
    publicised = world["publicity"].pk
    return [
        ("session_list", "admin_a", "/institution/"),
        ("session_list_regulator", "regulator", "/institution/"),
        ("session_page", "admin_a", f"/institution/sessions/{large}/"),
        ("session_page_search", "admin_a", f"/institution/sessions/{large}/?q={world['number_a']}"),
        ("roster_api", "admin_a", f"/api/applications/?session={large}"),
        ("results_api", "admin_a", f"/api/results/?session={large}"),
        ("results_api_regulator", "regulator", f"/api/results/?session={large}"),
        ("sessions_api", "admin_a", "/api/sessions/"),
        ("batches_api", "admin_a", "/api/batches/"),
        ("batch_page", "admin_a", f"/institution/batches/{batch}/"),
        ("desk", "admin_a", "/institution/desk/"),
        ("correction_form", "admin_a", f"/institution/sessions/{large}/corrections/new/"),
        ("worker_record", "worker", "/me/"),
        ("certificates_institution", "admin_a", "/api/certificates/"),
        ("certificate_search_institution", "admin_a", f"/api/certificates/?search={world['number_a']}"),
        ("certificates_regulator", "regulator", "/api/certificates/"),
        ("certificate_search_regulator", "regulator", f"/api/certificates/?search={world['number_b']}"),
        ("regulator_queue", "regulator", "/regulator/"),
        ("regulator_queue_search", "regulator", f"/regulator/?number={world['number_a']}"),
        ("supervisor_home", "supervisor", "/supervisor/"),
        ("publicity_list", None, "/publicity/"),
        ("publicity_page", None, f"/publicity/{publicised}/"),
        ("publicity_page_last", None, f"/publicity/{publicised}/?page=100000"),
        ("score_grid", "assessor", f"/institution/sessions/{scored}/scores/"),
    ]


def measure(world: dict, repeat: int, only: str = "") -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {None: Client()}
    for name, user in world["users"].items():
        clients[name] = Client()
        clients[name].force_login(user)
    figures = []
    for name, user, url in (page for page in pages(world) if page[0].startswith(only)):
        client = clients[user]
        started = time.perf_counter()
        response = client.get(url)
        cold = time.perf_counter() - started
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        connection.queries_log.clear()  # a full log (its length is capped) would capture nothing
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        captured = list(queries.captured_queries)  # read now: later requests reset the log
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        times.sort()
        figures.append(
            {
                "name": name,
                "queries": len(captured),
                "db_ms": sum(float(q["time"]) for q in captured) * 1000,
                "cpu_ms": median(cpu) * 1000,
                "cold_ms": cold * 1000,
                "p50_ms": median(times) * 1000,
                "p95_ms": times[max(0, math.ceil(0.95 * len(times)) - 1)] * 1000,
                "kb": len(response.content) / 1024,
            }
        )
    return figures


def main():
    args = parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_pages")
    if args.reuse and reusable(base, args.count):
        setup_django(base)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # the schema may have moved on since the seeding
        world = world_load()
        print(f"reusing {world['certificates']} certificates", flush=True)
        if world["publicity"] is None:  # seeded before the publicity session existed
            world["publicity"] = publicity_seed(world, args.count)
            world_add("publicity", world["publicity"].pk)
    else:
        prepare_database(base)
        setup_django(base)
        t0 = time.perf_counter()
        world = seed(args.count)
        world["publicity"] = publicity_seed(world, args.count)
        world_save(world, args.count)
        print(f"seeded {world['certificates']} certificates in {time.perf_counter() - t0:.1f} s", flush=True)
    publicity_open(world["publicity"])
    figures = measure(world, args.repeat, args.only)
    for f in figures:
        print(
            f"page={f['name']} queries={f['queries']} db_ms={f['db_ms']:.1f} cpu_ms={f['cpu_ms']:.1f} "
            f"cold_ms={f['cold_ms']:.1f} p50_ms={f['p50_ms']:.1f} p95_ms={f['p95_ms']:.1f} kb={f['kb']:.0f}",
            flush=True,
        )
    slowest = max(figures, key=lambda f: f["p95_ms"])
    print(f"certificates={world['certificates']} slowest_page={slowest['name']} slowest_p95_ms={slowest['p95_ms']:.1f}")


if __name__ == "__main__":
    main()
