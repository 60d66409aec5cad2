"""Videos, jobs, templates and examples through the API: the pages' services, with the
pages' outcomes and messages."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.videos.factories import VideoFactory
from videos.models import FewShotExample, PromptTemplate, Summary, Transcript, Video
from videos.services import ingestion

from .world import FILES, GENERAL, make_world, valid_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def fetches(monkeypatch):
    sent = []
    monkeypatch.setattr(ingestion, "_enqueue_fetch", lambda pk, **options: sent.append(pk))
    return sent


def test_adding_videos_gives_one_outcome_per_line_as_the_submit_page(as_role, fetches):
    VideoFactory(youtube_id="lauywdXKEXI")
    urls = ["https://youtu.be/UiX8K-xBUpE", "nonsense", "UiX8K-xBUpE", "https://www.youtube.com/watch?v=lauywdXKEXI"]
    response = as_role("submitter").post("/api/v1/videos/", {"urls": urls}, content_type="application/json")
    assert response.status_code == 201
    outcomes = response.json()["outcomes"]
    assert [(o["line"], o["status"], o["youtube_id"]) for o in outcomes] == [
        (1, "added", "UiX8K-xBUpE"), (2, "invalid", None), (3, "duplicate", None), (4, "exists", "lauywdXKEXI")]
    assert [o["message"] for o in outcomes] == [
        "line 1: UiX8K-xBUpE added", "line 2: 'nonsense' is not a YouTube video URL or id",
        "line 3: UiX8K-xBUpE repeats line 1; added once", "line 4: lauywdXKEXI is already in the catalogue"]
    assert outcomes[0]["summary_queued"] is True
    assert Video.objects.get(youtube_id="UiX8K-xBUpE").added_by.username == "role-submitter"
    again = as_role("submitter", username="again").post("/api/v1/videos/", {"urls": ["UiX8K-xBUpE"]}, content_type="application/json")
    assert again.status_code == 200 and again.json()["outcomes"][0]["status"] == "exists"


def test_videos_past_the_queue_cap_say_so(as_role, fetches, settings):
    settings.SUMMARY_QUEUE_PER_USER = 1
    body = as_role("submitter").post("/api/v1/videos/", {"urls": ["UiX8K-xBUpE", "lauywdXKEXI"]},
                                     content_type="application/json").json()
    assert [o["summary_queued"] for o in body["outcomes"]] == [True, False]
    assert "the most one person may have at once" in body["queue_reason"]


def test_the_video_list_searches_by_id_url_or_title(as_role):
    a, b = VideoFactory(title="Hash tables in depth"), VideoFactory(title="B-trees")
    client = as_role("viewer")

    def found(q):
        return [v["youtube_id"] for v in client.get("/api/v1/videos/", {"q": q}).json()["results"]]

    assert found(a.youtube_id) == [a.youtube_id]
    assert found(f"https://www.youtube.com/watch?v={b.youtube_id}&t=10") == [b.youtube_id]
    assert found("hash TABLES") == [a.youtube_id]
    assert [v["youtube_id"] for v in client.get("/api/v1/videos/", {"state": "needed"}).json()["results"]] == [b.youtube_id, a.youtube_id]


def test_upload_keeps_timestamps_and_can_queue_a_summary(as_role):
    ids = make_world()
    upload = SimpleUploadedFile("talk.vtt", (FILES / "good.vtt").read_bytes())
    response = as_role("submitter").post(f"/api/v1/videos/{ids.bare}/transcript/", {"file": upload, "queue_summary": "true"})
    assert response.status_code == 201, response.content
    body = response.json()
    transcript = body["video"]["transcript"]
    assert transcript["source"] == "upload" and transcript["timed"] is True and transcript["original_filename"] == "talk.vtt"
    assert body["video"]["transcript_state"] == "ready"
    assert body["job"]["status"] == "queued" and body["job"]["video"] == ids.bare and body["job_error"] == ""
    assert Transcript.objects.get(video__youtube_id=ids.bare).segments[0]["start"] >= 0


def test_replace_takes_the_new_file(as_role):
    ids = make_world()
    client = as_role("curator")
    upload = SimpleUploadedFile("notes.txt", b"first line\nsecond line")
    response = client.post(f"/api/v1/videos/{ids.video}/transcript/", {"file": upload, "replace": "true"})
    assert response.status_code == 201 and response.json()["video"]["transcript"]["timed"] is False
    assert Transcript.objects.get(video__youtube_id=ids.video).full_text == "first line second line"


def test_fetching_a_transcript_again(as_role, fetches):
    video = VideoFactory(transcript_state="failed", transcript_error="No captions.")
    response = as_role("submitter").post(f"/api/v1/videos/{video.youtube_id}/transcript/fetch/")
    assert response.status_code == 202 and response.json()["transcript_state"] == "fetching"
    assert fetches == [video.pk]


def test_a_job_from_request_to_status_progress_and_queue(as_role):
    ids = make_world()
    client = as_role("submitter")
    job = client.post("/api/v1/jobs/", {"video": f"https://youtu.be/{ids.video}"}, content_type="application/json").json()
    assert job["status"] == "queued" and job["template"]["name"] == "api-world" and job["position"] == 2
    # The same video, template and model again: the same job, not a second one.
    assert client.post("/api/v1/jobs/", {"video": ids.video}, content_type="application/json").json()["id"] == job["id"]
    snapshot = client.get(f"/api/v1/jobs/{job['id']}/progress/").json()
    assert snapshot["stage"] == "queued" and snapshot["position"] == 2 and snapshot["summary_id"] == job["id"]
    queue = client.get("/api/v1/jobs/").json()
    assert [(item["summary_id"], item["position"]) for item in queue] == [(ids.queued, 1), (job["id"], 2)]


def test_a_curator_chooses_the_template_and_model(as_role):
    ids = make_world()
    other = PromptTemplate.objects.create(name="other", instruction="x", general_topics=["A", "B", "C"],
                                          complexity_scale=[{"min": 0, "max": 1, "label": "any"}])
    job = as_role("curator").post("/api/v1/jobs/", {"video": ids.video, "template": other.pk, "model_id": "m"},
                                  content_type="application/json").json()
    summary = Summary.objects.get(pk=job["id"])
    assert summary.template == other and summary.model_id == "m"
    refused = as_role("submitter").post("/api/v1/jobs/", {"video": ids.video, "model_id": "m"}, content_type="application/json")
    assert refused.status_code == 403 and "curators" in refused.json()["error"]["message"]


def test_a_full_queue_refuses_with_its_reason(as_role, settings):
    ids = make_world()
    settings.SUMMARY_QUEUE_MAX = 1
    response = as_role("submitter").post("/api/v1/jobs/", {"video": ids.video}, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "queue_full"
    assert Summary.objects.filter(status="queued").count() == 1


def test_templates_are_written_with_the_models_checks_and_versioned(as_role):
    ids = make_world()
    client = as_role("curator")
    body = {"name": "short", "instruction": "Summarize briefly.", "general_topics": ["A", "B", "C"],
            "complexity_scale": [{"min": 0, "max": 0.5, "label": "easy"}, {"min": 0.51, "max": 1, "label": "hard"}],
            "sections_count": 3, "is_default": True}
    created = client.post("/api/v1/templates/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["version"] == 1 and created.json()["is_default"] is True
    duplicate_fields = client.post("/api/v1/templates/", {**body, "name": "dup", "general_topics": ["A", "A", "B"]},
                                   content_type="application/json")
    assert duplicate_fields.json()["error"]["fields"] == {"general_topics": ["The fields must be distinct."]}
    # api-world v1 has summaries: an edit makes v2, with copies of the examples.
    edited = client.patch(f"/api/v1/templates/{ids.template}/", {"instruction": "New words."}, content_type="application/json")
    assert edited.status_code == 200
    assert edited.json()["version"] == 2 and edited.json()["previous"] == ids.template and edited.json()["id"] != ids.template
    assert PromptTemplate.objects.get(pk=ids.template).instruction == "Summarize."
    assert FewShotExample.objects.filter(template_id=edited.json()["id"]).count() == 1


def test_an_active_example_must_leave_room_for_a_transcript(as_role):
    ids = make_world()
    client = as_role("curator")
    body = {"template": ids.template, "name": "huge", "transcript": "word " * 9000, "answer": valid_answer(), "is_active": True}
    response = client.post("/api/v1/examples/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "no room for a transcript" in response.json()["error"]["message"]
    assert not FewShotExample.objects.filter(name="huge").exists()
    body = {**body, "transcript": "a short excerpt", "position": 4}
    created = client.post("/api/v1/examples/", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["revision"] == 1
    assert json.loads(FewShotExample.objects.get(name="huge").answer)["General Topics"][0]["topic"] == GENERAL[0][0]
    examples = client.get(f"/api/v1/examples/?template={ids.template}").json()["results"]
    assert [e["name"] for e in examples][-1] == "huge"
