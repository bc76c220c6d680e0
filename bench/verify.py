#!/usr/bin/env python3
"""Verification benchmark: public look-ups over N issued certificates, driven by wrk.

    python bench/verify.py --count 1000000        (make bench-verify)

Builds a scratch PostgreSQL database (BENCH_DATABASE_URL, default .../bench_verify) holding N
issued, validly signed certificates, written with COPY rather than through issuance (the people,
applications and results as in bench/issuance.py, then the certificates signed in this process).
A database already holding exactly N certificates is reused. It then starts gunicorn (2 workers,
the verification limits raised out of the way, Redis for the throttle and the cache) and drives it
with wrk, the three endpoints in interleaved rounds of the same run:

- GET /healthz (the floor: the stack and one `SELECT 1`);
- GET /v/<code> over random verification codes (the QR link);
- POST /api/verify/ over random (name, ID number, certificate number) triples (the form).

The last line is one line to compare from run to run:

    certificates=N healthz_rps=A qr_rps=B form_rps=C qr_ratio=X form_ratio=Y qr_p99_ms=P form_p99_ms=Q
"""

import argparse
import datetime
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.issuance import seed as seed_results  # noqa: E402
from bench.issuance import setup_django  # noqa: E402  (the same scratch-database set-up)

# wrk's Lua: random inputs from a file, one request each; the summary in one parseable line.
LUA = """
local lines = {}
local mode = "%(mode)s"
local function load()
  for line in io.lines("%(inputs)s") do lines[#lines + 1] = line end
end
init = function(args)
  load()
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) %% 100000)
end
request = function()
  local line = lines[math.random(#lines)]
  if mode == "qr" then
    return wrk.format("GET", "/v/" .. line)
  end
  return wrk.format("POST", "/api/verify/", {["Content-Type"] = "application/json"}, line)
end
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%%d seconds=%%.3f p99_ms=%%.3f errors=%%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(99) / 1000, bad))
end
"""
HEALTHZ_LUA = """
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.3f p99_ms=%.3f errors=%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(99) / 1000, bad))
end
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--institutions", type=int, default=10, help="sites (one batch each)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the three endpoints")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--sample", type=int, default=100_000, help="random certificates the load draws from")
    return parser.parse_args()


def existing_count(url: str) -> int | None:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM certification_certificate").fetchone()[0]
    except psycopg.Error:
        return None


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def resident_id(n: int) -> str:
    """The ID number bench/issuance.py gives its n-th person (考生n)."""
    from registry import identity

    birth = datetime.date(1990, 1, 1)
    return identity.compose_resident_id(
        f"31{n // 1000 % 100:02d}{n // 100000 % 100:02d}", birth + datetime.timedelta(days=n % 9000), n % 1000
    )


def seed_certificates(count: int, institutions: int) -> None:
    """N passed results (bench/issuance.py's seed), then one batch per institution whose
    certificates are numbered, signed and written here with COPY, as issuance would write them."""
    from django.db import connection

    from certification import numbering, signing
    from certification.models import IssuanceBatch, Series, Session
    from certification.services.issuance import CERTIFICATE_COLUMNS, CredentialTemplate

    user, sessions = seed_results(count, institutions)
    today = datetime.date.today()
    by_session = {
        s.pk: s
        for s in Session.objects.filter(pk__in=[s.pk for s in sessions]).select_related("institution", "occupation")
    }
    batches = {}
    for session in by_session.values():
        if session.institution_id not in batches:
            batches[session.institution_id] = IssuanceBatch.objects.create(
                institution=session.institution, issue_date=today, state="done", created_by=user
            )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id, a.session_id, a.person_id, p.name FROM certification_result r"
            " JOIN certification_application a ON a.id = r.application_id"
            " JOIN registry_person p ON p.id = a.person_id ORDER BY r.id"
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT setval(pg_get_serial_sequence('certification_certificate', 'id'), %s)", [len(rows)])
    created = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    proof_template = signing.ProofTemplate(created)
    templates = {pk: CredentialTemplate(s, s.institution, today) for pk, s in by_session.items()}
    prefixes = {
        pk: numbering.number_prefix(Series(s.evaluation_type), s.institution, today.year, s.level)
        for pk, s in by_session.items()
    }
    serials = dict.fromkeys(by_session, 0)
    columns = CERTIFICATE_COLUMNS
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY certification_certificate ({', '.join(columns)}) FROM STDIN") as copy:
            for certificate_id, (result_id, session_id, person_id, name) in enumerate(rows, start=1):
                session = by_session[session_id]
                serials[session_id] += 1
                number = numbering.format_number(prefixes[session_id], serials[session_id])
                document = templates[session_id].document(number=number, holder_name=name, status_index=certificate_id)
                text = signing.canonical(document)
                proof_value, proof = proof_template.sign(text)
                values = {
                    "id": certificate_id,
                    "result_id": result_id,
                    "batch_id": batches[session.institution_id].pk,
                    "person_id": person_id,
                    "institution_id": session.institution_id,
                    "evaluation_type": session.evaluation_type,
                    "occupation_id": session.occupation_id,
                    "level": session.level,
                    "number": number,
                    "issued_on": today,
                    "verification_code": secrets.token_urlsafe(16),
                    "credential": text,
                    "proof_created": created,
                    "proof_value": proof_value,
                    "proof": proof,
                    "revocation_reason": "",
                    "signature_valid": True,
                }
                copy.write_row([values[c] for c in columns])
    connection.connection.commit() if not connection.in_atomic_block else None
    Session.objects.filter(pk__in=list(by_session)).update(state=Session.State.ISSUED)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def write_inputs(directory: Path, sample: int) -> tuple[Path, Path]:
    """Random codes for the QR look-ups; random JSON bodies (name, ID number, number) for the form."""
    import json

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM certification_certificate")
        top = cursor.fetchone()[0]
        ids = random.sample(range(1, top + 1), min(sample, top))
        cursor.execute(
            "SELECT c.verification_code, c.number, p.name FROM certification_certificate c"
            " JOIN registry_person p ON p.id = c.person_id WHERE c.id = ANY(%s)",
            [ids],
        )
        rows = cursor.fetchall()
    codes, bodies = directory / "codes.txt", directory / "bodies.txt"
    codes.write_text("".join(f"{code}\n" for code, _n, _p in rows))
    bodies.write_text(
        "".join(
            json.dumps({"name": name, "document_number": resident_id(int(name[2:])), "number": number}) + "\n"
            for _c, number, name in rows
        )
    )
    return codes, bodies


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, redis_url: str, workers: int, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DB_CONN_MAX_AGE": "600",
        "DJANGO_DEBUG": "0",
        "VERIFY_RATE_LIMIT": "1000000000",
        "VERIFY_RATE_LIMIT_PER_ID": "1000000000",
        "VERIFY_RATE_LIMIT_PER_NUMBER": "1000000000",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            time.sleep(1.0)
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def drive(url: str, script: Path, duration: int, connections: int) -> dict:
    """One wrk run; its summary line parsed (requests per second, p99 in ms, non-2xx and socket errors)."""
    completed = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout=10s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    fields = dict(item.split("=") for item in line.split()[1:])
    result = {k: float(v) for k, v in fields.items()}
    result["rps"] = result["requests"] / result["seconds"]
    return result


def warm(base: str, codes: Path, bodies: Path) -> None:
    """One request of each kind, so that no worker's first import counts."""
    import json
    import urllib.request

    code = codes.read_text().split("\n", 1)[0]
    body = bodies.read_text().split("\n", 1)[0]
    for _ in range(4):
        urllib.request.urlopen(f"{base}/healthz").read()
        urllib.request.urlopen(f"{base}/v/{code}").read()
        request = urllib.request.Request(
            f"{base}/api/verify/", data=body.encode(), headers={"Content-Type": "application/json"}
        )
        answer = json.loads(urllib.request.urlopen(request).read())
        assert answer["found"] and answer["status"] == "valid" and answer["signature_valid"], answer


def main():
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make bench-verify` installs it (apt-get install wrk)")
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_verify")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    count = existing_count(base_url)
    reuse = count == args.count
    if not reuse:
        recreate_database(base_url)
    setup_django(base_url, redis_url, 2000)
    from django.core.management import call_command

    if reuse:
        call_command("migrate", verbosity=0)  # today's schema on yesterday's rows
        print(f"reusing {count} certificates in {base_url.rsplit('/', 1)[1]}", flush=True)
    else:
        t0 = time.perf_counter()
        seed_certificates(args.count, args.institutions)
        print(f"seeded {args.count} signed certificates in {time.perf_counter() - t0:.1f} s", flush=True)

    directory = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    codes, bodies = write_inputs(directory, args.sample)
    scripts = {"healthz": directory / "healthz.lua"}
    scripts["healthz"].write_text(HEALTHZ_LUA)
    for mode, inputs in (("qr", codes), ("form", bodies)):
        scripts[mode] = directory / f"{mode}.lua"
        scripts[mode].write_text(LUA % {"mode": mode, "inputs": inputs})
    port = free_port()
    server = start_gunicorn(base_url, redis_url, args.workers, port)
    base = f"http://127.0.0.1:{port}"
    try:
        warm(base, codes, bodies)
        load = os.getloadavg()[0]
        # Interleaved rounds, so that a change of the machine's load (others share it) weighs on
        # the three alike: requests/s over all rounds, p99 the median of the rounds' p99.
        rounds = {mode: [] for mode in scripts}
        for _round in range(args.rounds):
            for mode, url in (("healthz", f"{base}/healthz"), ("qr", base), ("form", base)):
                r = drive(url, scripts[mode], max(1, args.duration // args.rounds), args.connections)
                rounds[mode].append(r)
                if r["errors"]:
                    raise SystemExit(f"{mode}: {r['errors']:.0f} requests failed (non-2xx or socket errors)")
        results = {}
        for mode, runs in rounds.items():
            p99s = sorted(r["p99_ms"] for r in runs)
            results[mode] = {
                "rps": sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs),
                "p99_ms": p99s[len(p99s) // 2],
            }
            print(f"{mode}: {results[mode]['rps']:.0f} requests/s, p99 {results[mode]['p99_ms']:.1f} ms", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)
    print(f"load average before the run: {load:.2f} on {os.cpu_count()} cores", flush=True)
    healthz, qr, form = results["healthz"]["rps"], results["qr"]["rps"], results["form"]["rps"]
    print(
        f"certificates={args.count} healthz_rps={healthz:.0f} qr_rps={qr:.0f} form_rps={form:.0f} "
        f"qr_ratio={qr / healthz:.2f} form_ratio={form / healthz:.2f} "
        f"qr_p99_ms={results['qr']['p99_ms']:.1f} form_p99_ms={results['form']['p99_ms']:.1f}"
    )


if __name__ == "__main__":
    main()
