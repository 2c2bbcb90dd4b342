from . import registry, selectors


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_items": registry.nav_for(user),
        "unread_notifications": selectors.unread_notification_count(user=user),
    }
