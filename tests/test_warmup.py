"""loanportal.warmup: a web process imports its URLconf and compiles the project's templates before its
first request (gunicorn preload_app), and leaves no database connection open across the fork."""

import pytest
from django.db import connection
from django.template import engines

from loanportal.warmup import template_names, warm_up


def _cached_names() -> set[str]:
    loader = engines["django"].engine.template_loaders[0]
    return {template.origin.template_name for template in loader.get_template_cache.values() if template}


@pytest.mark.django_db(transaction=True)  # outside a test transaction, so that closing really closes
def test_warm_up_compiles_every_project_template_and_closes_the_connection():
    engines["django"].engine.template_loaders[0].reset()
    names = template_names()
    assert "base.html" in names and "applications/lifecycle/detail.html" in names
    assert not any("site-packages" in name or name.startswith("admin/") for name in names)
    connection.ensure_connection()

    compiled = warm_up()

    assert compiled == len(names)
    assert set(names) <= _cached_names()
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):  # Django keeps that one open
        assert connection.connection is None, "no connection may cross gunicorn's fork"


def test_the_web_server_preloads_the_warm_application():
    from pathlib import Path

    config = (Path(__file__).resolve().parent.parent / "gunicorn.conf.py").read_text(encoding="utf-8")
    assert "preload_app = True" in config
    wsgi = (Path(__file__).resolve().parent.parent / "loanportal" / "wsgi.py").read_text(encoding="utf-8")
    assert "warm_up()" in wsgi
