"""Per-token request rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], from the
environment): a request with a token counts against that token, a browser's against its
user, an anonymous one against its address. Past the rate: 429 with Retry-After."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    def __init__(self):
        # The scope, hence the rate, depends on the request: chosen in allow_request.
        pass

    def get_rate(self):
        # Read at each request rather than once at import, so a settings change applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None:
            self.scope, self.ident = "token", f"{token.prefix}.{token.pk}"
        elif request.user and request.user.is_authenticated:
            self.scope, self.ident = "user", str(request.user.pk)
        else:
            self.scope, self.ident = "anon", self.get_ident(request)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}
