"""Bad input gets a 4xx in the one error shape, and nothing is stored: malformed JSON,
wrong types, unknown fields, oversize bodies and files, huge page sizes, bad cursors,
unknown query parameters and URLs, wrong methods and content types."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from videos.models import FewShotExample, PromptTemplate, Summary, Transcript, Video

from tests.catalogue.helpers import make_summary

from .world import make_world

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def curator(as_role):
    return as_role("curator")


def _counts():
    return (Video.objects.count(), Summary.objects.count(), Transcript.objects.count(), PromptTemplate.objects.count(),
            FewShotExample.objects.count())


@pytest.mark.parametrize("body", ['{"urls": ["x"]', "[1, 2", "NaN", '{"urls": NaN}', "\x00", "[" * 100_000 + "]" * 100_000])
def test_malformed_json_is_a_400(curator, body):
    make_world()
    before = _counts()
    _error(curator.post("/api/v1/videos/", body, content_type="application/json"), 400, "parse_error")
    _error(curator.post("/api/v1/jobs/", body, content_type="application/json"), 400, "parse_error")
    assert _counts() == before


@pytest.mark.parametrize("path,body,field", [
    ("/api/v1/videos/", {"urls": "https://youtu.be/UiX8K-xBUpE"}, "urls"),
    ("/api/v1/videos/", {"urls": [1, {"a": 1}]}, "urls.1"),
    ("/api/v1/videos/", {"urls": []}, "urls"),
    ("/api/v1/videos/", {"urls": ["a"] * 501}, "urls"),
    ("/api/v1/videos/", {"urls": ["UiX8K-xBUpE\nlauywdXKEXI"]}, "urls.0"),
    ("/api/v1/videos/", [1, 2], None),
    ("/api/v1/jobs/", {"video": 5}, None),
    ("/api/v1/jobs/", {"video": "UiX8K-xBUpE", "template": "abc"}, "template"),
    ("/api/v1/jobs/", {"video": "not a url at all"}, "video"),
    ("/api/v1/templates/", {"name": "x", "instruction": "i", "general_topics": "A", "complexity_scale": []}, "general_topics"),
    ("/api/v1/templates/", {"name": "bad name!", "instruction": "i", "general_topics": ["A"],
                            "complexity_scale": [{"min": 0.5, "max": 0.2, "label": "x"}]}, "name"),
    ("/api/v1/examples/", {"template": 1, "name": "x", "transcript": "t", "answer": "{not json"}, "answer"),
])
def test_wrong_types_are_a_400_naming_the_field(curator, path, body, field):
    make_world()
    before = _counts()
    error = _error(curator.post(path, body, content_type="application/json"), 400, "invalid")
    if field:
        assert field in error["fields"], error
    assert _counts() == before


def test_unknown_fields_are_refused_not_ignored(curator):
    ids = make_world()
    before = _counts()
    error = _error(curator.post("/api/v1/jobs/", {"video": ids.video, "priority": "high"}, content_type="application/json"), 400)
    assert error["fields"] == {"priority": ["Unknown field."]}
    error = _error(curator.patch(f"/api/v1/examples/{ids.example}/", {"revision": 9, "answr": "{}"},
                                 content_type="application/json"), 400)
    assert set(error["fields"]) == {"answr", "revision"}
    assert _counts() == before


def test_an_example_answer_gets_the_generators_own_messages(curator):
    ids = make_world()
    error = _error(curator.patch(f"/api/v1/examples/{ids.example}/", {"answer": '{"introduction": "x"}'},
                                 content_type="application/json"), 400)
    assert any("sections" in message for message in error["fields"]["answer"])


def test_unknown_query_parameters_are_refused(curator):
    error = _error(curator.get("/api/v1/summaries/?fields=Quantum"), 400)
    assert error["fields"] == {"fields": ["Unknown query parameter."]}


@pytest.mark.parametrize("query", ["cmin=abc", "cmax=2", "sort=random", "page_size=0", "page_size=101",
                                   "page_size=99999999999999999999", "page_size=-1", "cursor=abc", "cursor="])
def test_bad_filters_page_sizes_and_cursors_are_a_400(curator, query):
    make_world()
    if query == "cursor=":
        assert curator.get(f"/api/v1/summaries/?{query}").status_code == 200  # empty: the first page
        return
    name = query.split("=")[0]
    assert name in _error(curator.get(f"/api/v1/summaries/?{query}"), 400, "invalid")["fields"]


def test_a_cursor_from_another_query_or_edited_is_refused(curator):
    make_summary()
    make_summary()
    page = curator.get("/api/v1/summaries/?page_size=1").json()
    cursor = page["next"].split("cursor=")[1]
    assert curator.get(f"/api/v1/summaries/?page_size=1&cursor={cursor}").status_code == 200
    _error(curator.get(f"/api/v1/summaries/?page_size=1&sort=title&cursor={cursor}"), 400)
    _error(curator.get(f"/api/v1/summaries/?page_size=1&cursor={cursor[:-2]}xx"), 400)


def test_an_oversize_body_is_a_413(curator, settings):
    make_world()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = _counts()
    _error(curator.post("/api/v1/videos/", {"urls": ["UiX8K-xBUpE" + " " * 20_000]}, content_type="application/json"), 413)
    assert _counts() == before


def test_an_oversize_subtitle_file_is_a_413_with_the_pages_message(curator, settings):
    ids = make_world()
    settings.SUBTITLE_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.srt", b"1\n00:00:01,000 --> 00:00:02,000\nword\n\n" * 200)
    error = _error(curator.post(f"/api/v1/videos/{ids.bare}/transcript/", {"file": upload}), 413, "too_large")
    assert "big.srt is larger than 1 KiB" in error["message"]
    assert not Transcript.objects.filter(video__youtube_id=ids.bare).exists()


def test_a_broken_subtitle_file_gets_the_parsers_message(curator):
    ids = make_world()
    from .world import FILES

    upload = SimpleUploadedFile("bad.srt", (FILES / "bad_timestamp.srt").read_bytes())
    error = _error(curator.post(f"/api/v1/videos/{ids.bare}/transcript/", {"file": upload}), 400)
    assert error["fields"]["file"][0].startswith("bad.srt: line")


def test_wrong_method_and_content_type(curator):
    ids = make_world()
    _error(curator.delete("/api/v1/summaries/"), 405, "method_not_allowed")
    _error(curator.put(f"/api/v1/templates/{ids.template}/", {}, content_type="application/json"), 405)
    _error(curator.post("/api/v1/videos/", "urls=x", content_type="application/x-www-form-urlencoded"), 415)
    _error(curator.post(f"/api/v1/videos/{ids.bare}/transcript/", {}, content_type="application/json"), 415)


def test_unknown_objects_and_urls_are_404s(curator):
    for path in ("/api/v1/summaries/999999/", "/api/v1/summaries/99999999999999999999999/", "/api/v1/jobs/0/",
                 "/api/v1/videos/nope/", "/api/v1/templates/5555/", "/api/v1/nothing/here", "/api/v1/"):
        _error(curator.get(path), 404, "not_found")


def test_a_summary_not_done_is_not_found_with_the_pages_message(curator):
    ids = make_world()
    error = _error(curator.get(f"/api/v1/summaries/{ids.queued}/"), 404)
    assert error["message"] == "No such summary (or it is not done yet)."


def test_state_conflicts_are_409s(curator):
    ids = make_world()
    _error(curator.post(f"/api/v1/videos/{ids.video}/transcript/fetch/"), 409, "transcript_exists")
    error = _error(curator.post("/api/v1/jobs/", {"video": ids.bare}, content_type="application/json"), 409, "no_transcript")
    assert error["message"].startswith("Could not queue a summary: video")
    upload = SimpleUploadedFile("talk.txt", b"hello there")
    _error(curator.post(f"/api/v1/videos/{ids.video}/transcript/", {"file": upload}), 409, "transcript_exists")


def test_a_stale_example_revision_is_a_409(curator):
    ids = make_world()
    first = curator.patch(f"/api/v1/examples/{ids.example}/", {"position": 2, "base_revision": 1}, content_type="application/json")
    assert first.status_code == 200 and first.json()["revision"] == 2
    stale = curator.patch(f"/api/v1/examples/{ids.example}/", {"position": 5, "base_revision": 1}, content_type="application/json")
    assert "Someone else saved this example" in _error(stale, 409, "stale_revision")["message"]
    assert FewShotExample.objects.get(pk=ids.example).position == 2


def test_a_server_error_still_has_the_shape(curator, monkeypatch):
    monkeypatch.setattr("api.views.jobs.progress.queue_snapshot", lambda: 1 / 0)
    _error(curator.get("/api/v1/jobs/"), 500, "server_error")
