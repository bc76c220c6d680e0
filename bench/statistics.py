#!/usr/bin/env python3
"""Statistics benchmark: every figure of the skilled-talent database over N certificates.

    python bench/statistics.py --count 1000000        (make bench-statistics)

Creates a scratch PostgreSQL database (BENCH_DATABASE_URL, default .../bench_statistics) and
writes, with COPY, N certificates over realistic people: about 1.45 certificates a person (one
in four holds two, one in ten three, each at a higher level and a later year than the last),
levels weighted to 五级–三级, 48 institutions (employer, social organisation and school in each of
the 16 districts), the catalogue's occupations (a few on the urgent list), issue years 2016–2026,
qualification certificates before 2020 and skill-level ones after, 5% special ability (no level),
1% revoked, prior certificates for 3% of people, and graduating-year students at the schools
(some of them without a certificate). Then it refreshes the summary tables once
(statistics_refresh, as the beat task does), and times reading every figure as the page does
(best of five). The last line is one line to compare from run to run:

    certificates=N slowest_figure=NAME slowest_seconds=S refresh_seconds=R
"""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEARS = list(range(2016, 2027))
YEAR_WEIGHTS = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 8]  # growing; 2026 is half a year
FIRST_LEVEL = {1: 40, 2: 30, 3: 24, 4: 5, 5: 1}  # ladder order: 1 = 五级 … 5 = 一级


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse", action="store_true", help="keep the scratch database if it holds N certificates")
    return parser.parse_args()


def reusable(url: str, count: int) -> bool:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM certification_certificate").fetchone()[0] == count
    except psycopg.Error:
        return False


def prepare_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ.update({"DATABASE_URL": url, "REDIS_URL": "", "DJANGO_SETTINGS_MODULE": "config.settings"})
    import django

    django.setup()


def plan_people(count: int, rng: random.Random) -> list[list[tuple]]:
    """Each person's certificates as (level, year, special) tuples, N in all."""
    people, total = [], 0
    levels, weights = list(FIRST_LEVEL), list(FIRST_LEVEL.values())
    while total < count:
        k = min(rng.choices((1, 2, 3), weights=(65, 25, 10))[0], count - total)
        level = rng.choices(levels, weights=weights)[0]
        year = rng.choices(YEARS, weights=YEAR_WEIGHTS)[0]
        held = []
        for _ in range(k):
            special = rng.random() < 0.05
            held.append((None if special else level, year, special))
            level, year = min(level + 1, 5), min(year + rng.randint(1, 4), YEARS[-1])
        people.append(held)
        total += k
    return people


def seed(count: int, rng: random.Random):
    from django.core.management import call_command
    from django.db import connection

    from certification.models import IssuanceBatch, Session
    from registry import identity
    from registry.catalogue import catalogue_load_file
    from registry.models import District, Institution, Occupation, Standard, User

    call_command("migrate", verbosity=0)
    catalogue_load_file()
    user = User.objects.create(username="bench")
    standards = list(Standard.objects.filter(is_current=True).select_related("occupation"))
    occupations = [s.occupation for s in standards]
    occupation_weights = [rng.randint(1, 20) for _ in occupations]
    Occupation.objects.filter(pk__in=[o.pk for o in occupations[::6]]).update(urgent_from=datetime.date(2023, 1, 1))
    institutions = []
    for d, district in enumerate(District.values):
        for k, kind in enumerate(("employer", "social", "school")):
            n = d * 3 + k
            institutions.append(
                Institution.objects.create(
                    kind=kind,
                    school_files_as="employer" if kind == "school" else "",
                    name=f"基准{kind}{n}",
                    credit_code=identity.compose_credit_code(f"91310115MA{n:07d}"),
                    district=district,
                    site_code=f"{900000 + n:06d}",
                )
            )
    institution_weights = [{"employer": 5, "social": 4, "school": 1}[i.kind] for i in institutions]
    schools = [i for i in institutions if i.kind == "school"]
    sessions, batches = {}, {}
    for institution in institutions:
        for year in YEARS:
            batches[(institution.pk, year)] = IssuanceBatch.objects.create(
                institution=institution, issue_date=datetime.date(year, 6, 30), created_by=user, state="done"
            ).pk
            for slot in range(3):
                standard = standards[(institution.pk + slot) % len(standards)]
                sessions[(institution.pk, year, slot)] = Session.objects.create(
                    institution=institution,
                    standard=standard,
                    evaluation_type="skill_level",
                    occupation=standard.occupation,
                    level=1,
                    starts_on=datetime.date(year, 6, 1),
                    ends_on=datetime.date(year, 6, 1),
                    site="基准考点",
                    state="issued",
                    created_by=user,
                ).pk

    people = plan_people(count, rng)
    students = len(people) // 40  # graduating-year students who obtained no certificate
    birth = datetime.date(1970, 1, 1)
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY registry_person (document_type, document_ciphertext, document_hash, document_masked,"
            " name, sex, birth_date) FROM STDIN"
        ) as copy:
            for n in range(len(people) + students):
                copy.write_row(
                    [
                        "resident_id",
                        "bench",
                        f"{n:064d}",
                        "310***",
                        f"人员{n}",
                        "MF"[n % 2],
                        birth + datetime.timedelta(n % 12000),
                    ]
                )
        cursor.execute("SELECT id FROM registry_person ORDER BY id")
        person_ids = [row[0] for row in cursor.fetchall()]

        # One application per certificate, in certificate order (ids follow COPY order).
        certificates, graduates = [], {}
        now = datetime.datetime.now(datetime.UTC)
        with cursor.copy(
            "COPY certification_application (session_id, person_id, pathway, state, reason, evidence,"
            " decision_note, phone, created_by_id, created_at) FROM STDIN"
        ) as copy:
            for person_id, held in zip(person_ids, people, strict=False):
                for slot, (level, year, special) in enumerate(held):
                    institution = rng.choices(institutions, weights=institution_weights)[0]
                    pathway = "school_group" if institution.kind == "school" else "normal"
                    if institution.kind == "school":
                        graduates.setdefault(person_id, (institution.name, year))
                    copy.write_row(
                        [
                            sessions[(institution.pk, year, slot)],
                            person_id,
                            pathway,
                            "enrolled",
                            "",
                            "",
                            "",
                            "",
                            user.pk,
                            now,
                        ]
                    )
                    certificates.append((person_id, institution, level, year, special))
            for person_id in person_ids[len(people) :]:
                school, year = rng.choice(schools), rng.choice(YEARS)
                graduates[person_id] = (school.name, year)
                copy.write_row(
                    [
                        sessions[(school.pk, year, 0)],
                        person_id,
                        "school_group",
                        "enrolled",
                        "",
                        "",
                        "",
                        "",
                        user.pk,
                        now,
                    ]
                )
        # Nine in ten students have their diploma on record (the graduating year); the rest count
        # under "year unknown", as on the school's own page.
        with cursor.copy(
            "COPY registry_education (person_id, kind, school, major, graduation_date) FROM STDIN"
        ) as copy:
            for person_id, (school_name, year) in graduates.items():
                if rng.random() < 0.9:
                    copy.write_row([person_id, "senior_technical", school_name, "", datetime.date(year, 6, 30)])
        cursor.execute(
            "INSERT INTO certification_result (application_id, theory, practical, review, outcome, updated_at)"
            " SELECT id, 80, 80, 80, 'passed', now() FROM certification_application ORDER BY id LIMIT %s",
            [len(certificates)],
        )
        cursor.execute("SELECT id FROM certification_result ORDER BY application_id")
        result_ids = [row[0] for row in cursor.fetchall()]

        columns = (
            "result_id, batch_id, person_id, institution_id, evaluation_type, occupation_id, level, number,"
            " issued_on, verification_code, credential, proof_created, proof_value, proof, revocation_reason,"
            " revoked_at, revoked_by_id"
        )
        with cursor.copy(f"COPY certification_certificate ({columns}) FROM STDIN") as copy:
            for n, (result_id, (person_id, institution, level, year, special)) in enumerate(
                zip(result_ids, certificates, strict=True)
            ):
                revoked = rng.random() < 0.01
                kind = "special_ability" if special else ("qualification" if year < 2020 else "skill_level")
                copy.write_row(
                    [
                        result_id,
                        batches[(institution.pk, year)],
                        person_id,
                        institution.pk,
                        kind,
                        rng.choices(occupations, weights=occupation_weights)[0].pk,
                        level,
                        f"B{n:021d}",
                        datetime.date(year, 1, 1) + datetime.timedelta(rng.randrange(181 if year == 2026 else 365)),
                        f"{n:032x}",
                        "{}",
                        "",
                        "",
                        "",
                        "基准撤销" if revoked else "",
                        now if revoked else None,
                        user.pk if revoked else None,
                    ]
                )
        with cursor.copy(
            "COPY registry_priorcertificate (person_id, evaluation_type, occupation_id, level, number, issuer,"
            " issued_on) FROM STDIN"
        ) as copy:
            for n, person_id in enumerate(rng.sample(person_ids[: len(people)], len(people) * 3 // 100)):
                copy.write_row(
                    [
                        person_id,
                        "qualification",
                        rng.choice(occupations).pk,
                        rng.choices((1, 2, 3, 4, 5), weights=(30, 30, 25, 10, 5))[0],
                        f"P{n:017d}",
                        "原劳动保障部门",
                        datetime.date(rng.randint(2005, 2015), 7, 1),
                    ]
                )
        cursor.execute("ANALYZE")
    raw.commit() if not connection.in_atomic_block else None
    return len(people), students


def time_figures(regulator) -> dict[str, float]:
    """Each figure read as the page reads it (best of five), and the page's whole read."""
    from certification.services import statistics

    timings = {}
    for spec in statistics.FIGURES:
        best = None
        for _ in range(5):
            started = time.perf_counter()
            figure = statistics.figures_read(actor=regulator, names=(spec.name,))[0]
            figure.chart()
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        timings[spec.name] = best
    return timings


def main():
    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_statistics")
    reuse = args.reuse and reusable(url, args.count)
    if not reuse:
        prepare_database(url)
    setup_django(url)
    from certification.models import Certificate
    from certification.services import statistics
    from registry import identity
    from registry.models import Institution, Membership, User

    rng = random.Random(args.seed)
    started = time.perf_counter()
    if reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"reusing the scratch database with {args.count} certificates", flush=True)
    else:
        people, students = seed(args.count, rng)
        print(
            f"seeded {args.count} certificates of {people} people (+{students} students without one)"
            f" in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    centre, _ = Institution.objects.get_or_create(
        credit_code=identity.compose_credit_code("91310115MA9999999"),
        defaults={"kind": "centre", "name": "基准监管中心", "district": "310101"},
    )
    regulator, _ = User.objects.get_or_create(username="bench-regulator")
    Membership.objects.get_or_create(user=regulator, institution=centre, role="regulator")

    started = time.perf_counter()
    steps = {}
    run = statistics.statistics_refresh(trigger="manual", timings=steps)
    refresh_seconds = time.perf_counter() - started
    print(f"refresh: {refresh_seconds:.2f} s ({run.people} people hold a level); its steps:", flush=True)
    for name, seconds in steps.items():
        print(f"  {name:<40} {seconds:8.2f} s", flush=True)
    print("reading each figure (best of 5):", flush=True)
    timings = time_figures(regulator)
    for name, seconds in timings.items():
        print(f"  {name:<20} {seconds * 1000:8.2f} ms", flush=True)
    slowest = max(timings, key=timings.get)
    assert Certificate.objects.count() == args.count
    print(
        f"certificates={args.count} slowest_figure={slowest} slowest_seconds={timings[slowest]:.4f}"
        f" refresh_seconds={refresh_seconds:.2f}"
    )


if __name__ == "__main__":
    main()
