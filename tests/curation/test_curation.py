"""Curation: grounding, compare, promote, template versions, budgets, activation."""

import json

import pytest
from django.urls import reverse

from videos.services import curation, summaries, templates
from videos.models import FewShotExample, PromptTemplate, Summary

from ..videos.factories import SummaryFactory, UserFactory

pytestmark = pytest.mark.django_db

RUST_FROM_TRANSCRIPT = {
    "introduction": "Rust is a memory safe compiled programming language.",
    "sections": [
        {
            "title": f"Section {i + 1}: Rust memory safety",
            "content": [
                "Rust is a memory safe compiled programming language.",
                "It delivers highlevel simplicity with lowlevel performance.",
                "A popular choice for game engines databases and operating systems.",
                "An excellent choice when targeting webassembly.",
            ],
            "topics": ["memory safe", "programming language", "webassembly"],
        }
        for i in range(5)
    ],
    "topics": ["Rust", "memory safe", "performance", "webassembly", "operating systems"],
    "General Topics": [
        {"topic": "Programming Languages and Software Development", "complexity": 0.45},
        {"topic": "Computer Architecture", "complexity": 0.3},
        {"topic": "Software Engineering and System Design", "complexity": 0.4},
    ],
}


def _done(video, template, data, current=False):
    s = SummaryFactory(video=video, template=template, status=Summary.Status.RUNNING)
    summaries.summary_store_result(summary_id=s.pk, data=data, raw_output=json.dumps(data), metrics={"output_tokens": 321})
    s.refresh_from_db()
    if current:
        summaries.summary_make_current(summary=s)
    return s


@pytest.fixture
def rust(seeded):
    from videos.models import Video

    return Video.objects.get(slug="rust")


def test_copying_an_example_scores_lower_than_a_grounded_summary(rust, template, seed_data):
    copied = json.loads(seed_data["shots"][0]["answer"])  # the Mistral video's curated answer
    transcript = rust.transcript.full_text
    g_copied = curation.grounding(copied, transcript)
    g_grounded = curation.grounding(RUST_FROM_TRANSCRIPT, transcript)
    assert g_grounded.score > 0.8
    assert g_copied.score < 0.35
    assert g_copied.score < g_grounded.score


def test_compare_page_shows_both_with_figures_and_differences(client, rust, template, seed_data):
    first = _done(rust, template, RUST_FROM_TRANSCRIPT)
    copied = json.loads(seed_data["shots"][0]["answer"])
    second = _done(rust, template, copied)
    assert first.is_current and not second.is_current  # the new one waits for a curator
    client.force_login(UserFactory(username="cur", is_superuser=True))
    response = client.get(reverse("videos:compare"), {"a": first.pk, "b": second.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"summary-{first.pk}" in html and f"summary-{second.pk}" in html
    assert "<mark>" in html  # differences are highlighted
    g = response.context["columns"]
    assert g[0]["grounding"].score > g[1]["grounding"].score
    # make the second one current
    response = client.post(reverse("videos:make_current", args=[second.pk]), {"next": reverse("videos:compare") + f"?a={first.pk}"})
    assert response.status_code == 302
    assert Summary.objects.get(video=rust, is_current=True).pk == second.pk


def test_make_current_needs_the_permission(client, rust, template):
    first = _done(rust, template, RUST_FROM_TRANSCRIPT)
    second = _done(rust, template, RUST_FROM_TRANSCRIPT)
    client.force_login(UserFactory(username="viewer"))
    assert client.post(reverse("videos:make_current", args=[second.pk])).status_code == 403
    assert Summary.objects.get(video=rust, is_current=True).pk == first.pk


def test_promote_makes_an_inactive_example_cut_by_tokens(rust, template):
    from inference.tokens import count_tokens

    summary = _done(rust, template, RUST_FROM_TRANSCRIPT)
    example = curation.example_promote(summary=summary, max_transcript_tokens=100, model_id=None)
    assert not example.is_active and example.template == template and example.source_video == rust
    assert 90 <= count_tokens(example.transcript) <= 100
    assert rust.transcript.full_text.startswith(example.transcript[:200])
    assert json.loads(example.answer) == RUST_FROM_TRANSCRIPT
    templates.example_validate_answer(template=template, answer=example.answer)  # valid as it stands
    with pytest.raises(ValueError):
        curation.example_promote(summary=summary, max_transcript_tokens=100)


def test_token_budget_matches_the_tokenizer(template):
    from inference.tokens import load_tokenizer

    budget = curation.template_budget(template)
    tok = load_tokenizer(None)
    assert budget.instruction_tokens == len(tok(template.instruction, add_special_tokens=False)["input_ids"])
    assert len(budget.example_tokens) == 2
    # the fixed part holds both examples and the instruction three times (2 examples + target)
    assert budget.fixed_tokens > sum(budget.example_tokens) + budget.instruction_tokens
    assert budget.transcript_room == budget.context_tokens - budget.fixed_tokens - budget.output_budget


def test_a_template_whose_examples_do_not_fit_cannot_be_the_default(template):
    big = PromptTemplate.objects.create(
        name="big", version=1, instruction=template.instruction, general_topics=template.general_topics,
        complexity_scale=template.complexity_scale,
    )
    for i, ex in enumerate(template.examples.all()):
        for copy in range(2):
            FewShotExample.objects.create(template=big, name=f"{ex.name}-{copy}", transcript=ex.transcript * 2, answer=ex.answer, position=i * 2 + copy)
    with pytest.raises(curation.TemplateDoesNotFit) as exc:
        curation.template_check_fits(big)
    assert "over by" in str(exc.value) and "tokens" in str(exc.value)
    over_by = int(str(exc.value).split("over by ")[1].split()[0])
    assert over_by == 1 - curation.template_budget(big).transcript_room


def test_regeneration_keeps_the_current_summary(rust, template):
    first = _done(rust, template, RUST_FROM_TRANSCRIPT)
    second = _done(rust, template, RUST_FROM_TRANSCRIPT)
    assert Summary.objects.get(video=rust, is_current=True) == first
    assert not second.is_current
