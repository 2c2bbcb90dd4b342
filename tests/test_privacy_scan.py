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

# (not the decimals of a number: a task runtime of 0.018221923999590217s is no ID number)
ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])(?<!\d\.)\d{17}[0-9Xx](?![0-9A-Za-z])")
# (not a run of digits inside a word: a file's SHA-256 in hex may hold 11 digits in a row)
PHONE_SHAPE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


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


class EagerTasks:
    """Tasks sent through their real `.delay` path run in this process (as a worker would run the message),
    so that the export and import jobs finish inside the test; TaskPayloads records what they were sent."""

    def __enter__(self):
        from celery import current_app

        self.conf = current_app.conf
        self.saved = (self.conf.task_always_eager, self.conf.task_eager_propagates)
        self.conf.task_always_eager, self.conf.task_eager_propagates = True, True
        return self

    def __exit__(self, *exc):
        self.conf.task_always_eager, self.conf.task_eager_propagates = self.saved


# What the POST walk types into every form: numbers of a student outside the role's scope and of one inside
# it. What was typed may be shown back (an intake form re-rendered with its errors keeps the ID number the
# clerk is typing; a reason typed with a number in it is that user's text, shown as typed to whoever reads
# the record); any other number in an answer is a leak.
FORM_FIELDS = ("id_number", "phone", "q", "number", "contract_number", "student_id_number", "mobile")
TEXT_FIELDS = ("name", "reason", "note", "purpose", "remark", "document", "comment", "statement")


def _post_urls(user):
    """(url, object) of every POST route of the pages: forms without an object, and each object route with
    one object in the user's scope."""
    urls = []
    for path, entry in ROUTES:
        method, model = ROUTE_OBJECTS.get(entry.name, ("GET", None))
        if method != "POST" or entry.name in ("logout", "student-reveal"):  # the reveal is the audited POST
            continue
        if model is None:
            urls.append(reverse(entry.name))
        elif model != "global":
            from loanportal.models import Organisation

            model_class = Organisation if model == "county" else apps.get_model(model)
            key = re.search(r"<(?:\w+:)?(\w+)>", path).group(1)
            extra = ROUTE_EXTRA_KWARGS.get(entry.name, {})
            for obj in [o for o in _objects(model_class) if in_scope(user, o)][:1]:
                urls.append(reverse(entry.name, kwargs={key: obj.pk, **extra}))
    return urls


@pytest.mark.django_db(transaction=False)
def test_issue9_check2_no_full_id_or_phone_in_any_response_log_or_task(
    client, settings, caplog, django_capture_on_commit_callbacks, mailoutbox, tmp_path
):
    """Demo data plus every routed object (tests/issue9_objects.py): an export of every kind approved
    WITHOUT full numbers and generated by its real task, an import job of every kind run by its real task
    (files naming other counties' students by ID number and phone). For one user of every role: every
    readable page and API answer, every generated spreadsheet downloaded by its requester (cells, shared
    strings, header and footer, info sheet), every page form POSTed with ID numbers and phones typed in,
    every log record, every task payload and every e-mail are scanned."""
    from celery import current_app
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from applications.tasks import queue_snapshots_daily
    from deadlines.tasks import run_calendar_daily
    from loanportal.exports.models import ExportRequest
    from loanportal.exports.tasks import export_generate_task
    from loanportal.imports.models import ImportJob
    from loanportal.imports.tasks import import_job_task
    from loanportal.models import Student, User

    from .issue9_objects import routed_objects_seed

    caplog.set_level(logging.INFO)
    settings.EXPORT_ROOT, settings.IMPORT_JOB_ROOT = str(tmp_path / "exports"), str(tmp_path / "imports")
    call_command("seed_demo", stdout=io.StringIO())
    leaks, fetched, prefills, downloads, posted = [], 0, 0, 0, 0
    one_per_role = {}
    for user in User.objects.filter(is_active=True).exclude(organisation=None).order_by("username"):
        one_per_role.setdefault(user.role, user)
    with LogBuffer() as logs, TaskPayloads() as tasks:
        with EagerTasks(), django_capture_on_commit_callbacks(execute=True):
            routed_objects_seed(decide_exports=True)
        _objects.cache_clear()
        numbers = stored_numbers()
        assert len(numbers) > 100  # the seeded students, co-borrowers, lists and appointments
        exports = list(ExportRequest.objects.select_related("requested_by"))
        assert {e.status for e in exports} == {"ready"}, [(e.kind, e.status, e.error) for e in exports]
        assert not any(e.full_numbers for e in exports) and any(e.full_numbers_requested for e in exports)
        assert {j.status for j in ImportJob.objects.all()} <= {"done", "rejected"}
        for user in one_per_role.values():
            client.force_login(user)
            api = APIClient()
            api.force_authenticate(user)
            for kind, url in dict.fromkeys(_read_urls(user)):  # the `.json` suffix routes give the same urls
                response = (api if kind == "api" else client).get(url)
                fetched += response.status_code == 200
                prefills += response.status_code == 200 and "/applications/new/?" in url
                found = findings(body_text(response), numbers)
                if found:
                    leaks.append(f"{user.username} GET {url} ({response.status_code}): {found[:3]}")
        # every generated file, downloaded by its requester (the page's link, and the API for a second copy)
        for export in exports:
            client.force_login(export.requested_by)
            api = APIClient()
            api.force_authenticate(export.requested_by)
            for caller, name in ((client, "export-download"), (api, "api-export-download")):
                response = caller.get(reverse(name, args=[export.pk]))
                assert response.status_code == 200, (export.kind, name, response.status_code)
                text = body_text(response)
                assert "导出编号" in text  # the watermark footer was read
                downloads += 1
                found = findings(text, numbers)
                if found:
                    leaks.append(f"{export.requested_by} download {export.kind} ({name}): {found[:3]}")
        # every page form, POSTed with numbers typed in (the answer after any redirect is scanned)
        students, typed, text_typed = list(Student.objects.order_by("pk")), set(), set()
        for user in one_per_role.values():
            client.force_login(user)
            outside = next((s for s in students if not in_scope(user, s)), students[0])
            inside = next((s for s in students if in_scope(user, s)), outside)
            for url in dict.fromkeys(_post_urls(user)):
                typed |= {outside.id_number, outside.phone, inside.id_number, inside.phone}
                data = {field: outside.id_number for field in FORM_FIELDS}
                data |= {
                    "phone": outside.phone,
                    "mobile": inside.phone,
                    "student_id_number": inside.id_number,
                }
                data |= {field: f"核对{inside.id_number}，电话{outside.phone}" for field in TEXT_FIELDS}
                text_typed |= {inside.id_number, outside.phone}
                response = client.post(url, data, follow=True)
                posted += 1
                found = [n for n in findings(body_text(response), numbers) if n not in typed]
                if found:
                    leaks.append(f"{user.username} POST {url} ({response.status_code}): {found[:3]}")
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
    assert downloads == 2 * len(exports) and posted > 100
    assert "Not Found" in logs.text
    sent = {name for name, *_ in tasks.sent}
    assert sent >= {queue_snapshots_daily.name, run_calendar_daily.name, export_generate_task.name}
    assert import_job_task.name in sent
    assert mailoutbox or not any(u.email for u in one_per_role.values())
    log_found = findings(logs.text, numbers)
    if log_found:
        leaks.append(f"log lines: {log_found[:3]}")
    records = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {getattr(r, 'args', '')}" for r in caplog.records
    )
    if found := findings(records + caplog.text, numbers):
        leaks.append(f"log records: {found[:3]}")
    task_found = findings(tasks.text, numbers)
    if task_found:
        leaks.append(f"Celery payloads: {task_found[:3]}")
    mails = "\n".join(f"{m.subject}\n{m.body}\n{m.to}" for m in mailoutbox)
    if found := findings(mails, numbers):
        leaks.append(f"e-mails: {found[:3]}")
    # what was typed into the forms' free text is echoed to its typist on a refused form only: whatever the
    # walk stored (reasons, notes, objections, audit rows, notifications) keeps no full number
    # (loanportal.free_text), so no later reader of those records sees one
    stored_free_text = free_text_stored()
    assert stored_free_text.count("，电话") >= 3, "the walk stored hardly any free text"
    if found := [n for n in text_typed if n in stored_free_text]:
        leaks.append(f"free text stored by the POST walk: {sorted(found)[:3]}")
    assert not leaks, "\n".join(leaks)


def free_text_stored() -> str:
    """Every free-text column of every row (loanportal.free_text.FREE_TEXT_FIELDS), and the free-text values
    of the audit rows' old and new (a typed phone in its own field is stored in full, by design)."""
    from loanportal.free_text import FREE_TEXT_FIELDS, FREE_TEXT_NAMES
    from loanportal.models import AuditEvent

    parts = []
    for label, names in FREE_TEXT_FIELDS.items():
        for row in apps.get_model(label).objects.values_list(*names):
            parts.extend(str(value) for value in row if value)
    for values in AuditEvent.objects.values_list("old", "new"):
        for value in values:
            parts.extend(str(v) for k, v in (value or {}).items() if k in FREE_TEXT_NAMES)
    return "\n".join(parts)
