import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url

from .context import current_ip, request_memo


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        memo = request_memo.set({})
        try:
            return self.get_response(request)
        finally:
            request_memo.reset(memo)
            current_ip.reset(token)


def duration_text(seconds: int) -> str:
    """A timeout setting in words: 1800 → "30分钟", 43200 → "12小时", 5400 → "90分钟", 45 → "45秒"."""
    seconds = int(seconds)
    if seconds % 3600 == 0:
        return f"{seconds // 3600}小时"
    if seconds % 60 == 0:
        return f"{seconds // 60}分钟"
    return f"{seconds}秒"


class SessionTimeoutMiddleware:
    """Idle timeout (default 30 minutes) and absolute timeout (default 12 hours) for logged-in sessions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            session = request.session
            started = session.setdefault("auth_started_at", now)
            last = session.get("last_activity_at", now)
            expired = None
            if now - last > settings.SESSION_IDLE_TIMEOUT:
                expired = f"您已超过{duration_text(settings.SESSION_IDLE_TIMEOUT)}未操作，请重新登录"
            elif now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                expired = f"登录已超过{duration_text(settings.SESSION_ABSOLUTE_TIMEOUT)}，请重新登录"
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse({"detail": expired}, status=401)
                messages.info(request, expired)
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?next={request.path}")
            if now - last >= settings.SESSION_ACTIVITY_RESOLUTION or "last_activity_at" not in session:
                # Written at most once a minute: a session row UPDATE (and its commit) on every page
                # view was a measurable part of each request under load (bench load_200_staff).
                session["last_activity_at"] = now
        return self.get_response(request)
