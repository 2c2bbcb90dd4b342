from django.conf import settings

from . import registry, selectors


def portal(request):
    from .middleware import duration_text

    # the login page's notice reads the setting it describes
    timeouts = {"session_idle_text": duration_text(settings.SESSION_IDLE_TIMEOUT)}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return timeouts
    return {
        **timeouts,
        "nav_items": registry.nav_for(user),
        "unread_notifications": selectors.unread_notification_count(user=user),
    }
