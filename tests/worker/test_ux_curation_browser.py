"""The curators' template diff and prompt preview in a real browser (issue 18, items 13
and 14): both wrap instead of running off the page, and additions and removals look
different by more than colour. Served by daphne under the Content-Security-Policy."""

import os

import pytest

from tests.catalogue.test_browser import browser, log_in  # noqa: F401 - fixtures
from tests.videos.factories import SummaryFactory
from videos.services import templates

from .test_browser_csp import page, site, violations  # noqa: F401 - fixtures

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Wider than its box: what a line that does not wrap makes.
OVERFLOWS = "sel => Array.from(document.querySelectorAll(sel)).filter(e => e.scrollWidth > e.clientWidth + 1).length"


def test_the_diff_and_the_preview_wrap_and_mark_changes(site, page, seeded, django_user_model, output_dir):  # noqa: F811
    from playwright.sync_api import expect

    from videos.models import FewShotExample, PromptTemplate

    django_user_model.objects.create_superuser("ux-curator", "c@example.com", "pw-for-tests-1")
    template = PromptTemplate.objects.get(name="reference", version=1)
    SummaryFactory(template=template)
    template.instruction = template.instruction.replace("software and engineering", "software engineering") + " Be brief."
    new = templates.template_save(template=template)
    log_in(page, site, "ux-curator")
    page.set_default_timeout(90_000)  # the first page to count tokens loads the model's tokenizer

    page.goto(f"{site}/admin/videos/prompttemplate/{new.pk}/change/")
    diff = page.locator(".wdiff")
    expect(diff.locator("del.wdiff-del").first).to_be_visible()
    expect(diff.locator("ins.wdiff-add").first).to_be_visible()
    assert page.evaluate(OVERFLOWS, ".wdiff") == 0
    style = "(sel) => { const s = getComputedStyle(document.querySelector(sel)); return [s.textDecorationLine, s.backgroundColor]; }"
    added, removed = page.evaluate(style, "ins.wdiff-add"), page.evaluate(style, "del.wdiff-del")
    assert added[0] == "underline" and removed[0] == "line-through" and added[1] != removed[1]
    marker = "(sel) => getComputedStyle(document.querySelector(sel), '::before').content"
    assert page.evaluate(marker, "ins.wdiff-add") == '"+"' and page.evaluate(marker, "del.wdiff-del") == '"\u2212"'
    diff.scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / "ux-curation-template-diff.png"), full_page=True)

    example = FewShotExample.objects.filter(template=template, is_active=True).first()
    page.goto(f"{site}/admin/videos/fewshotexample/{example.pk}/preview/?video=5C_HPTJg5ek")
    expect(page.locator(".prompt-transcript .prompt-label")).to_contain_text("transcript of this video")
    assert page.evaluate(OVERFLOWS, ".prompt-block pre, .prompt-exact") == 0
    page.screenshot(path=str(output_dir / "ux-curation-prompt-preview.png"), full_page=True)
    assert violations(page) == []
