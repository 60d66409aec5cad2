"""Creating, revoking and checking API tokens: the one place that sees a token in clear.

A token is `cvs_<prefix>_<secret>`: 32 random bytes of secret, so guessing one is
hopeless and a plain digest (no salt, no slow hash) is enough to store it; the digest
is looked up through a unique index.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import ApiToken

SCHEME = "cvs"
# How often a token's "last used" time is written: not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The lifetimes offered on the token page and in the admin (days; None: never).
LIFETIMES = {"30": 30, "90": 90, "365": 365, "never": None}
DEFAULT_LIFETIME = "90"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(*, user, name: str, days: int | None = 90, created_by=None) -> tuple[ApiToken, str]:
    """A new token for `user`, and its text: shown once, never stored."""
    prefix = secrets.token_hex(4)
    raw = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "token",
        prefix=f"{SCHEME}_{prefix}",
        digest=token_digest(raw),
        created_by=created_by or user,
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token (from now on every request with it gets 401); revoking twice keeps the first time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def token_authenticate(*, raw: str) -> ApiToken | None:
    """The usable token `raw` is, with its user; None for an unknown, revoked or expired
    token or an inactive user."""
    if not raw.startswith(f"{SCHEME}_") or len(raw) > 200:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(digest=token_digest(raw)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
