"""The embedded default: SQLite with Celery in-process, as `make demo` runs it. The demo world
takes one session through issuance, so this also exercises the portable (non-PostgreSQL)
issuance path: bulk_create instead of COPY, ids without a sequence."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_on_sqlite_issues_and_verifies_certificates(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", MEDIA_ROOT=str(tmp_path / "media"))

    def manage(*args):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    manage("migrate", "--noinput", "-v0")
    manage("load_demo")
    manage("load_demo")  # idempotent
    report = manage(
        "shell",
        "-c",
        (
            "import json; from certification.models import Certificate; from certification import signing;"
            "cs = list(Certificate.objects.order_by('number'));"
            "print(json.dumps({'n': len(cs), 'numbers': [c.number for c in cs],"
            " 'valid': all(signing.verify(signing.secured(c.credential, c.proof_created, c.proof_value))"
            " for c in cs)}))"
        ),
    )
    data = json.loads(report.strip().splitlines()[-1])
    assert data["n"] == 5  # six candidates, one failed the practical part
    assert data["valid"]
    assert [n[-6:] for n in data["numbers"]] == [f"{i:06d}" for i in range(1, 6)]
    assert all(n.startswith("Y000031000101") for n in data["numbers"])
