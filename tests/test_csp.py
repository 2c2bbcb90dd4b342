"""Issue 7 item 1: no script from user data. Templates carry no inline event handler, no inline <script>
and no inline style (the Content-Security-Policy allows neither), and every response carries the strict
policy: script-src 'self' without 'unsafe-inline'/'unsafe-eval', object-src 'none', frame-ancestors 'none',
base-uri 'self'."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates"] + [p for p in ROOT.glob("*/templates") if ".venv" not in str(p)]
TEMPLATES = sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))

ON_ATTR = re.compile(r"""\son[a-z]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*["']""", re.I)
STYLE_TAG = re.compile(r"<style\b", re.I)
COMMENTS = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}|<!--.*?-->", re.S)


def lint(text: str) -> list[str]:
    """Problems of one template's source: inline handlers (worst: with template data), inline scripts,
    inline styles."""
    problems = []
    text = COMMENTS.sub("", text)
    for match in ON_ATTR.finditer(text):
        kind = (
            "template data in an inline event handler"
            if "{{" in match.group(0) or "{%" in match.group(0)
            else "inline event handler"
        )
        problems.append(f"{kind}: {match.group(0).strip()[:80]}")
    for attrs, body in SCRIPT_TAG.findall(text):
        if "src=" not in attrs or body.strip():
            kind = (
                "template data in an inline <script>" if "{{" in body or "{%" in body else "inline <script>"
            )
            problems.append(f"{kind}: {body.strip()[:80]}")
    if STYLE_ATTR.search(text):
        problems.append("style attribute (style-src 'self' blocks it)")
    if STYLE_TAG.search(text):
        problems.append("<style> block (style-src 'self' blocks it)")
    return problems


def test_issue7_1_the_lint_catches_the_queue_page_pattern():
    """The test below would have failed on the queue page as it was."""
    old = """<form onsubmit="return confirm('确定取消 {{ a.name }} 的预约？')">"""
    assert lint(old) == [
        "template data in an inline event handler: onsubmit=\"return confirm('确定取消 {{ a.name }} 的预约？')\""
    ]
    assert lint('<script>var t = "{{ standard.tuition }}";</script>')[0].startswith(
        "template data in an inline <script>"
    )
    assert lint('<button onclick="window.print()">') == ['inline event handler: onclick="window.print()"']
    assert lint('<script src="/static/js/portal.js"></script><div data-confirm="{{ a.name }}">') == []


def test_issue7_1_templates_found():
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(ROOT)) for p in TEMPLATES])
def test_issue7_1_no_inline_script_handler_or_style_in_templates(path):
    assert lint(path.read_text(encoding="utf-8")) == [], path


def test_issue7_1_no_inline_style_in_form_widgets():
    """Form widgets render into pages too: no style attributes from Python either."""
    offenders = [
        str(p.relative_to(ROOT))
        for app in ("loanportal", "applications", "deadlines", "renewals", "repayment_relief")
        for p in (ROOT / app).rglob("*.py")
        if re.search(r"""["']style["']\s*:""", p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- the header -------------------------------------------------------------------------------------


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_strict(response, where):
    header = response.get("Content-Security-Policy")
    assert header, f"{where}: no Content-Security-Policy ({response.status_code})"
    policy = directives(header)
    assert policy["script-src"] == ["'self'"], where
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, where
    assert policy["object-src"] == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["base-uri"] == ["'self'"], where
    assert policy["style-src"] == ["'self'"], where


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def concrete(path: str) -> str:
    path = re.sub(r"<[^>]+>", "1", path)
    path = re.sub(r"\(\?P<format>[^)]*\)", "", path)
    path = re.sub(r"\\\.", ".", path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\Z", "")


PAGES = sorted({concrete(p) for p in walk(get_resolver().url_patterns) if not p.startswith("admin/")})


@pytest.mark.django_db
def test_issue7_1_csp_header_on_every_page_for_every_role(world, client):
    """Every GET route of the URLconf, anonymous and as each role: whatever the answer (200, 302, 403, 404,
    405), it carries the strict policy."""
    assert len(PAGES) > 40
    for path in PAGES:
        assert_strict(client.get(path), f"anonymous {path}")
    for username in (
        "county1_staff",
        "county1_manager",
        "city1_manager",
        "province_manager",
        "bank_officer",
        "university1_officer",
    ):
        client.force_login(getattr(world.users, username))
        for path in PAGES:
            response = client.get(path)
            assert response.status_code != 500, f"{username} {path}"
            assert_strict(response, f"{username} {path}")
    assert_strict(client.get("/api/docs/?script="), "swagger init script")
