"""The Chinese error pages (403/404/500), whatever DEBUG says.

Django answers a 404 under DEBUG with its English technical page listing every URL pattern; the portal
never shows that page. `handler403/404/500` in urls.py render our templates, and `ChineseErrorPagesMiddleware`
(innermost in MIDDLEWARE, so the Content-Security-Policy still applies) replaces a technical 404 page that
DEBUG produced. The API keeps its JSON errors (exception handler in loanportal.api)."""

from django.conf import settings
from django.http import HttpResponseForbidden, HttpResponseNotFound, HttpResponseServerError
from django.template import loader

MARK = "_portal_error_page"


def _page(request, template_name, response_class, context=None):
    response = response_class(loader.render_to_string(template_name, context or {}, request=request))
    setattr(response, MARK, True)
    return response


def page_not_found(request, exception=None):
    return _page(request, "404.html", HttpResponseNotFound)


def permission_denied(request, exception=None):
    message = str(exception) if exception is not None and str(exception) else ""
    return _page(request, "403.html", HttpResponseForbidden, {"exception": message})


def server_error(request):
    # No request context: the failure may come from the context processors or the database themselves.
    response = HttpResponseServerError(loader.render_to_string("500.html"))
    setattr(response, MARK, True)
    return response


class ChineseErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not getattr(response, MARK, False)
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith("/api/")
        ):
            return page_not_found(request)
        return response
