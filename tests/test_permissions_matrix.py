"""Who may open what: every URL and websocket route against every role, in one table.

The routes come from the URL resolver and the websocket router, so a new URL without a
row here fails `test_every_route_has_a_row`. Outcomes: a status code, LOGIN (redirected
to the site's or the admin's login page), or for a websocket OPEN (a snapshot arrives)
or the close code it ends with.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from summarizer_site.routing import application, websocket_routes
from tests.routes import PATHS, ROLES, groups_as_migrated, http_routes, path_for, role_user, world
from tests.videos.factories import SummaryFactory
from videos.models import Summary, SummaryJob
from videos.services import jobs

LOGIN, OPEN = "login", "open"
# The order of every row's outcomes.
COLUMNS = ("anonymous", "no_group", "viewer", "submitter", "curator", "staff")
assert tuple(ROLES) == COLUMNS


def _row(*outcomes):
    assert len(outcomes) == len(COLUMNS)
    return dict(zip(COLUMNS, outcomes))


SITE_VIEWER = _row(LOGIN, 403, 200, 200, 200, 403)  # read pages: every group, not a bare account
API_READ = _row(401, 403, 200, 200, 200, 403)  # the API reads as the pages do, with its own 401
# The admin: a login page for anyone but staff; then the model permissions decide.
ADMIN_NOBODY = _row(LOGIN, LOGIN, LOGIN, LOGIN, 403, 403)
ADMIN_CURATOR_VIEWS = _row(LOGIN, LOGIN, LOGIN, LOGIN, 200, 403)


def _admin_model_rows(label: str, *, changelist, add, history, delete, change, history_form=None) -> dict:
    base = f"admin/{label}/"
    rows = {
        base: changelist,
        f"{base}add/": add,
        f"{base}<path:object_id>/history/": history,
        f"{base}<path:object_id>/delete/": delete,
        f"{base}<path:object_id>/change/": change,
        # The old-style object URL redirects to the change page, for staff only.
        f"{base}<path:object_id>/": _row(LOGIN, LOGIN, LOGIN, LOGIN, 302, 302),
    }
    if history_form:
        rows[f"{base}([^/]+)/history/([^/]+)/$"] = history_form
    return {route: ("GET", outcomes) for route, outcomes in rows.items()}


SUPERUSERS_ONLY = dict.fromkeys(("changelist", "add", "history", "delete", "change"), ADMIN_NOBODY)

# (method, outcomes by role) for each route.
HTTP_MATRIX: dict[str, tuple[str, dict]] = {
    "": ("GET", SITE_VIEWER),
    "summaries/<int:pk>/": ("GET", SITE_VIEWER),
    "summaries/<int:pk>.json": ("GET", SITE_VIEWER),
    "summaries/<int:pk>.md": ("GET", SITE_VIEWER),
    "summaries/compare/": ("GET", SITE_VIEWER),
    "summaries/<int:pk>/progress/": ("GET", SITE_VIEWER),
    "queue/": ("GET", SITE_VIEWER),
    "videos/": ("GET", SITE_VIEWER),
    "videos/<str:youtube_id>/": ("GET", SITE_VIEWER),
    # The video page's live transcript state (polled by htmx): as the video page.
    "videos/<str:youtube_id>/transcript-state/": ("GET", SITE_VIEWER),
    # Only curators make a summary current or regenerate one.
    "summaries/<int:pk>/make-current/": ("POST", _row(LOGIN, 403, 403, 403, 302, 403)),
    "summaries/<int:pk>/regenerate/": ("POST", _row(LOGIN, 403, 403, 403, 302, 403)),
    # The summary was queued by another curator: a submitter may cancel only their own. The
    # API's cancel comes first: it is a 409 once the summary is cancelled, the page a 302 either way.
    "api/v1/jobs/<int:pk>/cancel/": ("POST", _row(401, 403, 403, 403, 200, 403)),
    "summaries/<int:pk>/cancel/": ("POST", _row(LOGIN, 403, 403, 403, 302, 403)),
    # Adding videos and queueing summaries: submitters and curators.
    "videos/add/": ("GET", _row(LOGIN, 403, 403, 200, 200, 403)),
    # A paste's result, kept in the session: one this session does not hold goes back to the form.
    "videos/add/result/<str:key>/": ("GET", _row(LOGIN, 403, 403, 302, 302, 403)),
    "videos/upload/": ("POST", _row(LOGIN, 403, 403, 400, 400, 403)),
    "videos/<str:youtube_id>/fetch/": ("POST", _row(LOGIN, 403, 403, 302, 302, 403)),
    "videos/<str:youtube_id>/summarize/": ("POST", _row(LOGIN, 403, 403, 302, 302, 403)),
    # The empty catalogue's button: a summary of each seed video that has none.
    "summaries/queue-seed/": ("POST", _row(LOGIN, 403, 403, 302, 302, 403)),
    "accounts/login/": ("GET", _row(200, 200, 200, 200, 200, 200)),
    "accounts/logout/": ("POST", _row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    # The admin: staff only; a staff account without permissions sees an empty index.
    "admin/": ("GET", _row(LOGIN, LOGIN, LOGIN, LOGIN, 200, 200)),
    "admin/login/": ("GET", _row(200, 200, 200, 200, 302, 302)),
    # Logging out of the admin: staff go to the login page; anyone else back to the admin.
    "admin/logout/": ("POST", _row(LOGIN, 302, 302, 302, LOGIN, LOGIN)),
    "admin/password_change/": ("GET", _row(LOGIN, LOGIN, LOGIN, LOGIN, 200, 200)),
    "admin/password_change/done/": ("GET", _row(LOGIN, LOGIN, LOGIN, LOGIN, 200, 200)),
    "admin/autocomplete/": ("GET", ADMIN_NOBODY),
    "admin/jsi18n/": ("GET", _row(LOGIN, LOGIN, LOGIN, LOGIN, 200, 200)),
    # "View on site": videos have no page of their own there.
    "admin/r/<path:content_type_id>/<path:object_id>/": ("GET", _row(LOGIN, LOGIN, LOGIN, LOGIN, 404, 404)),
    # An app's index is a 404 for a staff account that may see none of its models.
    "admin/(?P<app_label>auth|axes|videos|api)/$": ("GET", _row(LOGIN, LOGIN, LOGIN, LOGIN, 200, 404)),
    "admin/(?P<url>.*)$": ("GET", _row(LOGIN, LOGIN, LOGIN, LOGIN, 404, 404)),
    "admin/auth/user/<id>/password/": ("GET", ADMIN_NOBODY),
    # The curators' custom admin views ask for the example's permissions, not staff alone.
    "admin/videos/fewshotexample/validate/": ("POST", ADMIN_CURATOR_VIEWS),
    "admin/videos/fewshotexample/<int:pk>/preview/": ("GET", ADMIN_CURATOR_VIEWS),
    # Accounts, groups and login throttling (django-axes): superusers only.
    **_admin_model_rows("auth/group", **SUPERUSERS_ONLY),
    **_admin_model_rows("auth/user", **SUPERUSERS_ONLY),
    **_admin_model_rows("axes/accessattempt", **SUPERUSERS_ONLY),
    **_admin_model_rows("axes/accesslog", **SUPERUSERS_ONLY),
    **_admin_model_rows("axes/accessfailurelog", **SUPERUSERS_ONLY),
    # Curators read summaries in the admin (read-only content), add and delete none.
    **_admin_model_rows("videos/summary", changelist=ADMIN_CURATOR_VIEWS, add=ADMIN_NOBODY,
                        history=ADMIN_CURATOR_VIEWS, delete=ADMIN_NOBODY, change=ADMIN_CURATOR_VIEWS),
    **_admin_model_rows("videos/topic", changelist=ADMIN_CURATOR_VIEWS, add=ADMIN_NOBODY,
                        history=ADMIN_CURATOR_VIEWS, delete=ADMIN_NOBODY, change=ADMIN_CURATOR_VIEWS),
    **_admin_model_rows("videos/video", changelist=ADMIN_CURATOR_VIEWS, add=ADMIN_CURATOR_VIEWS,
                        history=ADMIN_CURATOR_VIEWS, delete=ADMIN_NOBODY, change=ADMIN_CURATOR_VIEWS),
    **_admin_model_rows("videos/transcript", changelist=ADMIN_CURATOR_VIEWS, add=ADMIN_CURATOR_VIEWS,
                        history=ADMIN_CURATOR_VIEWS, delete=ADMIN_NOBODY, change=ADMIN_CURATOR_VIEWS),
    **_admin_model_rows("videos/prompttemplate", changelist=ADMIN_CURATOR_VIEWS, add=ADMIN_CURATOR_VIEWS,
                        history=ADMIN_CURATOR_VIEWS, delete=ADMIN_NOBODY, change=ADMIN_CURATOR_VIEWS,
                        history_form=ADMIN_CURATOR_VIEWS),
    **_admin_model_rows("videos/fewshotexample", changelist=ADMIN_CURATOR_VIEWS, add=ADMIN_CURATOR_VIEWS,
                        history=ADMIN_CURATOR_VIEWS, delete=ADMIN_CURATOR_VIEWS, change=ADMIN_CURATOR_VIEWS,
                        history_form=ADMIN_CURATOR_VIEWS),
    # API tokens: curators make and revoke anyone's (api migration 0002); a token is never deleted.
    **_admin_model_rows("api/apitoken", changelist=ADMIN_CURATOR_VIEWS, add=ADMIN_CURATOR_VIEWS,
                        history=ADMIN_CURATOR_VIEWS, delete=ADMIN_NOBODY, change=ADMIN_CURATOR_VIEWS),
    # The API (tests/api has the matrix with tokens): its own 401 rather than the login page.
    "api/v1/summaries/": ("GET", API_READ),
    "api/v1/summaries/<int:pk>/": ("GET", API_READ),
    "api/v1/summaries/<int:pk>/export.json": ("GET", API_READ),
    "api/v1/summaries/<int:pk>/export.md": ("GET", API_READ),
    "api/v1/summaries/<int:pk>/make-current/": ("POST", _row(401, 403, 403, 403, 200, 403)),
    "api/v1/videos/": ("GET", API_READ),
    "api/v1/videos/<str:youtube_id>/": ("GET", API_READ),
    # No file sent: a 400 for those who may upload.
    "api/v1/videos/<str:youtube_id>/transcript/": ("POST", _row(401, 403, 403, 400, 400, 403)),
    # The video has a transcript already.
    "api/v1/videos/<str:youtube_id>/transcript/fetch/": ("POST", _row(401, 403, 403, 409, 409, 403)),
    "api/v1/jobs/": ("GET", API_READ),
    "api/v1/jobs/<int:pk>/": ("GET", API_READ),
    "api/v1/jobs/<int:pk>/progress/": ("GET", API_READ),
    "api/v1/templates/": ("GET", API_READ),
    "api/v1/templates/<int:pk>/": ("GET", API_READ),
    "api/v1/examples/": ("GET", API_READ),
    "api/v1/examples/<int:pk>/": ("GET", API_READ),
    # The schema and the docs describe, they hold no data: any account.
    "api/v1/schema/": ("GET", _row(401, 200, 200, 200, 200, 200)),
    "api/v1/docs/": ("GET", _row(LOGIN, 200, 200, 200, 200, 200)),
    "api/v1/(?P<rest>.*)$": ("GET", _row(404, 404, 404, 404, 404, 404)),
    # Anyone logged in makes tokens; another user's token is not found.
    "api/tokens/": ("GET", _row(LOGIN, 200, 200, 200, 200, 200)),
    "api/tokens/<int:pk>/revoke/": ("POST", _row(LOGIN, 404, 404, 404, 404, 404)),
}

# (path, outcomes by role) for each websocket route; the last one takes every other path.
WS_MATRIX: dict[str, tuple[str, dict]] = {
    "ws/summaries/<int:summary_id>/": ("/ws/summaries/{queued}/", _row(4401, 4403, OPEN, OPEN, OPEN, 4403)),
    "ws/queue/": ("/ws/queue/", _row(4401, 4403, OPEN, OPEN, OPEN, 4403)),
    "": ("/ws/nope/", _row(4404, 4404, 4404, 4404, 4404, 4404)),
}


def test_every_route_has_a_row():
    routes = http_routes()
    assert len(routes) == len(set(routes))
    assert sorted(set(routes) - set(HTTP_MATRIX)) == [], "new URL: add its row to HTTP_MATRIX and its path to tests/routes.py"
    assert sorted(set(HTTP_MATRIX) - set(routes)) == [], "a row names a URL that no longer exists"
    assert set(PATHS) == set(HTTP_MATRIX)
    assert {str(r.pattern) for r in websocket_routes} == set(WS_MATRIX)


def _outcome(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith((reverse(settings.LOGIN_URL), reverse("admin:login"))):
        return LOGIN
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", COLUMNS)
def test_http_matrix(role):
    ids = world()
    user = role_user(role)
    wrong = []
    for route, (method, expected) in HTTP_MATRIX.items():
        client = Client()  # a fresh one each time: logging out must not carry over
        if user is not None:
            client.force_login(user)
        path = path_for(route, ids)
        got = _outcome(client.get(path) if method == "GET" else client.post(path))
        if got != expected[role]:
            wrong.append(f"{method} {path} ({route!r}): expected {expected[role]!r}, got {got!r}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@database_sync_to_async
def _ws_headers(role: str) -> tuple[list, dict]:
    groups_as_migrated()
    ids = world()
    user = role_user(role)
    headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return headers, ids


async def _ws_outcome(path: str, headers: list) -> int | str:
    comm = WebsocketCommunicator(application, path, headers=headers)
    try:
        accepted, code = await comm.connect(timeout=10)
        if not accepted:
            return f"refused {code}"
        first = await comm.receive_output(timeout=5)
        if first["type"] == "websocket.close":
            return first["code"]
        return OPEN
    finally:
        await comm.disconnect(timeout=5)


@pytest.fixture
def memory_layer(settings):
    """Who may connect does not depend on the layer; the in-memory one ends a consumer at once."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", COLUMNS)
async def test_websocket_matrix(role, memory_layer):
    headers, ids = await _ws_headers(role)
    wrong = []
    for route, (path_template, expected) in WS_MATRIX.items():
        path = path_template.format(**ids)
        got = await _ws_outcome(path, headers)
        if got != expected[role]:
            wrong.append(f"{path} ({route!r}): expected {expected[role]!r}, got {got!r}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_submitters_cancel_their_own_summaries_and_curators_anyones(client):
    """Submitters hold no `cancel_summary` since migration 0015: the requester's own right
    is enough for their summaries, and only Curators cancel anyone's."""
    assert not Group.objects.get(name="Submitters").permissions.filter(codename="cancel_summary").exists()
    assert Group.objects.get(name="Curators").permissions.filter(codename="cancel_summary").exists()
    submitter, curator = role_user("submitter"), role_user("curator")
    other = role_user("submitter", username="another-submitter")
    own, curators, others = (SummaryFactory(requested_by=u) for u in (submitter, curator, other))
    running = SummaryFactory(requested_by=curator, status="running")

    client.force_login(submitter)
    for summary in (curators, others, running):
        assert "Cancel</button>" not in client.get(reverse("videos:summary_progress", args=[summary.pk])).content.decode()
        assert client.post(reverse("videos:summary_cancel", args=[summary.pk])).status_code == 403
        with pytest.raises(PermissionDenied):
            jobs.summary_cancel(summary_id=summary.pk, user=submitter)
    assert "Cancel</button>" in client.get(reverse("videos:summary_progress", args=[own.pk])).content.decode()
    assert client.post(reverse("videos:summary_cancel", args=[own.pk])).status_code == 302

    client.force_login(curator)
    assert client.post(reverse("videos:summary_cancel", args=[others.pk])).status_code == 302
    assert jobs.summary_cancel(summary_id=running.pk, user=curator).status == "running"  # flagged; stops at the next poll
    statuses = dict(Summary.objects.values_list("pk", "status"))
    assert [statuses[s.pk] for s in (own, curators, others)] == ["cancelled", "queued", "cancelled"]
    assert SummaryJob.objects.get(pk=running.pk).cancel_requested
