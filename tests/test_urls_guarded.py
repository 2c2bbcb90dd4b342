"""Walks the URL configuration: every view needs login, every API view an authenticated, non-AllowAny
permission and a queryset that comes from a selector (no class-level, unscoped queryset)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.test import APIClient

from loanportal.api import ScopedViewSetMixin

# Routes an anonymous visitor reaches (LoginRequiredMiddleware exempts them, or DRF allows anyone), each
# with the reason it is public. Any other exempt route fails route_problems.
PUBLIC_ROUTES = {
    "login": "the sign-in page (LoginView)",
    "api-token": "the API's sign-in: exchanges a username and password for a token (throttled, locked out)",
}
PUBLIC = set(PUBLIC_ROUTES)  # the only views an anonymous visitor may reach
SKIP_PREFIXES = ("admin/",)  # Django admin has its own staff login


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete(path: str) -> str:
    path = re.sub(r"<(?:\w+:)?pk>", "1", path)
    path = re.sub(r"<[^>]+>", "1", path)
    path = re.sub(r"\(\?P<format>[^)]*\)", "", path)
    path = re.sub(r"\\\.", ".", path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\Z", "")


ROUTES = [
    (path, entry) for path, entry in walk(get_resolver().url_patterns) if not path.startswith(SKIP_PREFIXES)
]


def test_routes_found():
    assert len(ROUTES) > 10


# Each API view's permissions and queryset: route_problems below (one test for the whole URLconf).


@pytest.mark.django_db
def test_anonymous_is_refused_everywhere(client):
    """Every route but the public ones, GET and POST (one loop, not one test per route: ~380 routes)."""
    failures = []
    for path, entry in ROUTES:
        if entry.name in PUBLIC:
            continue
        url = concrete(path)
        for response in (client.get(url), APIClient().post(url, {})):
            status = response.status_code
            if status not in (301, 302, 401, 403, 404, 405):
                failures.append(f"{url}: {status}")
            elif status in (301, 302) and not (
                "/accounts/login/" in response["Location"]
                or response["Location"].startswith("/" + path.split("/")[0])
            ):
                failures.append(f"{url}: redirected to {response['Location']}")
    assert not failures, "\n".join(failures)


# --- issue 9 protection check 1: every route is declared, with what it reads ------------------------
#
# Every named route of every app is listed here with the method that reads or changes it and the model
# (or "county") whose pk its URL carries; "page" routes carry none. The test below fails for a route
# that is not listed, so a new page or endpoint cannot be added without saying what it exposes; the
# out-of-scope walk in test_scope.py then requests each object route with objects outside the role's
# scope, for each role (404 expected). "global" objects are reference data every signed-in user reads.
PAGE = ("GET", None)
ROUTE_OBJECTS = {
    "dashboard": PAGE,
    "api-not-found": PAGE,  # the API's JSON 404 for unknown /api/ paths
    "logout": ("POST", None),
    "student-list": PAGE,
    "student-detail": ("GET", "loanportal.Student"),
    "student-reveal": ("POST", "loanportal.Student"),
    "audit-search": PAGE,
    "notification-list": PAGE,
    "notification-read-all": ("POST", None),
    "notification-read": ("POST", "loanportal.Notification"),
    "preapplication-list": PAGE,
    "preapplication-add": PAGE,
    "preapplication-import": PAGE,
    "preapplication-template": PAGE,
    "preapplication-import-list": PAGE,
    "preapplication-import-detail": ("GET", "applications.PreApplicationImport"),
    "preapplication-import-job": ("GET", "loanportal.ImportJob"),
    "relief-ledger-import": PAGE,
    "relief-ledger-template": PAGE,
    "relief-ledger-import-job": ("GET", "loanportal.ImportJob"),
    "relief-ledger-import-job-status": ("GET", "loanportal.ImportJob"),
    "relief-bank-amounts": PAGE,
    "relief-bank-amount-enter": ("POST", None),
    "relief-bank-amounts-import": ("POST", None),
    "relief-bank-amount-accept": ("POST", "repayment_relief.BankAmount"),
    "relief-bank-amount-return": ("POST", "repayment_relief.BankAmount"),
    "relief-funds": PAGE,
    "relief-fund-move": ("POST", None),
    "relief-fund-return": ("POST", None),
    "relief-disbursements": PAGE,
    "relief-disbursement-prepare": ("POST", None),
    "relief-disbursement-detail": ("GET", "repayment_relief.DisbursementBatch"),
    "relief-disbursement-approve": ("POST", "repayment_relief.DisbursementBatch"),
    "relief-disbursement-confirm": ("POST", "repayment_relief.DisbursementBatch"),
    "preapplication-import-job-status": ("GET", "loanportal.ImportJob"),
    "preapplication-import-errors": ("GET", "applications.PreApplicationImport"),
    "preapplication-detail": ("GET", "applications.PreApplication"),
    "preapplication-withdraw": ("POST", "applications.PreApplication"),
    "preapplication-restore": ("POST", "applications.PreApplication"),
    "intake-plan": PAGE,
    "intake-plan-county": ("GET", "county"),
    "intake-site-new": PAGE,
    "intake-site-edit": ("GET", "applications.IntakeSite"),
    "intake-slots-generate": ("POST", "applications.IntakeSite"),
    "intake-screen": ("GET", "applications.IntakeSite"),
    "intake-screen-board": ("GET", "applications.IntakeSite"),
    "intake-book": ("POST", "applications.IntakeSite"),
    "intake-walk-in": ("POST", "applications.IntakeSite"),
    "intake-queue": PAGE,
    "intake-call-next": ("POST", "applications.IntakeWindow"),
    "intake-appointment-action": ("POST", "applications.Appointment"),
    "intake-assign-list": ("POST", None),
    "intake-warnings": PAGE,
    "intake-warning-county": ("GET", "county"),
    "intake-snapshot-refresh": ("POST", "county"),
    "application-list": PAGE,
    "application-new": PAGE,
    "application-precheck": ("POST", None),
    "application-fee-standard": PAGE,
    "application-receipt-entry": PAGE,
    "application-receipt-scan": ("POST", None),
    "application-receipt-import": ("POST", None),
    "application-receipt-template": PAGE,
    "application-receipt-import-job": ("GET", "loanportal.ImportJob"),
    "application-receipt-import-job-status": ("GET", "loanportal.ImportJob"),
    "fee-certificate-list": PAGE,
    "fee-certificate-issue": ("POST", None),
    "fee-certificate-print": ("GET", "applications.FeeCertificate"),
    "application-detail": ("GET", "applications.Application"),
    "application-certificate": ("GET", "applications.Application"),
    "application-correction-new": ("POST", "applications.Application"),
    "application-act": ("POST", "applications.Application"),
    "application-correction-decide": ("POST", "applications.ApplicationCorrection"),
    "loan-policy-list": PAGE,
    "loan-policy-edit": ("GET", "global"),
    "calendar": PAGE,
    "calendar-extension-create": PAGE,
    "calendar-key-date-edit": ("GET", "global"),
    "export-list": PAGE,
    "export-pending": PAGE,
    "export-progress": PAGE,
    "export-new": ("GET", "global"),  # <kind> names an export form, not an object
    "export-detail": ("GET", "loanportal.ExportRequest"),
    "export-again": ("GET", "loanportal.ExportRequest"),
    "export-status": ("GET", "loanportal.ExportRequest"),
    "export-approve": ("POST", "loanportal.ExportRequest"),
    "export-refuse": ("POST", "loanportal.ExportRequest"),
    "export-download": ("GET", "loanportal.ExportRequest"),
    "renewal-list": PAGE,
    "renewal-bulk-approve": ("POST", None),
    "renewal-review": ("POST", "renewals.RenewalDeclaration"),
    # issue 13: the loan year's close
    "receipt-confirmation": PAGE,
    "receipt-confirm-bulk": ("POST", None),
    "receipt-return": ("POST", "applications.Application"),
    "bank-status-list": PAGE,
    "bank-status-entry": ("GET", "applications.Application"),
    "bank-status-import": PAGE,
    "bank-status-template": PAGE,
    "bank-status-import-detail": ("GET", "applications.BankStatusImport"),
    "bank-status-import-errors": ("GET", "applications.BankStatusImport"),
    "bank-status-import-job": ("GET", "loanportal.ImportJob"),
    "bank-status-import-job-status": ("GET", "loanportal.ImportJob"),
    "archive-list": PAGE,
    "archive-box-detail": ("GET", "applications.ArchiveBox"),
    "archive-box-assign": ("POST", "applications.ArchiveBox"),
    "archive-unarchived": PAGE,
    "renewal-import": PAGE,
    "renewal-import-template": PAGE,
    "renewal-import-detail": ("GET", "renewals.RenewalImport"),
    "renewal-import-job": ("GET", "loanportal.ImportJob"),
    "renewal-import-job-status": ("GET", "loanportal.ImportJob"),
    "renewal-late-new": PAGE,
    "renewal-class-reminder": PAGE,
    "graduation-list": PAGE,
    "graduation-edit": ("GET", "loanportal.Student"),
    "renewal-class-reminder-send": ("POST", None),
    "fee-standard-list": PAGE,
    "fee-standard-save": ("POST", None),
    "fee-standard-import": ("POST", None),
    "fee-standard-template": PAGE,
    "fee-standard-import-job": ("GET", "loanportal.ImportJob"),
    "fee-standard-import-job-status": ("GET", "loanportal.ImportJob"),
    "fee-account-confirm": ("POST", None),
    "summary-list": PAGE,
    "summary-generate": ("POST", None),
    "summary-forward-all": ("POST", None),
    "summary-detail": ("GET", "applications.CountySummary"),
    "summary-act": ("POST", "applications.CountySummary"),
    "notice-list": PAGE,
    "notice-publish": ("POST", None),
    "notice-detail": ("GET", "applications.PublicNotice"),
    "notice-objection-add": ("POST", "applications.PublicNotice"),
    "notice-objection-handle": ("POST", "applications.NoticeObjection"),
    "progress-dashboard": PAGE,
    "relief-case-list": PAGE,
    "relief-case-new": PAGE,
    "relief-case-detail": ("GET", "repayment_relief.ReliefCase"),
    "relief-case-upload": ("POST", "repayment_relief.ReliefCase"),
    "relief-case-verify": ("POST", "repayment_relief.ReliefCase"),
    "relief-case-notice": ("POST", "repayment_relief.ReliefCase"),
    "relief-case-objection": ("POST", "repayment_relief.ReliefCase"),
    "relief-objection-resolve": ("POST", "repayment_relief.ReliefCase"),
    "relief-case-act": ("POST", "repayment_relief.ReliefCase"),
    "relief-case-fraud": ("POST", "repayment_relief.ReliefCase"),
    "relief-document": ("GET", "repayment_relief.ReliefCase"),
    "relief-case-form": ("GET", "repayment_relief.ReliefCase"),
    "relief-case-correction": ("GET", "repayment_relief.ReliefCase"),
    "relief-case-notice-print": ("GET", "repayment_relief.ReliefCase"),
    "relief-summary-list": PAGE,
    "relief-summary-create": ("POST", None),
    "relief-summary-detail": ("GET", "repayment_relief.ReliefCountySummary"),
    "relief-summary-submit": ("POST", "repayment_relief.ReliefCountySummary"),
    "relief-batch-list": PAGE,
    "relief-batch-create": ("POST", None),
    "relief-batch-detail": ("GET", "repayment_relief.ReliefBatch"),
    "relief-batch-hand-over": ("POST", "repayment_relief.ReliefBatch"),
    "relief-archive-list": PAGE,
    "relief-archive-create": ("POST", None),
    "relief-archive-detail": ("GET", "repayment_relief.ReliefArchiveBox"),
    "relief-archive-add": ("POST", "repayment_relief.ReliefArchiveBox"),
    "relief-blacklist": PAGE,
    "relief-officer": PAGE,
}
# URL keyword arguments other than the object's pk
ROUTE_EXTRA_KWARGS = {
    "intake-appointment-action": {"action": "check-in"},
    "application-act": {"action": "accept"},
    "relief-objection-resolve": {"objection_pk": 1},
    "relief-document": {"document_pk": 1},
}


def api_model(cls):
    """The model an API viewset exposes (from its serializer), or None."""
    serializer = getattr(cls, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


# API routes that carry no rows of ours (no queryset), each with what it answers; signed-in users only.
API_WITHOUT_ROWS = {
    "api-root": "the router's list of endpoint addresses",
    "api-schema": "the OpenAPI schema (SERVE_PERMISSIONS: signed-in users)",
    "api-docs": "the Swagger page of that schema",
    "api-not-found": "the JSON 404 for unknown /api/ addresses",
}


def _is_selector(frame) -> bool:
    """A scoped read by convention (STYLE.md): a function of a selectors module, or `*_visible_to`."""
    module = frame.f_globals.get("__name__", "")
    last = module.rsplit(".", 1)[-1]
    return "selectors" in last or ".selectors." in module or frame.f_code.co_name.endswith("_visible_to")


def selector_calls(cls, actions: dict, user) -> tuple[list[str], object]:
    """Build the viewset `cls` for a GET by `user` and call its get_queryset(), recording every selector
    called with that user (a `user` argument that is the request's user) → (selectors, queryset)."""
    import sys

    from django.test import RequestFactory

    view = cls()
    view.action_map = actions
    view.action = actions.get("get") or next(iter(actions.values()))
    view.args, view.kwargs, view.format_kwarg = (), {}, None
    request = RequestFactory().get("/")
    request.user = user
    view.request = view.initialize_request(request)
    view.request.user = user
    called = []

    def profile(frame, event, arg):
        if event == "call" and _is_selector(frame) and frame.f_locals.get("user") is user:
            called.append(f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}")

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        queryset = view.get_queryset()
    finally:
        sys.setprofile(previous)
    return called, queryset


def route_problems(routes, users) -> list[str]:
    """Issue 9 check 1 on a URL configuration: every route declared (public ones with a reason); every API
    view signed-in only with a non-AllowAny permission; every API viewset's rows from a selector — for each
    of `users` (one per role), get_queryset() calls a selector with that user, or returns no rows at all;
    every HTML page declared in ROUTE_OBJECTS with what its URL carries (object routes are then walked
    with out-of-scope objects by test_scope, which must answer 404)."""
    problems = []
    for path, entry in routes:
        name = entry.name
        if name in PUBLIC_ROUTES:
            if len(PUBLIC_ROUTES[name]) < 10:
                problems.append(f"{path} ({name}): public without a reason")
            continue
        cls = getattr(entry.callback, "cls", None)
        if cls is not None:  # Django REST framework: the permissions guard it (LoginRequiredMiddleware not)
            permissions = list(getattr(cls, "permission_classes", None) or [])
            if name == "api-schema" or name == "api-docs":
                from django.conf import settings
                from django.utils.module_loading import import_string

                permissions = [import_string(p) for p in settings.SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]]
            if not permissions or any(issubclass(p, AllowAny) for p in permissions):
                problems.append(f"{path} ({name}): AllowAny or no permission, and not declared public")
            elif not any(issubclass(p, IsAuthenticated) for p in permissions):
                problems.append(f"{path} ({name}): not IsAuthenticated")
            actions = getattr(entry.callback, "actions", None)
            if not actions:
                if name not in API_WITHOUT_ROWS:
                    problems.append(f"{path} ({name}): an API view that is not a scoped viewset, undeclared")
                continue
            if not issubclass(cls, ScopedViewSetMixin) or getattr(cls, "queryset", None) is not None:
                problems.append(f"{path} ({name}): not a ScopedViewSetMixin, or a class-level queryset")
                continue
            if api_model(cls) is None:
                problems.append(f"{path} ({name}): viewset without a serializer model")
            for user in users:
                called, queryset = selector_calls(cls, actions, user)
                if not called and not queryset.query.is_empty():
                    problems.append(f"{path} ({name}): rows for {user.role} without a selector")
                    break
            continue
        if getattr(entry.callback, "login_required", True) is False:
            problems.append(f"{path} ({name}): reachable without login and not declared public")
        if name not in ROUTE_OBJECTS:
            problems.append(f"{path} ({name}): not declared in ROUTE_OBJECTS")
        elif ROUTE_OBJECTS[name][1] is not None and not re.search(r"<[^>]+>", path):
            problems.append(f"{path}: declared with an object but has no parameter")
        elif ROUTE_OBJECTS[name][1] is None and re.search(r"<[^>]+>", path):
            problems.append(f"{path}: has a parameter but is declared as a page")
    return problems


def test_issue9_check1_every_route_is_declared_with_what_it_reads(world):
    """The project's URL configuration passes route_problems for one user of every role, and no
    declaration names a route that no longer exists."""
    users = [getattr(world.users, name) for name in sorted(vars(world.users))]
    assert not (problems := route_problems(ROUTES, users)), "\n".join(problems)
    names = {entry.name for _, entry in ROUTES}
    stale = (set(ROUTE_OBJECTS) | set(PUBLIC_ROUTES) | set(API_WITHOUT_ROWS)) - names
    assert not stale, f"declared routes that no longer exist: {sorted(stale)}"


@pytest.mark.django_db
def test_issue9_check1_every_view_requires_login_and_api_views_deny_anonymous():
    """Every HTML view is wrapped by the login requirement: an anonymous request to every declared
    route (with its method) never gets a 2xx."""
    from django.test import Client

    client = Client()
    for path, entry in ROUTES:
        if entry.name in PUBLIC or path.startswith(("api/schema", "api/docs")):
            continue
        method = ROUTE_OBJECTS.get(entry.name, ("GET", None))[0]
        response = getattr(client, method.lower())(concrete(path))
        assert response.status_code >= 300, f"{method} {path}: {response.status_code}"


def test_issue9_check1_route_problems_refuses_each_kind_of_unguarded_route(world):
    """A new route that is undeclared, public without a reason, AllowAny, or reads rows without a selector
    (its own selector method or get_queryset going straight to the table) is reported."""
    from django.contrib.auth.decorators import login_not_required
    from django.http import HttpResponse
    from django.urls import path
    from rest_framework import mixins, permissions, viewsets
    from rest_framework.routers import SimpleRouter
    from rest_framework.views import APIView

    from loanportal import selectors
    from loanportal.api import StudentSerializer
    from loanportal.models import Student

    class Base(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
        serializer_class = StudentSerializer

        def selector(self, user):
            return selectors.students_visible_to(user=user)

    class Open(Base):
        permission_classes = [permissions.AllowAny]

    class OwnRule(Base):
        def selector(self, user):  # the rule written again instead of the selector
            return Student.objects.filter(household_county=user.organisation)

    class Bypass(Base):
        def get_queryset(self):
            return Student.objects.all()

    class Plain(APIView):
        def get(self, request):
            return HttpResponse()

    def page(request):
        return HttpResponse()

    @login_not_required
    def public(request):
        return HttpResponse()

    router = SimpleRouter()
    for prefix, viewset in (("ok", Base), ("open", Open), ("own-rule", OwnRule), ("bypass", Bypass)):
        router.register(prefix, viewset, basename=f"issue9-{prefix}")
    patterns = [
        path("issue9/page/", page, name="issue9-page"),
        path("issue9/public/", public, name="issue9-public"),
        path("api/v1/plain/", Plain.as_view(), name="issue9-plain"),
        *router.urls,
    ]
    users = [world.users.county1_staff, world.users.university1_officer]
    problems = "\n".join(route_problems(list(walk(patterns)), users))
    for name, why in (
        ("issue9-page", "not declared in ROUTE_OBJECTS"),
        ("issue9-public", "reachable without login"),
        ("issue9-plain", "an API view that is not a scoped viewset, undeclared"),
        ("issue9-open-list", "AllowAny or no permission"),
        ("issue9-own-rule-list", "rows for county_staff without a selector"),
        ("issue9-bypass-detail", "rows for county_staff without a selector"),
    ):
        assert f"({name}): {why}" in problems, f"{name}:\n{problems}"
    assert "issue9-ok-" not in problems
