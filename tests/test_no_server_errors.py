"""No crafted request gets a server error: a form error, a 4xx or a redirect instead.

The property test sends random query strings and form fields (with the names the views
read, and random ones) to every URL of the resolver, as a logged-in curator, filling
the URL with ids of objects that exist. Django's test client raises a view's exception,
so a 500 fails with its traceback.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.routes import http_routes, path_for, role_user, world
from videos.models import Summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_client(client):
    client.force_login(role_user("curator"))
    return client


@pytest.mark.parametrize("template", ["abc", "1.5", " ", "99999999999999999999999", "-1", "[]"])
def test_regenerate_with_a_template_that_is_no_id_is_a_400(curator_client, template):
    ids = world()
    response = curator_client.post(reverse("videos:regenerate", args=[ids["summary"]]), {"template": template})
    assert response.status_code == 400
    assert Summary.objects.count() == 3  # nothing queued


@pytest.mark.parametrize("template", ["abc", "1.5", "99999999999999999999999", "-1"])
def test_admin_validate_with_a_template_that_is_no_id_asks_for_one(curator_client, template):
    response = curator_client.post(reverse("admin:videos_fewshotexample_validate"), {"template": template, "answer": "{}"})
    assert response.status_code == 200
    assert response.json() == {"ok": False, "errors": ["Choose a template first."]}


def test_admin_regenerate_action_with_a_template_that_is_no_id_asks_for_one(curator_client):
    ids = world()
    response = curator_client.post(
        reverse("admin:videos_summary_changelist"),
        {"action": "regenerate", "_selected_action": [ids["summary"]], "confirm": "1", "template": "abc"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Choose a template version." in response.content.decode()
    assert Summary.objects.count() == 3


# ---- the property test ---------------------------------------------------------------

# The names the views and forms read, so that random values reach their parsing.
PARAMS = [
    "a", "b", "template", "model_id", "next", "state", "page", "video", "q", "topic", "field", "cmin", "cmax",
    "sort", "needs_review", "urls", "url", "replace", "queue_summary", "answer", "upload-url", "upload-replace",
    "action", "_selected_action", "confirm", "select_across", "index", "o", "p", "e", "_popup", "_to_field",
    "_changelist_filters", "base_revision", "name", "position", "is_active", "transcript", "instruction", "ask",
]
AWKWARD = [
    "abc", "-1", "0", "1.5", "1e309", "NaN", "inf", "99999999999999999999", "", " ", "%", "../", "<b>", "[]", "{}",
    "true", "make_current", "regenerate", "promote_to_example", "activate", "make_default",
]
# Every known field at once, none of them the number or choice it should be.
NO_NUMBERS = {name: ["abc"] for name in PARAMS}
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
values = st.one_of(text, st.sampled_from(AWKWARD), st.integers(min_value=-(2**70), max_value=2**70).map(str))
fields = st.dictionaries(st.one_of(st.sampled_from(PARAMS), text.filter(bool)), st.lists(values, min_size=1, max_size=3), max_size=6)
uploads = st.one_of(
    st.none(),
    st.builds(
        lambda name, ext, data: SimpleUploadedFile(name + ext, data),
        st.text("abc", min_size=1, max_size=5), st.sampled_from([".srt", ".vtt", ".txt", ".json", ".exe", ""]),
        st.binary(max_size=300),
    ),
)

# The site's own views get more examples than the pages Django's admin generates.
OWN = {route for route in http_routes() if not route.startswith("admin/")} | {
    "admin/videos/fewshotexample/validate/", "admin/videos/fewshotexample/<int:pk>/preview/",
    "admin/videos/summary/", "admin/videos/prompttemplate/", "admin/videos/fewshotexample/",
}
# Logging out would end the session the next examples need.
SKIP = {"accounts/logout/", "admin/logout/"}


def _no_server_error(client, path: str, examples: int) -> None:
    """Random GETs and POSTs to one path; fails with the first request that got a 5xx
    (or raised), which hypothesis then shrinks."""

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(method=st.sampled_from(["GET", "POST"]), query=fields, form=fields, upload=uploads)
    @example(method="GET", query=NO_NUMBERS, form={}, upload=None)
    @example(method="POST", query=NO_NUMBERS, form=NO_NUMBERS, upload=None)
    def check(method, query, form, upload):
        if method == "GET":
            response = client.get(path, query)
        else:
            if upload is not None:
                form = {**form, "file": upload, "upload-file": upload}
            response = client.post(f"{path}?{urlencode(query, doseq=True)}", form)
        assert response.status_code < 500, (method, path, query, form)

    check()


def test_no_request_gets_a_server_error(curator_client):
    """Every route of the resolver, one after the other on the same objects (one database
    set-up keeps it short); every failing route is reported."""
    ids = world()
    failures = []
    for route in http_routes():
        if route in SKIP:
            continue
        path = path_for(route, ids).split("?")[0]
        try:
            _no_server_error(curator_client, path, 6 if route in OWN else 1)
        except Exception as exc:  # collected, then reported together
            failures.append(f"{route}: {exc!r}"[:2000])
    assert not failures, "\n".join(failures)


def test_ids_out_of_the_databases_range_in_the_url_get_no_server_error(curator_client):
    huge = dict.fromkeys(world(), "99999999999999999999999")
    for route in http_routes():
        if "<int:" in route or "<str:" in route:
            path = path_for(route, huge)
            assert curator_client.get(path).status_code < 500, path
            assert curator_client.post(path).status_code < 500, path
