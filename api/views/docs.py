"""The schema and the browsable docs (Swagger UI from drf-spectacular-sidecar's static
files: no CDN). The docs page works under the site's Content-Security-Policy: the split
view loads its start-up script from its own URL (`?script`) instead of inline, and the
page's template (templates/api/swagger_ui.html) takes its styles from a file."""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer

from ..errors import error_body

class SchemaView(SpectacularAPIView):
    """The schema, as YAML (or JSON for `Accept: application/json`); its errors in the
    API's JSON error shape, whatever format the schema itself was asked in."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            response.accepted_renderer, response.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return response


schema_view = SchemaView.as_view()

_swagger = SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html")


@csp_update({"img-src": ["data:"]})
def docs(request):
    """The docs page, for a browser: a plain view, so the site's login applies (an
    anonymous visitor is sent to the login page) and the session is what it uses.
    Swagger UI draws its icons as data: images; this page alone allows images from data:
    URLs (an image cannot run code); scripts and styles stay the site's own."""
    return _swagger(request)


@csrf_exempt  # a POST to a mistyped URL is a 404, not a CSRF page
@login_not_required  # the JSON 404 is for programs, logged in or not
def not_found(request, rest=""):
    """Any other path under /api/v1/: the error shape, not the site's HTML 404."""
    return JsonResponse(error_body("not_found", "No such API endpoint; see /api/v1/docs/."), status=404)

