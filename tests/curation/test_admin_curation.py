"""The curators' admin: live validation, activation, budgets, preview, promote."""

import json

import pytest
from django.urls import reverse

from videos.services import summaries, templates
from videos.models import FewShotExample, PromptTemplate, Summary

from ..videos.factories import SummaryFactory, summary_data
from .test_curation import RUST_FROM_TRANSCRIPT

pytestmark = pytest.mark.django_db


def test_live_validation_uses_the_generators_validator(admin_client, template):
    url = reverse("admin:videos_fewshotexample_validate")
    bad = summary_data(general=(("Quantum Computing", 0.5), ("Computer Architecture", 0.4), ("Theoretical Computer Science", 0.9)))
    bad["sections"][2]["content"].pop()
    r = admin_client.post(url, {"template": template.pk, "answer": json.dumps(bad)}).json()
    assert r == {"ok": False, "errors": ["sections[2].content has 3 bullets; the template asks for 4"]}
    good = FewShotExample.objects.get(name="mixtral8x7b").answer
    assert admin_client.post(url, {"template": template.pk, "answer": good}).json() == {"ok": True, "errors": []}


def test_an_answer_with_the_wrong_shape_cannot_be_activated(admin_client, template):
    bad = summary_data(sections=4)
    example = FewShotExample.objects.create(template=template, name="bad", transcript="t", answer=json.dumps(bad), is_active=False)
    response = admin_client.post(
        reverse("admin:videos_fewshotexample_changelist"), {"action": "activate", "_selected_action": [example.pk]}, follow=True
    )
    assert "Bad not activated: sections has 4 sections; the template asks for 5" in response.content.decode()
    example.refresh_from_db()
    assert not example.is_active


def test_example_page_shows_token_figures_and_preview(admin_client, template, seeded):
    example = FewShotExample.objects.get(name="mixtral8x7b")
    page = admin_client.get(reverse("admin:videos_fewshotexample_change", args=[example.pk])).content.decode()
    assert "left for the transcript" in page
    preview = admin_client.get(reverse("admin:videos_fewshotexample_preview", args=[example.pk]), {"video": "5C_HPTJg5ek"})
    assert preview.status_code == 200
    prompt = preview.context["prompt"]
    assert prompt.transcript_tokens_dropped == 0 and prompt.transcript_tokens_kept > 100
    html = preview.content.decode()
    assert "rust a memory safe compiled programming language" in html


def test_promote_action_makes_an_inactive_example(admin_client, template, seeded):
    from videos.models import Video

    rust = Video.objects.get(slug="rust")
    s = SummaryFactory(video=rust, template=template, status=Summary.Status.RUNNING)
    summaries.summary_store_result(summary_id=s.pk, data=RUST_FROM_TRANSCRIPT, raw_output="{}")
    admin_client.post(reverse("admin:videos_summary_changelist"), {"action": "promote_to_example", "_selected_action": [s.pk]})
    example = FewShotExample.objects.get(source_video=rust)
    assert not example.is_active and json.loads(example.answer) == RUST_FROM_TRANSCRIPT


def test_make_default_refuses_a_template_that_does_not_fit(admin_client, template):
    big = PromptTemplate.objects.create(
        name=template.name, version=2, instruction=template.instruction * 12, general_topics=template.general_topics,
        complexity_scale=template.complexity_scale,
    )
    for ex in template.examples.all():
        FewShotExample.objects.create(template=big, name=ex.name, transcript=ex.transcript, answer=ex.answer)
    response = admin_client.post(
        reverse("admin:videos_prompttemplate_changelist"), {"action": "make_default", "_selected_action": [big.pk]}, follow=True
    )
    assert "Not made the default" in response.content.decode() and "over by" in response.content.decode()
    assert PromptTemplate.objects.get(is_default=True) == template


def test_template_change_page_shows_the_diff(admin_client, template):
    SummaryFactory(template=template)
    template.instruction += "\nKeep it short."
    new = templates.template_save(template=template)
    page = admin_client.get(reverse("admin:videos_prompttemplate_change", args=[new.pk])).content.decode()
    assert '<ins class="wdiff-add">Keep it short.</ins>' in page
