"""Issue 9 protection check 2: no full ID number or phone in any response, log line or Celery payload.

The demo data is seeded, then for one user of every role every page and API list/detail the role can
read is fetched (spreadsheets unzipped), while every configured log handler writes into a buffer and every
Celery task sent is recorded at the Celery app level (the `before_task_publish` signal for a real broker,
`task_prerun` when eager). Everything is scanned for 18-character ID numbers and 11-digit mobile numbers,
both by shape and by the exact numbers stored in the database. Full numbers are only ever shown by the
audited reveal (a POST), which no role performs here."""

import io
import logging
import re
import zipfile

import pytest
from django.apps import apps
from django.urls import reverse

from .test_scope import _objects, in_scope
from .test_urls_guarded import ROUTE_EXTRA_KWARGS, ROUTE_OBJECTS, ROUTES, api_model

ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
PHONE_SHAPE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


def stored_numbers() -> set[str]:
    """Every ID number and phone stored in any model of the project."""
    numbers = set()
    for model in apps.get_models():
        if model._meta.app_label not in (
            "loanportal",
            "applications",
            "renewals",
            "deadlines",
            "repayment_relief",
        ):
            continue
        names = [f.attname for f in model._meta.concrete_fields if "id_number" in f.name or "phone" in f.name]
        for name in names:
            numbers.update(v for v in model.objects.values_list(name, flat=True) if v and len(v) >= 11)
    return numbers


def example_numbers() -> set[str]:
    """The made-up numbers of the import templates' example rows (documented as examples)."""
    from applications.rules.preapplications import EXAMPLE_ROW
    from loanportal.rules import EXAMPLE_ID_NUMBER

    shaped = {value for value in EXAMPLE_ROW if ID_SHAPE.fullmatch(value) or PHONE_SHAPE.fullmatch(value)}
    return shaped | {EXAMPLE_ID_NUMBER}


def findings(text: str, numbers: set[str]) -> list[str]:
    found = set(ID_SHAPE.findall(text)) | set(PHONE_SHAPE.findall(text))
    found -= example_numbers() - numbers  # a stored number is never excused
    found |= {n for n in numbers if n in text}
    return sorted(found)


def body_text(response) -> str:
    content = getattr(response, "content", b"") or b"".join(getattr(response, "streaming_content", []))
    if content[:2] == b"PK":  # a spreadsheet: scan every part of the package
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            return "\n".join(package.read(name).decode("utf-8", "replace") for name in package.namelist())
    return content.decode("utf-8", "replace")


class LogBuffer:
    """Every stream handler configured by settings.LOGGING (root, django.server, …) writes here."""

    def __enter__(self):
        self.buffer = io.StringIO()
        handlers = []
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", []):
                if isinstance(handler, logging.StreamHandler) and not type(handler).__module__.startswith(
                    "_pytest"
                ):
                    handlers.append(handler)
        self.swapped = [(h, h.setStream(self.buffer)) for h in dict.fromkeys(handlers)]
        assert self.swapped, "no configured log handler found"
        return self

    def __exit__(self, *exc):
        for handler, stream in self.swapped:
            handler.setStream(stream)

    @property
    def text(self) -> str:
        return self.buffer.getvalue()


class TaskPayloads:
    """Records the args and kwargs of every task sent, at the Celery app level."""

    def __enter__(self):
        from celery import signals

        self.sent = []
        self._published = lambda sender=None, body=None, headers=None, **kw: self.sent.append(
            (sender, repr(body), repr(headers))
        )
        self._ran = lambda sender=None, args=None, kwargs=None, **kw: self.sent.append(
            (getattr(sender, "name", sender), repr(args), repr(kwargs))
        )
        signals.before_task_publish.connect(self._published, weak=False)
        signals.task_prerun.connect(self._ran, weak=False)
        return self

    def __exit__(self, *exc):
        from celery import signals

        signals.before_task_publish.disconnect(self._published)
        signals.task_prerun.disconnect(self._ran)

    @property
    def text(self) -> str:
        return "\n".join(" ".join(str(part) for part in row) for row in self.sent)


# Pages that read an object named in their query string (the intake form opened from the queue or the list)
PAGE_QUERIES = {
    "application-new": [
        ("appointment", "applications.Appointment"),
        ("pre_application", "applications.PreApplication"),
    ]
}


def _read_urls(user):
    """(kind, url) of everything `user` can read: pages, in-scope object pages, API lists and details."""
    urls = []
    for path, entry in ROUTES:
        if entry.name in ("login", "api-token", "logout") or path.startswith(("api/schema", "api/docs")):
            continue
        if path.startswith("api/"):
            actions = getattr(entry.callback, "actions", None) or {}
            if actions.get("get") == "list":
                urls.append(("api", reverse(entry.name) + "?page_size=100"))
            elif actions.get("get") == "retrieve" and "(?P<pk>" in path:
                model = api_model(getattr(entry.callback, "cls", None))
                for obj in [o for o in _objects(model) if in_scope(user, o)][:3]:
                    urls.append(("api", reverse(entry.name, kwargs={"pk": obj.pk})))
            continue
        method, model = ROUTE_OBJECTS.get(entry.name, ("POST", None))
        if method != "GET":
            continue
        if model is None:
            urls.append(("html", reverse(entry.name)))
            for parameter, label in PAGE_QUERIES.get(entry.name, ()):
                for obj in [o for o in _objects(apps.get_model(label)) if in_scope(user, o)][:3]:
                    urls.append(("html", f"{reverse(entry.name)}?{parameter}={obj.pk}"))
        elif model != "global":
            from loanportal.models import Organisation

            model_class = Organisation if model == "county" else apps.get_model(model)
            key = re.search(r"<(?:\w+:)?(\w+)>", path).group(1)
            extra = ROUTE_EXTRA_KWARGS.get(entry.name, {})
            for obj in [o for o in _objects(model_class) if in_scope(user, o)][:3]:
                urls.append(("html", reverse(entry.name, kwargs={key: obj.pk, **extra})))
    return urls


@pytest.mark.django_db(transaction=False)
def test_issue9_check2_no_full_id_or_phone_in_any_response_log_or_task(client, settings):
    from celery import current_app
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from applications.tasks import queue_snapshots_daily
    from deadlines.tasks import run_calendar_daily
    from loanportal.models import User

    call_command("seed_demo", stdout=io.StringIO())
    numbers = stored_numbers()
    assert len(numbers) > 100  # the seeded students, co-borrowers, lists and appointments
    leaks, fetched, prefills = [], 0, 0
    one_per_role = {}
    for user in User.objects.filter(is_active=True).exclude(organisation=None).order_by("username"):
        one_per_role.setdefault(user.role, user)
    with LogBuffer() as logs, TaskPayloads() as tasks:
        for user in one_per_role.values():
            client.force_login(user)
            api = APIClient()
            api.force_authenticate(user)
            for kind, url in _read_urls(user):
                response = (api if kind == "api" else client).get(url)
                fetched += response.status_code == 200
                prefills += response.status_code == 200 and "/applications/new/?" in url
                found = findings(body_text(response), numbers)
                if found:
                    leaks.append(f"{user.username} GET {url} ({response.status_code}): {found[:3]}")
        # requests whose URLs carry numbers (typed into a search box), logged by Django and runserver
        client.force_login(one_per_role["county_staff"])
        student_id = sorted(n for n in numbers if len(n) == 18)[0]
        client.get("/students/", {"q": student_id})
        client.get(f"/students/?q={student_id}&phone=13812345678")
        client.get(f"/no-such-page/{student_id}/")  # django.request "Not Found: …"
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET /students/?q={student_id} HTTP/1.1", "200", "1", extra={"status_code": 200}
        )
        # the beat's tasks, sent the way beat sends them (to the real broker when one is configured)
        always_eager = current_app.conf.task_always_eager
        for task in (queue_snapshots_daily, run_calendar_daily):
            result = task.apply_async(kwargs={})
            if always_eager:
                result.get()
    if not always_eager:
        current_app.control.purge()
    assert fetched > 150 and prefills >= 4  # the intake form opened from appointments and the list
    assert "Not Found" in logs.text
    assert {name for name, *_ in tasks.sent} >= {queue_snapshots_daily.name, run_calendar_daily.name}
    log_found = findings(logs.text, numbers)
    if log_found:
        leaks.append(f"log lines: {log_found[:3]}")
    task_found = findings(tasks.text, numbers)
    if task_found:
        leaks.append(f"Celery payloads: {task_found[:3]}")
    assert not leaks, "\n".join(leaks)
