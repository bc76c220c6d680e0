"""Content-Security-Policy (issue 10): every page carries it, scripts come only from our own
files (no inline script, so an injected <script> or onclick= does not run), and no template
relies on inline script or style that the policy would block."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/verify/", "/accounts/login/", "/accounts/activate/", "/api/docs/", "/api/redoc/"]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {parts[0]: parts[1:] for parts in (directive.split() for directive in header.split(";")) if parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_policy_without_inline_script(client, path):
    response = client.get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_only_redoc_may_write_styles_and_the_other_pages_may_not(client):
    assert "'unsafe-inline'" not in policy(client.get("/verify/"))["style-src"]
    assert "'unsafe-inline'" not in policy(client.get("/api/docs/"))["style-src"]
    assert policy(client.get("/api/redoc/"))["style-src"] == ["'self'", "'unsafe-inline'"]


@pytest.mark.django_db
def test_the_swagger_ui_start_script_is_a_file_of_our_own(client):
    page = client.get("/api/docs/").content.decode()
    assert re.search(r'<script src="/api/docs/\?script="', page)
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def templates() -> list[Path]:
    found = [
        path
        for path in ROOT.rglob("*.html")
        if not {".venv", "staticfiles", "node_modules", "artifacts"} & set(path.relative_to(ROOT).parts)
    ]
    assert len(found) > 10
    return found


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def test_no_template_has_inline_script_or_style():
    problems = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        problems += [f"{name}: inline <script>" for body in INLINE_SCRIPT.findall(text) if body.strip()]
        problems += [f"{name}: inline event handler" for _ in EVENT_HANDLER.findall(text)]
        problems += [f"{name}: inline style" for _ in INLINE_STYLE.findall(text)]
    assert problems == []
