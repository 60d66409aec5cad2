"""The progress and queue pages."""

import pytest
from django.urls import reverse

from tests.videos.factories import SummaryFactory
from videos.models import Summary

pytestmark = pytest.mark.django_db


def test_progress_page_shows_the_snapshot_and_escapes_model_text(client, make_user):
    viewer = make_user("videos.view_summary")
    summary = SummaryFactory(status="running", job__progress={"status": "running", "stage": "generating", "stage_label": "Generating",
                                                         "percent": 12.5, "text": "<script>alert(1)</script>"})
    client.force_login(viewer)
    response = client.get(reverse("videos:summary_progress", args=[summary.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert 'id="progress-snapshot"' in body and f'data-ws-path="/ws/summaries/{summary.pk}/"' in body
    assert "js/progress.js" in body
    assert "Cancel</button>" not in body  # a viewer may not cancel


def test_progress_page_needs_the_view_permission(client, make_user):
    client.force_login(make_user())
    assert client.get(reverse("videos:summary_progress", args=[SummaryFactory().pk])).status_code == 403


def test_cancel_form_without_javascript(client, make_user):
    requester = make_user("videos.view_summary")
    summary = SummaryFactory(requested_by=requester)
    client.force_login(requester)
    page = client.get(reverse("videos:summary_progress", args=[summary.pk]))
    assert "Cancel</button>" in page.content.decode()
    response = client.post(reverse("videos:summary_cancel", args=[summary.pk]))
    assert response.status_code == 302
    assert Summary.objects.get(pk=summary.pk).status == "cancelled"


def test_cancel_form_is_refused_to_a_viewer(client, make_user):
    client.force_login(make_user("videos.view_summary"))
    summary = SummaryFactory()
    assert client.post(reverse("videos:summary_cancel", args=[summary.pk])).status_code == 403
    assert Summary.objects.get(pk=summary.pk).status == "queued"


def test_queue_page_lists_active_summaries_with_positions(client, make_user):
    client.force_login(make_user("videos.view_summary"))
    running = SummaryFactory(status="running")
    queued = SummaryFactory()
    SummaryFactory(status="done")
    response = client.get(reverse("videos:queue"))
    assert response.status_code == 200
    items = response.context["items"]
    assert [(i["summary_id"], i["position"]) for i in items] == [(running.pk, None), (queued.pk, 1)]
    assert 'data-ws-path="/ws/queue/"' in response.content.decode()


def test_the_script_never_puts_text_in_as_html():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "progress.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script
