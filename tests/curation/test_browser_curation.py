"""A curator's path in a real browser: promote a summary to an example,
regenerate, compare two summaries and make the other one current."""

import json
import os

import pytest

from videos.services import summaries
from videos.models import FewShotExample, Summary, Video

from ..catalogue.test_browser import browser, log_in, page  # noqa: F401 - fixtures
from ..videos.factories import SummaryFactory
from .test_curation import RUST_FROM_TRANSCRIPT

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_summaries(seeded, template, django_user_model):
    rust = Video.objects.get(slug="rust")
    rust.title = "Rust in 100 seconds"
    rust.save()
    copied = json.loads(FewShotExample.objects.get(name="mixtral8x7b").answer)
    made = []
    for data in (RUST_FROM_TRANSCRIPT, copied):
        s = SummaryFactory(video=rust, template=template, status=Summary.Status.RUNNING)
        summaries.summary_store_result(summary_id=s.pk, data=data, raw_output=json.dumps(data), metrics={"output_tokens": 400})
        made.append(Summary.objects.get(pk=s.pk))
    django_user_model.objects.create_superuser("curator", "c@example.com", "pw-for-tests-1")
    return made


def test_promote_regenerate_compare_and_make_current(page, live_server, two_summaries, output_dir):  # noqa: F811
    from playwright.sync_api import expect

    first, second = two_summaries
    assert first.is_current and not second.is_current
    base = live_server.url
    log_in(page, base, "curator")

    # Promote the first summary to a few-shot example from the admin's action menu.
    page.goto(f"{base}/admin/videos/summary/")
    page.check(f"input[name=_selected_action][value='{first.pk}']")
    page.select_option("select[name=action]", "promote_to_example")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("is now the inactive example")
    example = FewShotExample.objects.get(source_video=first.video)
    assert not example.is_active and json.loads(example.answer) == RUST_FROM_TRANSCRIPT

    # Regenerate from the summary page: a new summary is queued, the current one stays.
    page.goto(f"{base}/summaries/{first.pk}/")
    page.click("details.curate summary")
    page.click("form.regenerate button[type=submit]")
    page.wait_for_url(f"{base}/summaries/*/progress/")
    newest = Summary.objects.filter(video=first.video).order_by("-pk").first()
    assert newest.status == Summary.Status.QUEUED and newest.pk not in (first.pk, second.pk)
    assert Summary.objects.get(video=first.video, is_current=True).pk == first.pk

    # Compare the two done summaries and make the second one current.
    page.goto(f"{base}/summaries/compare/?a={first.pk}&b={second.pk}")
    expect(page.locator(f"#summary-{first.pk}")).to_contain_text("Grounding")
    expect(page.locator("table.compare mark").first).to_be_visible()
    page.screenshot(path=str(output_dir / "compare.png"), full_page=True)
    page.locator(f"#summary-{second.pk} button.make-current").click()
    expect(page.locator(".messages")).to_contain_text(f"Summary #{second.pk} is now the current summary")
    assert Summary.objects.get(video=first.video, is_current=True).pk == second.pk
