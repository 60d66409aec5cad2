"""Section times and quality figures on a summary's page, its downloads, the compare
page, the admin, and the catalogue's "needs review" filter."""

import json

import pytest
from django.urls import reverse

from videos.filters import SummaryFilter
from videos.models import Summary
from videos.quality import needs_review_q, summary_quality

from .helpers import make_summary

pytestmark = pytest.mark.django_db

TIMES = [[0.0, 61.9], [61.9, 125.2], [125.2, 300.0], [300.0, 480.5], [480.5, 600.0]]
GOOD = {"grounded": 0.91, "copied": 0.0, "repeated": 0.02, "coverage": 0.97}


def _page(client, summary) -> str:
    response = client.get(reverse("videos:summary", args=[summary.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_section_title_links_to_the_video_at_its_start(viewer_client):
    s = make_summary(title="Timed", section_times=TIMES, figures=GOOD)
    html = _page(viewer_client, s)
    vid = s.video.youtube_id
    for start in (0, 61, 125, 300, 480):  # whole seconds, rounded down
        assert f'href="https://www.youtube.com/watch?v={vid}&amp;t={start}s"' in html
    assert html.count("&amp;t=") == 5
    # The link wraps the title, and the stretch is shown beside it.
    assert f'<a href="https://www.youtube.com/watch?v={vid}&amp;t=61s"' in html
    assert "1:01–2:05" in html and "8:00–10:00" in html


def test_a_summary_without_times_has_no_section_links(viewer_client):
    s = make_summary(title="Untimed", figures={**GOOD, "coverage": None})
    html = _page(viewer_client, s)
    assert "&amp;t=" not in html and "&t=" not in html
    assert 'class="section-time"' not in html
    assert "Section 1: p" in html  # the titles are still there, as text
    assert "no section times" in html


def test_the_exports_carry_each_sections_times(viewer_client):
    s = make_summary(title="Timed", section_times=TIMES, figures=GOOD)
    doc = json.loads(viewer_client.get(reverse("videos:summary_json", args=[s.pk])).content)
    assert [(t["section"], t["start"], t["end"]) for t in doc["section_times"]] == [
        (i + 1, start, end) for i, (start, end) in enumerate(TIMES)
    ]
    assert doc["section_times"][1]["url"].endswith("&t=61s")
    assert doc["summary"] == s.data  # the stored summary is left as it was
    assert doc["quality"]["grounded"] == 0.91 and doc["quality"]["needs_review"] is False

    md = viewer_client.get(reverse("videos:summary_markdown", args=[s.pk])).content.decode()
    section_2 = md.split("## Section 2:")[1].split("## ")[0]
    assert f"(https://www.youtube.com/watch?v={s.video.youtube_id}&t=61s)" in section_2
    assert "61.9 s to 125.2 s" in section_2
    assert "480.5 s to 600 s" in md


def test_untimed_exports_have_no_times(viewer_client):
    s = make_summary(title="Untimed")
    doc = json.loads(viewer_client.get(reverse("videos:summary_json", args=[s.pk])).content)
    assert doc["section_times"] == []
    md = viewer_client.get(reverse("videos:summary_markdown", args=[s.pk])).content.decode()
    assert "&t=" not in md and " s to " not in md


def test_the_figures_in_plain_words(viewer_client):
    s = make_summary(title="Good", section_times=TIMES, figures=GOOD)
    html = _page(viewer_client, s)
    assert "91% of its words occur in the transcript" in html
    assert "none copied from a few-shot example" in html
    assert "2% repeated phrases" in html
    assert "sections cover 97% of the video" in html
    assert "Needs review" not in html


def test_a_summary_below_a_threshold_says_it_needs_review(viewer_client):
    s = make_summary(title="Copied", section_times=TIMES, figures={**GOOD, "grounded": 0.4, "copied": 0.3})
    html = _page(viewer_client, s)
    assert '<p class="note needs-review" role="status"><strong>Needs review:</strong>' in html
    assert "fewer than 85% of its words occur in the transcript" in html
    assert "more than 2% copied from a few-shot example" in html
    assert "30% copied from a few-shot example" in html
    assert "repeated phrases;" not in html.split("Needs review:</strong>")[1].split("</p>")[0]


def test_an_unmeasured_summary_is_neither_flagged_nor_described():
    s = make_summary(title="Old")
    quality = summary_quality(Summary.objects.select_related("result").get(pk=s.pk))
    assert not quality.measured and not quality.needs_review


def _needs_review(params):
    from django.http import QueryDict

    f = SummaryFilter(data=QueryDict(params), queryset=Summary.objects.current())
    return set(f.qs.values_list("video__title", flat=True))


def test_the_needs_review_filter_selects_summaries_past_any_threshold(settings):
    settings.SUMMARY_REVIEW_THRESHOLDS = {"grounded_min": 0.85, "copied_max": 0.02, "repeated_max": 0.05, "coverage_min": 0.8}
    make_summary(title="good", figures=GOOD)
    make_summary(title="at the thresholds", figures={"grounded": 0.85, "copied": 0.02, "repeated": 0.05, "coverage": 0.8})
    make_summary(title="ungrounded", figures={**GOOD, "grounded": 0.84})
    make_summary(title="copied", figures={**GOOD, "copied": 0.03})
    make_summary(title="repetitive", figures={**GOOD, "repeated": 0.2})
    make_summary(title="short coverage", figures={**GOOD, "coverage": 0.5})
    make_summary(title="untimed", figures={**GOOD, "coverage": None})
    make_summary(title="unmeasured")
    bad = make_summary(title="not current", figures={**GOOD, "grounded": 0.1})
    make_summary(title="current twin", video=bad.video, figures=GOOD)  # the first one stays current
    Summary.objects.filter(pk=bad.pk).update(is_current=False)
    Summary.objects.filter(video=bad.video).exclude(pk=bad.pk).update(is_current=True)

    assert _needs_review("needs_review=on") == {"ungrounded", "copied", "repetitive", "short coverage"}
    assert len(_needs_review("")) == 9  # off: every current summary
    settings.SUMMARY_REVIEW_THRESHOLDS = {**settings.SUMMARY_REVIEW_THRESHOLDS, "coverage_min": 0.4}
    assert _needs_review("needs_review=on") == {"ungrounded", "copied", "repetitive"}


def test_the_catalogue_page_filters_by_needs_review(viewer_client):
    make_summary(title="Fine", figures=GOOD)
    make_summary(title="Repetitive", figures={**GOOD, "repeated": 0.4})
    html = viewer_client.get("/").content.decode()
    assert 'name="needs_review"' in html and "Fine" in html and "Repetitive" in html
    response = viewer_client.get("/?needs_review=on")
    assert [c.title for c in response.context["cards"]] == ["Repetitive"]
    assert 'name="needs_review" id="id_needs_review" checked' in response.content.decode()


def test_the_compare_page_shows_both_summaries_figures(viewer_client):
    a = make_summary(title="Twice", section_times=TIMES, figures=GOOD)
    b = make_summary(video=a.video, figures={"grounded": 0.42, "copied": 0.1, "repeated": 0.0, "coverage": None})
    html = viewer_client.get(reverse("videos:compare") + f"?a={a.pk}&b={b.pk}").content.decode()
    head_a, head_b = html.split(f'id="summary-{a.pk}"')[1], html.split(f'id="summary-{b.pk}"')[1]
    assert "91% of its words occur in the transcript" in head_a.split("</th>")[0]
    assert "within the thresholds" in head_a.split("</th>")[0]
    assert "42% of its words occur in the transcript" in head_b.split("</th>")[0]
    assert "10% copied from a few-shot example" in head_b and "no repeated phrases" in head_b
    assert "needs review" in head_b.split("</th>")[0]


def test_the_admin_shows_the_figures_read_only(admin_client):
    s = make_summary(title="Admin", section_times=TIMES, figures={**GOOD, "copied": 0.3})
    html = admin_client.get(reverse("admin:videos_summary_change", args=[s.pk])).content.decode()
    assert "Needs review: more than 2% copied from a few-shot example" in html
    assert "91% of its words occur in the transcript" in html
    assert 'name="result-0-grounded"' not in html  # shown, not editable


def test_synthetic_summaries_get_section_times_and_figures():
    import io

    from django.core.management import call_command

    from videos.models import SummaryResult

    call_command("make_synthetic_summaries", 40, "--seed", "3", "--batch", "20", stdout=io.StringIO())
    results = list(SummaryResult.objects.select_related("summary__video"))
    assert len(results) == 40
    for r in results:
        assert len(r.section_times) == len(r.data["sections"]) and r.section_times[0][0] == 0.0
        assert r.section_times[-1][1] <= r.summary.video.duration_seconds
        assert all(0.0 <= getattr(r, name) <= 1.0 for name in ("grounded", "copied", "repeated", "coverage"))
    flagged = Summary.objects.filter(needs_review_q("result__")).count()
    assert 0 < flagged < 40  # most are within the thresholds, some are not
