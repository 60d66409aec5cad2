"""The README's curl flow against a running server (pytest-django's live server, real
HTTP): log in and make a token on the tokens page, submit a URL (YouTube answers with its
recorded responses), upload a subtitle file, ask for a summary, poll the job until it is
done, read the summary and its Markdown export.

The generation itself is done by what the worker calls to store a result
(videos.services.summaries.summary_store_result), in the test: a real model on a real
worker is the worker tests' business (tests/worker), and minutes on this machine."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.ingest.recorded import happy_youtube
from tests.routes import groups_as_migrated, role_user
from tests.videos.factories import TemplateFactory, summary_data
from videos import tasks
from videos.ingest import fetch as fetch_module
from videos.models import Summary
from videos.services import ingestion
from videos.services.summaries import summary_store_result, summary_transition

from .world import FILES, GENERAL

pytestmark = pytest.mark.django_db(transaction=True)

VIDEO = "GJLlxj_dtq8"  # the video of YouTube's recorded responses


@pytest.fixture
def youtube(live_server, monkeypatch):
    """YouTube's recorded answers; the fetch runs at once instead of on a Celery worker."""
    fetch_module.reset_client_cache()
    monkeypatch.setattr(ingestion, "_enqueue_fetch",
                        lambda pk, queue_summary=True: ingestion.transcript_fetch(video_id=pk, queue_summary=False))
    with happy_youtube() as rsps:
        rsps.add_passthru(live_server.url)
        yield
    fetch_module.reset_client_cache()


@pytest.fixture
def worker(monkeypatch):
    """Jobs handed to the queue are collected here; `finish` stores a result the way the worker does."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.generate_summary, "apply_async", lambda args, **kwargs: sent.append(args[0]))

    def finish(summary_id: int) -> None:
        summary_transition(summary_id=summary_id, to=Summary.Status.RUNNING)
        data = summary_data(general=GENERAL, prefix="hash tables")
        summary_store_result(summary_id=summary_id, data=data, raw_output=str(data), metrics={"output_tokens": 321},
                             section_times=[[0, 1.5], [1.5, 3.5], [3.5, 7], [7, 30], [30, 64]])

    finish.sent = sent
    return finish


def _token_from_the_page(base: str) -> str:
    user = role_user("submitter", username="ada")
    user.set_password("a long pass phrase 1")
    user.save()
    browser = requests.Session()
    browser.get(f"{base}/accounts/login/")
    login = browser.post(f"{base}/accounts/login/", data={
        "username": "ada", "password": "a long pass phrase 1", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"})
    assert login.ok and "/accounts/login/" not in login.url
    page = browser.post(f"{base}/api/tokens/", data={"name": "my script", "lifetime": "90",
                                                     "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
                        headers={"Referer": f"{base}/api/tokens/"})
    return re.search(r'<code id="new-token">(cvs_[^<]+)</code>', page.text).group(1)


def test_the_readme_flow(live_server, youtube, worker):
    groups_as_migrated()  # an earlier transactional test may have flushed them
    TemplateFactory(name="reference")  # the default template, as `load_seed` makes it
    base = live_server.url
    token = _token_from_the_page(base)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"

    # Submit a URL: the video is added and its transcript fetched from YouTube.
    added = api.post(f"{base}/api/v1/videos/", json={"urls": [f"https://www.youtube.com/watch?v={VIDEO}"]})
    assert added.status_code == 201, added.text
    assert added.json()["outcomes"][0]["message"] == f"line 1: {VIDEO} added"
    video = api.get(f"{base}/api/v1/videos/{VIDEO}/").json()
    assert video["transcript_state"] == "ready" and video["transcript"]["source"] == "youtube_manual"

    # Upload a subtitle file instead (timed cues), replacing YouTube's.
    with open(FILES / "good.srt", "rb") as f:
        uploaded = api.post(f"{base}/api/v1/videos/{VIDEO}/transcript/", files={"file": ("talk.srt", f)},
                            data={"replace": "true"})
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["video"]["transcript"]["source"] == "upload"

    # Ask for a summary, and follow the job until it is done.
    job = api.post(f"{base}/api/v1/jobs/", json={"video": VIDEO})
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]
    assert worker.sent == [job_id]
    assert api.get(f"{base}/api/v1/jobs/{job_id}/progress/").json()["stage"] == "queued"
    worker(job_id)
    deadline = time.monotonic() + 30
    while (status := api.get(f"{base}/api/v1/jobs/{job_id}/").json()["status"]) not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status == "done"

    # Read it, and its Markdown export.
    summary = api.get(f"{base}/api/v1/summaries/{job_id}/").json()
    assert summary["is_current"] and summary["sections"][0]["start"] == 0.0 and summary["sections"][0]["end"] == 1.5
    listed = api.get(f"{base}/api/v1/summaries/", params={"q": "hash tables"}).json()
    assert [item["id"] for item in listed["results"]] == [job_id]
    markdown = api.get(summary["links"]["markdown"])
    assert markdown.status_code == 200 and markdown.headers["Content-Type"].startswith("text/markdown")
    assert markdown.text.startswith("# ") and "## Section 1: hash tables part 1" in markdown.text
