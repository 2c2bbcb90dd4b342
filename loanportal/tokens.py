"""API tokens: issue, revoke, authenticate (custom model `ApiToken`, see docs/api.md).

A token works only while all of these hold: not expired (`API_TOKEN_TTL_SECONDS`, default 12 hours like
the session), not revoked (by its user or an administrator), the user is active and not locked out by
django-axes, and the user's password has not changed since the token was issued (the token keeps the
user's session auth hash, which Django derives from the password hash)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .audit import audit_record
from .errors import PermissionDeniedError
from .models import ApiToken, User

# last_used_at is written at most this often per token (not on every request).
_TOUCH_EVERY = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_ttl() -> timedelta:
    return timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)


def username_locked_out(username: str) -> bool:
    """True while django-axes counts as many failures for this username as AXES_FAILURE_LIMIT within the
    cool-off period (the per-username lockout; the per-address one does not stop existing tokens)."""
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(username=username)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
    return failures >= settings.AXES_FAILURE_LIMIT


def api_token_issue(*, user: User, ip_address: str | None = None) -> tuple[ApiToken, str]:
    """A new token for `user` → (token, key). The key is returned once and never stored."""
    key = secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        digest=_digest(key),
        prefix=key[:8],
        auth_hash=user.get_session_auth_hash(),
        expires_at=timezone.now() + token_ttl(),
        created_ip=ip_address or None,
    )
    return token, key


def can_manage_all_tokens(user) -> bool:
    """Administrators (Django superusers) may list and revoke every user's tokens."""
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def api_tokens_visible_to(*, user: User):
    """Tokens a user may see: their own; an administrator sees all."""
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    return tokens if can_manage_all_tokens(user) else tokens.filter(user=user)


def api_token_revoke(*, actor: User, token: ApiToken, reason: str = "") -> ApiToken:
    """Revoke one token (its user or an administrator); revoking a revoked token changes nothing."""
    if token.user_id != actor.pk and not can_manage_all_tokens(actor):
        raise PermissionDeniedError("只能吊销自己的令牌")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = actor
            token.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                actor=actor,
                action="api_token.revoke",
                obj=token,
                object_repr=f"{token.prefix}… ({token.user.username})",
                reason=reason,
            )
    return token


def api_tokens_revoke_all(*, actor: User, user: User, reason: str = "") -> int:
    """Revoke every live token of `user` (the user themself or an administrator) → how many."""
    if user.pk != actor.pk and not can_manage_all_tokens(actor):
        raise PermissionDeniedError("只能吊销自己的令牌")
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())
    count = 0
    for token in live:
        api_token_revoke(actor=actor, token=token, reason=reason)
        count += 1
    return count


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` against ApiToken; every failure is the same 401."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(digest=_digest(key)).first()
        now = timezone.now()
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise exceptions.AuthenticationFailed("令牌无效或已过期，请重新获取")
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("账户已停用")
        if not secrets.compare_digest(token.auth_hash, user.get_session_auth_hash()):
            raise exceptions.AuthenticationFailed("密码已更改，令牌已失效，请重新获取")
        if username_locked_out(user.get_username()):
            raise exceptions.AuthenticationFailed("账户因多次登录失败已被锁定，令牌暂停使用")
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token
