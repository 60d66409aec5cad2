"""Who may do what through the API, with tokens: every operation against every role, and
a revoked token. The rights are the pages' (README, "Who may do what")."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.services import token_create, token_revoke
from tests.routes import role_user
from videos.models import Summary
from videos.services import ingestion

from .conftest import TokenClient
from .world import FILES, make_world, valid_answer

pytestmark = pytest.mark.django_db

COLUMNS = ("anonymous", "revoked", "no_group", "viewer", "submitter", "curator", "staff")


def _row(*outcomes) -> dict:
    assert len(outcomes) == len(COLUMNS)
    return dict(zip(COLUMNS, outcomes))


READ = _row(401, 401, 403, 200, 200, 200, 403)
SUBMIT = lambda ok: _row(401, 401, 403, 403, ok, ok, 403)  # noqa: E731 - a row maker
CURATE = lambda ok: _row(401, 401, 403, 403, 403, ok, 403)  # noqa: E731

# (method, path, body, expected); paths and bodies are formatted with the world's ids. In order:
# a row may rely on the ones before it (the example is deleted last).
OPERATIONS = [
    ("GET", "/api/v1/summaries/", None, READ),
    ("GET", "/api/v1/summaries/?field=Quantum%20Computing&cmin=0.4&sort=complexity_desc", None, READ),
    ("GET", "/api/v1/summaries/{summary}/", None, READ),
    ("GET", "/api/v1/summaries/{summary}/export.json", None, READ),
    ("GET", "/api/v1/summaries/{summary}/export.md", None, READ),
    ("GET", "/api/v1/videos/", None, READ),
    ("GET", "/api/v1/videos/{video}/", None, READ),
    ("GET", "/api/v1/jobs/", None, READ),
    ("GET", "/api/v1/jobs/{queued}/", None, READ),
    ("GET", "/api/v1/jobs/{queued}/progress/", None, READ),
    ("GET", "/api/v1/templates/", None, READ),
    ("GET", "/api/v1/templates/{template}/", None, READ),
    ("GET", "/api/v1/examples/", None, READ),
    ("GET", "/api/v1/examples/{example}/", None, READ),
    ("GET", "/api/v1/schema/", None, _row(401, 401, 200, 200, 200, 200, 200)),
    ("POST", "/api/v1/videos/", {"urls": ["https://youtu.be/UiX8K-xBUpE", "{video}"]}, SUBMIT(201)),
    ("POST", "/api/v1/videos/{bare}/transcript/", "upload", SUBMIT(201)),
    ("POST", "/api/v1/videos/{bare}/transcript/fetch/", None, SUBMIT(409)),  # it has one now
    ("POST", "/api/v1/jobs/", {"video": "{video}"}, SUBMIT(202)),
    # Choosing the template is regenerating: curators only.
    ("POST", "/api/v1/jobs/", {"video": "{video}", "template": "{template}", "model_id": "another-model"}, CURATE(202)),
    # Queued by another curator: a submitter cancels only their own.
    ("POST", "/api/v1/jobs/{queued}/cancel/", None, CURATE(200)),
    ("POST", "/api/v1/summaries/{other}/make-current/", None, CURATE(200)),
    ("POST", "/api/v1/templates/", "template", CURATE(201)),
    ("PATCH", "/api/v1/templates/{template}/", {"notes": "checked"}, CURATE(200)),
    ("POST", "/api/v1/examples/", "example", CURATE(201)),
    ("PATCH", "/api/v1/examples/{example}/", {"position": 3}, CURATE(200)),
    ("DELETE", "/api/v1/examples/{example}/", None, CURATE(204)),
]


def _client(role: str) -> TokenClient:
    if role == "anonymous":
        return TokenClient()
    if role == "revoked":
        token, raw = token_create(user=role_user("curator", username="revoked"), name="old")
        token_revoke(token=token)
        return TokenClient(raw)
    return TokenClient(token_create(user=role_user(role), name=role)[1])


def _body(kind, ids: dict):
    if kind == "upload":
        return {"file": SimpleUploadedFile("talk.srt", (FILES / "good.srt").read_bytes())}, None
    if kind == "template":
        return {"name": "api-new", "instruction": "Summarize the video.", "general_topics": ["Quantum Computing", "Algorithms",
                "Databases"], "complexity_scale": [{"min": 0, "max": 1, "label": "Any"}]}, "application/json"
    if kind == "example":
        return {"template": ids["template"], "name": "from-api", "transcript": "words", "answer": valid_answer(),
                "is_active": False}, "application/json"
    return {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in kind.items()} if kind else None, "application/json"


@pytest.fixture
def no_youtube(monkeypatch):
    """Transcript fetches are recorded, not sent (no worker consumes the tests' broker)."""
    sent = []
    monkeypatch.setattr(ingestion, "_enqueue_fetch", lambda pk, **options: sent.append(pk))
    return sent


@pytest.mark.parametrize("role", COLUMNS)
def test_token_matrix(role, no_youtube):
    ids = vars(make_world())
    client = _client(role)
    wrong = []
    for method, path, kind, expected in OPERATIONS:
        path = path.format(**ids)
        data, content_type = _body(kind, ids)
        kwargs = {"content_type": content_type} if content_type and data is not None else {}
        response = getattr(client, method.lower())(path, data, **kwargs) if data is not None else getattr(client, method.lower())(path)
        if response.status_code != expected[role]:
            wrong.append(f"{method} {path}: expected {expected[role]}, got {response.status_code} {response.content[:300]!r}")
        elif response.status_code >= 400:
            assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_a_submitter_cancels_their_own_job_and_a_viewer_none():
    ids = vars(make_world())
    submitter = _client("submitter")
    job = submitter.post("/api/v1/jobs/", {"video": ids["video"]}, content_type="application/json").json()
    assert job["status"] == "queued" and job["may_cancel"] and job["requested_by"] == "role-submitter"
    viewer = _client("viewer")
    assert viewer.get(f"/api/v1/jobs/{job['id']}/").json()["may_cancel"] is False
    assert viewer.post(f"/api/v1/jobs/{job['id']}/cancel/").status_code == 403
    assert submitter.get(f"/api/v1/jobs/{ids['queued']}/").json()["may_cancel"] is False
    cancelled = submitter.post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = submitter.post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_cancellable"
    assert Summary.objects.get(pk=ids["queued"]).status == "queued"
