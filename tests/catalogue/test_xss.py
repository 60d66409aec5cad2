"""Everything a model or a transcript wrote is untrusted: it must reach the page as text."""

import pytest
from django.urls import reverse

from tests.videos.factories import TranscriptFactory

from .helpers import make_summary

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
ATTR = 'Quote" onmouseover="alert(2)'
SVG = "</text><script>alert(3)</script>"

RAW = ["<script>alert(", "<img src=x onerror", '" onmouseover="alert(2)', "</text><script>"]
# As Django's templates escape them.
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;"
ESCAPED_IMG = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"


@pytest.fixture
def hostile():
    summary = make_summary(
        title=f"Title {SCRIPT}",
        channel=f"Channel {IMG}",
        intro=f"Intro {SCRIPT} {IMG}",
        general=((ATTR, 0.5), (SVG, 0.9)),
        topics=[f"Topic {SCRIPT}", f"Topic {IMG}", ATTR, "D", "E"],
        section_titles=[f"Section 1: {SCRIPT}"],
        bullets={(0, 0): f"Bullet {IMG}", (1, 1): f"Bullet {SCRIPT}"},
        section_topics={(0, 0): f"Chip {IMG}"},
    )
    TranscriptFactory(video=summary.video, full_text=f"Transcript {SCRIPT} {IMG}")
    return summary


def assert_inert(html: str, script: str = ESCAPED_SCRIPT, img: str = ESCAPED_IMG):
    for raw in RAW:
        assert raw not in html, raw
    assert script in html
    assert img in html


def test_catalogue_escapes_model_output(viewer_client, hostile):
    html = viewer_client.get(reverse("videos:catalogue")).content.decode()
    assert_inert(html)
    assert "&lt;/text&gt;&lt;script&gt;" in html  # a field name inside the SVG chart
    assert "Quote&quot; onmouseover=&quot;alert(2)" in html
    assert f"Title {ESCAPED_SCRIPT}" in html and f"Intro {ESCAPED_SCRIPT} {ESCAPED_IMG}" in html


def test_catalogue_partial_escapes_model_output(viewer_client, hostile):
    html = viewer_client.get(reverse("videos:catalogue"), {"sort": "title"}, headers={"HX-Request": "true"}).content.decode()
    assert_inert(html)


def test_search_echo_is_escaped(viewer_client, hostile):
    html = viewer_client.get(reverse("videos:catalogue"), {"q": SCRIPT, "topic": IMG}).content.decode()
    for raw in RAW[:2]:
        assert raw not in html


def test_summary_page_escapes_model_and_transcript_output(viewer_client, hostile):
    html = viewer_client.get(reverse("videos:summary", args=[hostile.pk])).content.decode()
    assert_inert(html)
    assert f"Transcript {ESCAPED_SCRIPT}" in html
    assert f"Section 1: {ESCAPED_SCRIPT}" in html
    # The chip's link carries the topic URL-encoded, not as markup.
    assert "?topic=Chip+%3Cimg+src%3Dx+onerror%3D%22alert%281%29%22%3E" in html


def test_downloads_are_attachments_not_pages(viewer_client, hostile):
    for name in ("videos:summary_json", "videos:summary_markdown"):
        response = viewer_client.get(reverse(name, args=[hostile.pk]))
        assert response["Content-Disposition"].startswith("attachment;")
        assert not response["Content-Type"].startswith("text/html")
