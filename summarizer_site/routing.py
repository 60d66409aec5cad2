"""The ASGI application (settings.ASGI_APPLICATION): HTTP through Django, admitted
HTTP_CONCURRENCY requests at a time per process (summarizer_site.admission), websockets
through Channels.

Import it only once Django is set up, since the websocket routes import models:
`summarizer_site.asgi` does that, and so does `manage.py runserver`.
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http.request import split_domain_port, validate_host
from django.urls import re_path

from summarizer_site.admission import HttpAdmission
from videos.consumers import UnknownRouteConsumer
from videos.routing import websocket_urlpatterns

# The site's routes, then one that takes every other path and closes it with 4404
# (URLRouter itself would raise, and the server would log a traceback).
websocket_routes = [
    *websocket_urlpatterns,
    re_path(r"", UnknownRouteConsumer.as_asgi(), name="ws_unknown"),
]


def websocket_origins(scope) -> list[str]:
    """The origins a websocket handshake is accepted from, each with its scheme, host and
    port: every CSRF_TRUSTED_ORIGINS entry (`https://*.example.com` for its subdomains),
    and the socket's own origin (its scheme and Host header) when that host is one of
    ALLOWED_HOSTS. It is the rule Django's CSRF check applies to a form post, so a page
    that may post to the site may open its sockets, and no other page may."""
    origins = [origin.replace("://*.", "://.", 1) for origin in settings.CSRF_TRUSTED_ORIGINS]
    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin1")
    domain, port = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]  # as Django's request.get_host()
    if domain and validate_host(domain, allowed_hosts) and (not port or int(port) <= 65535):
        scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        origins.append(f"{scheme}://{host}")
    return origins


class _ExactOriginCheck(OriginValidator):
    """Channels' origin check with patterns that all carry a scheme, so it compares
    scheme, host and port; an Origin header with an impossible port is refused."""

    def valid_origin(self, parsed_origin):
        try:
            return super().valid_origin(parsed_origin)
        except ValueError:  # urllib's .port on "http://host:99999"
            return False


class SiteOriginValidator:
    """Refuses a websocket handshake from any origin websocket_origins() does not list.
    (Channels' AllowedHostsOriginValidator compares host names only: a page on another
    port or scheme of an allowed host got through.)"""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        check = _ExactOriginCheck(self.application, websocket_origins(scope))
        return await check(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": HttpAdmission(ASGIHandler(), limit=settings.HTTP_CONCURRENCY),
        "websocket": SiteOriginValidator(AuthMiddlewareStack(URLRouter(websocket_routes))),
    }
)
