"""Issue 9 protection check 1, the parts test_urls_guarded.py does not walk: every page of the URL
configuration and every export definition reads its rows through a selector called with the requesting
user (STYLE.md: selectors for scoped reads). A new list page or a new export written straight against the
table (`Model.objects.filter(...)`, or the scope rule written again) fails here, as a new API viewset
without a selector fails route_problems. DESIGN.md "Users, organisations, scope"; notice 二十一 (no
export of loan data or student information beyond the requester's remit)."""

import sys
from contextlib import contextmanager

import pytest
from django.urls import reverse

from .test_urls_guarded import ROUTE_OBJECTS, ROUTES, _is_selector

# Pages that show no rows of ours (forms to fill in, a template to download, the calendar's reference data),
# each with what it shows instead. Any other page must call a selector with the signed-in user.
PAGES_WITHOUT_ROWS = {
    "api-not-found": "the API's JSON 404",
    "preapplication-template": "the blank import template",
    "relief-ledger-template": "the blank import template",
    "application-receipt-template": "the blank import template",
    "bank-status-template": "the blank import template",
    "renewal-import-template": "the blank import template",
    "fee-standard-template": "the blank import template",
    "loan-policy-list": "the province's loan policy parameters (reference data every role reads)",
    "calendar": "the loan year's key dates (reference data every role reads)",
    "calendar-extension-create": "the form asking for a key-date extension",
}


@contextmanager
def selectors_called_with(user):
    """Record every selector (a function of a selectors module, or `*_visible_to`) called with a `user`
    argument that is `user` (the same account: the request loads its own instance)."""
    called = []

    def profile(frame, event, arg):
        if event == "call" and _is_selector(frame):
            argument = frame.f_locals.get("user")
            if argument is not None and getattr(argument, "pk", None) == user.pk:
                called.append(f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}")

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield called
    finally:
        sys.setprofile(previous)


def one_user_per_role(world):
    users = {}
    for name in sorted(vars(world.users)):
        user = getattr(world.users, name)
        users.setdefault(user.role, user)
    return list(users.values())


def page_problems(client, users, routes) -> list[str]:
    """Every page route declared as a page (GET, no object in its URL) that answers 200 to a role must have
    called a selector with that role's user, unless it is declared in PAGES_WITHOUT_ROWS."""
    problems = []
    for user in users:
        client.force_login(user)
        for path, entry in routes:
            if path.startswith("api/") or ROUTE_OBJECTS.get(entry.name) != ("GET", None):
                continue
            if entry.name in PAGES_WITHOUT_ROWS:
                continue
            with selectors_called_with(user) as called:
                response = client.get(reverse(entry.name))
            if response.status_code == 200 and not called:
                problems.append(f"{path} ({entry.name}): a page for {user.role} read without a selector")
    return problems


def export_problems(definitions, users, params=None) -> list[str]:
    """Every export definition, for every role allowed to request it: its count and its rows (the ones the
    file is written from; a form's layout reads the same rows) call a selector with the requester — or read
    nothing at all (no query: a form for one object when none is named). `params` names the objects the
    forms of one object are asked for (kind → the page's GET parameters)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    problems = []
    for definition in definitions:
        for user in users:
            if user.role not in definition.roles:
                continue
            for part in ("count", "rows"):
                with selectors_called_with(user) as called, CaptureQueriesContext(connection) as queries:
                    result = getattr(definition, part)(
                        user=user, params=(params or {}).get(definition.name, {})
                    )
                    if part == "rows":
                        for _ in result:
                            pass
                if not called and len(queries):
                    problems.append(f"export {definition.name}: {part} for {user.role} without a selector")
    return problems


@pytest.mark.django_db
def test_issue9_check1_every_page_reads_through_a_selector(world, client):
    """Every page of every app, for one user of every role: a 200 means a selector was asked with that
    user (the out-of-scope walk of test_scope.py covers the pages that carry an object)."""
    problems = page_problems(client, one_user_per_role(world), ROUTES)
    assert not problems, "\n".join(problems)
    names = {entry.name for _, entry in ROUTES}
    assert not set(PAGES_WITHOUT_ROWS) - names, "declared pages that no longer exist"


@pytest.mark.django_db
def test_issue9_check1_every_export_definition_reads_through_a_selector(world):
    """Every registered export of every app (applications, pre-application lists, appointments, queue
    warnings, the audit log, progress, summaries, notices, relief forms 附件1–6, disbursements…), for every
    role allowed to request it."""
    from loanportal.exports.registry import definitions_all

    definitions = definitions_all()
    assert len(definitions) >= 15
    county = str(world.county1.pk)
    params = {  # the forms of one object: one named (a pk outside every scope still asks the selector)
        "county_summary": {"summary": "999999"},
        "public_notice": {"notice": "999999"},
        "intake_warning_daily": {"county": county},
        "intake_warning_weekly": {"county": county},
    }
    problems = export_problems(definitions, one_user_per_role(world), params)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_issue9_check1_walks_refuse_an_unguarded_page_and_export(world, client, settings):
    """The walks can fail: a throwaway page listing students straight from the table, and a throwaway
    export definition doing the same, are both reported (the selector-based twins are not)."""
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    from loanportal import selectors
    from loanportal.exports.registry import Column, ExportDefinition
    from loanportal.models import Student

    def unscoped_page(request):
        return HttpResponse(", ".join(Student.objects.values_list("name", flat=True)))

    def scoped_page(request):
        rows = selectors.students_visible_to(user=request.user).values_list("name", flat=True)
        return HttpResponse(", ".join(rows))

    urlconf = type(
        "Urls",
        (),
        {
            "urlpatterns": [
                path("issue9/unscoped/", unscoped_page, name="issue9-unscoped"),
                path("issue9/scoped/", scoped_page, name="issue9-scoped"),
            ]
        },
    )
    settings.ROOT_URLCONF = urlconf
    clear_url_caches()
    patterns = [(str(p.pattern), p) for p in urlconf.urlpatterns]
    for name in ("issue9-unscoped", "issue9-scoped"):
        ROUTE_OBJECTS[name] = ("GET", None)
    try:
        problems = "\n".join(page_problems(client, [world.users.county1_staff], patterns))
    finally:
        for name in ("issue9-unscoped", "issue9-scoped"):
            del ROUTE_OBJECTS[name]
        clear_url_caches()
    assert "(issue9-unscoped): a page for county_staff read without a selector" in problems, problems
    assert "issue9-scoped" not in problems

    def definition(name, queryset):
        return ExportDefinition(
            name=name,
            title="学生名单",
            columns=(Column("姓名"),),
            rows=lambda *, user, params: queryset(user).values_list("name"),
            count=lambda *, user, params: queryset(user).count(),
            roles=frozenset({"county_staff"}),
        )

    unscoped = definition("issue9_unscoped", lambda user: Student.objects.all())
    own_rule = definition(
        "issue9_own_rule", lambda user: Student.objects.filter(household_county=user.organisation)
    )
    scoped = definition("issue9_scoped", lambda user: selectors.students_visible_to(user=user))
    problems = "\n".join(export_problems([unscoped, own_rule, scoped], [world.users.county1_staff]))
    for name in ("issue9_unscoped", "issue9_own_rule"):
        for part in ("count", "rows"):
            assert f"export {name}: {part} for county_staff without a selector" in problems, problems
    assert "issue9_scoped" not in problems
