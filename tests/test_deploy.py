"""The production shape: `check --deploy` clean, docker-compose.yml valid and in step with settings."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 64 + "production-secret-key-for-the-check-only",
    "FIELD_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1maWVsZC1rZXktZm9yLWNoZWNrISE=",
    "ID_HASH_KEY": "production-hash-key",
    "SIGNING_KEY": "cHJvZHVjdGlvbi1zaWduaW5nLXNlZWQtMzItYnl0ZXM=",
    "ALLOWED_HOSTS": "registry.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}


def run_manage(*args, env):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process only.
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_check_deploy_has_no_warnings_in_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_keys():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SIGNING_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SIGNING_KEY must be set" in result.stderr


def test_docker_compose_file_is_valid():
    assert shutil.which("docker-compose"), "docker-compose is installed by scripts/ensure-services"
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "-q"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_configures_every_setting_through_the_environment():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker"} <= set(services)
    for name in ("web", "worker"):
        env = services[name]["environment"]
        keys = set(env) if isinstance(env, dict) else {item.split("=", 1)[0] for item in env}
        assert {
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "SIGNING_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "ID_HASH_KEY",
            "DJANGO_ENV",
        } <= keys
    for name in ("db", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert (
        "gunicorn" in " ".join(services["web"]["command"])
        if isinstance(services["web"]["command"], list)
        else "gunicorn" in services["web"]["command"]
    )
    assert "celery -A config worker" in (
        services["worker"]["command"]
        if isinstance(services["worker"]["command"], str)
        else " ".join(services["worker"]["command"])
    )


def test_production_refuses_the_public_development_keys():
    """The development keys are in config/settings.py for anyone to read: production with any of
    them (left unset is refused above) would sign, encrypt and hash with public keys."""
    from django.conf import settings

    for name, dev_value in settings.DEV_KEYS.items():
        result = run_manage("check", env={**PRODUCTION_ENV, name: dev_value})
        assert result.returncode != 0, name
        assert "ImproperlyConfigured" in result.stderr and f"{name} " in result.stderr, result.stderr
    # A development key among rotated field keys is refused as well.
    keys = PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"] + "," + settings.DEV_KEYS["FIELD_ENCRYPTION_KEYS"]
    result = run_manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": keys})
    assert result.returncode != 0 and "development key" in result.stderr


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("SIGNING_KEY", "c2hvcnQ=", "32 bytes"),
        ("SIGNING_KEY", "not base64 at all!!", "32 bytes"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key", "Fernet keys"),
        ("SECRET_KEY", "too-short", "50 characters"),
        ("ID_HASH_KEY", "short", "16 characters"),
    ],
)
def test_production_refuses_malformed_keys(name, value, reason):
    result = run_manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert f"{name} " in result.stderr and reason in result.stderr, result.stderr


def nginx_directives() -> list[list[str]]:
    """deploy/nginx.conf as a list of directives (words), comments dropped."""
    text = "\n".join(line.split("#", 1)[0] for line in (ROOT / "deploy" / "nginx.conf").read_text().splitlines())
    return [statement.split() for statement in text.replace("{", ";").replace("}", ";").split(";") if statement.strip()]


def test_only_the_proxy_publishes_a_port_and_gunicorn_is_not_reachable_directly():
    """Production trusts X-Forwarded-For: a client that reached gunicorn directly would choose
    its own address (and escape every per-client limit)."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert "ports" not in services["web"] and services["web"]["expose"] == ["8000"]
    assert services["proxy"]["image"].startswith("nginx")
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]


def test_the_proxy_overwrites_the_client_x_forwarded_for():
    directives = nginx_directives()
    forwarded = [d for d in directives if d[:2] == ["proxy_set_header", "X-Forwarded-For"]]
    assert forwarded == [["proxy_set_header", "X-Forwarded-For", "$remote_addr"]]
    assert ["proxy_set_header", "X-Forwarded-Proto", "$scheme"] in directives
    assert not any("$proxy_add_x_forwarded_for" in word for d in directives for word in d)
    assert ["proxy_pass", "http://registry_web"] in directives and ["server", "web:8000"] in directives


def test_the_app_takes_the_last_hop_only(rf, settings):
    from certification.throttle import client_ip

    settings.TRUST_X_FORWARDED_FOR = True
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="172.18.0.5")
    assert client_ip(request) == "203.0.113.7"
    settings.TRUST_X_FORWARDED_FOR = False
    assert client_ip(request) == "172.18.0.5"


def test_the_image_runs_as_production_so_it_refuses_development_keys():
    """Started without docker-compose (docker run, Kubernetes), the image must still refuse the
    public development keys: DJANGO_ENV=production is set in the image itself, after the build
    step that needs no keys."""
    lines = [line.split() for line in (ROOT / "Dockerfile").read_text().splitlines() if line.strip()]
    env_lines = [i for i, words in enumerate(lines) if words[0] == "ENV" and "DJANGO_ENV=production" in words]
    cmd = next(i for i, words in enumerate(lines) if words[0] == "CMD")
    assert env_lines and env_lines[-1] < cmd
