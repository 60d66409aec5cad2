"""The admin's own forms refuse bad few-shot answers and bad video ids."""

import json

import pytest
from django.urls import reverse

from videos.models import FewShotExample, PromptTemplate, Video

from .factories import summary_data

pytestmark = pytest.mark.django_db


def _example_post(template, answer, **extra):
    data = {
        "template": template.pk,
        "name": "new-example",
        "source_video": "",
        "position": 5,
        "is_active": "on",
        "transcript": "some transcript text",
        "answer": answer,
    }
    data.update(extra)
    return data


def _errors(response):
    form = response.context["adminform"].form
    return [str(e) for errs in form.errors.values() for e in errs]


def test_answer_with_too_few_bullets_names_the_path(admin_client, template):
    data = summary_data(general=(("Quantum Computing", 0.5), ("Computer Architecture", 0.4), ("Theoretical Computer Science", 0.9)))
    data["sections"][2]["content"].pop()
    before = FewShotExample.objects.count()
    response = admin_client.post(reverse("admin:videos_fewshotexample_add"), _example_post(template, json.dumps(data)))
    assert response.status_code == 200
    assert "sections[2].content has 3 bullets; the template asks for 4" in _errors(response)
    assert FewShotExample.objects.count() == before


def test_answer_that_is_not_json_is_refused(admin_client, template):
    before = FewShotExample.objects.count()
    response = admin_client.post(reverse("admin:videos_fewshotexample_add"), _example_post(template, "{not json"))
    assert response.status_code == 200
    assert any(e.startswith("The answer is not valid JSON") for e in _errors(response))
    assert FewShotExample.objects.count() == before


def test_answer_with_unknown_field_is_refused(admin_client, template):
    data = summary_data(general=(("Cooking", 0.5), ("Computer Architecture", 0.4), ("Quantum Computing", 0.9)))
    response = admin_client.post(reverse("admin:videos_fewshotexample_add"), _example_post(template, json.dumps(data)))
    assert response.status_code == 200
    assert any("Cooking" in e for e in _errors(response))
    assert not FewShotExample.objects.filter(name="new-example").exists()


def test_valid_answer_is_saved(admin_client, template, seed_data):
    answer = seed_data["shots"][0]["answer"]
    response = admin_client.post(reverse("admin:videos_fewshotexample_add"), _example_post(template, answer))
    assert response.status_code == 302, _errors(response)
    assert json.loads(FewShotExample.objects.get(name="new-example").answer) == json.loads(answer)


def test_stale_edit_of_an_example_is_refused(admin_client, template):
    example = FewShotExample.objects.get(name="mixtral8x7b")
    url = reverse("admin:videos_fewshotexample_change", args=[example.pk])
    first = _example_post(template, example.answer, name=example.name, transcript="first curator", base_revision=1)
    second = _example_post(template, example.answer, name=example.name, transcript="second curator", base_revision=1)
    assert admin_client.post(url, first).status_code == 302
    response = admin_client.post(url, second)
    assert response.status_code == 200
    assert "Someone else saved this example" in response.content.decode()
    example.refresh_from_db()
    assert example.transcript == "first curator" and example.revision == 2


def test_invalid_video_id_in_admin_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:videos_video_add"),
        {
            "youtube_id": "not-an-id",
            "url": "https://www.youtube.com/watch?v=not-an-id",
            "transcript_state": "needed",
            "added_at_0": "2026-01-01",
            "added_at_1": "00:00:00",
            "transcript_attempts": 0,
            "transcript-TOTAL_FORMS": 0,
            "transcript-INITIAL_FORMS": 0,
            "transcript-MIN_NUM_FORMS": 0,
            "transcript-MAX_NUM_FORMS": 1,
        },
    )
    assert response.status_code == 200
    assert "A YouTube video id is 11 characters" in response.content.decode()
    assert not Video.objects.filter(youtube_id="not-an-id").exists()


def test_editing_a_used_template_makes_the_next_version(admin_client, template):
    from .factories import SummaryFactory

    SummaryFactory(template=template)
    url = reverse("admin:videos_prompttemplate_change", args=[template.pk])
    post = {
        "name": template.name,
        "version": template.version,
        "is_default": "on",
        "instruction": template.instruction + " Be brief.",
        "general_topics": json.dumps(template.general_topics),
        "complexity_scale": json.dumps(template.complexity_scale),
        "sections_count": 5,
        "bullets_per_section": 4,
        "topics_per_section": 3,
        "topics_count": 5,
        "general_topics_count": 3,
        "notes": "",
    }
    response = admin_client.post(url, post)
    assert response.status_code == 302
    template.refresh_from_db()
    assert not template.instruction.endswith("Be brief.")
    assert not template.is_default
    new = PromptTemplate.objects.get(name=template.name, version=2)
    assert new.instruction.endswith("Be brief.") and new.is_default and new.previous_id == template.pk
    assert sorted(new.examples.values_list("name", flat=True)) == ["full-stack", "mixtral8x7b"]


def test_a_curator_relaxes_quality_switches_in_a_new_version(admin_client, template):
    from .factories import SummaryFactory

    SummaryFactory(template=template)  # used: the change becomes version 2
    url = reverse("admin:videos_prompttemplate_change", args=[template.pk])
    assert 'value="extractive"' in admin_client.get(url).content.decode()
    post = {
        "name": template.name, "version": template.version, "is_default": "on",
        "instruction": template.instruction, "general_topics": json.dumps(template.general_topics),
        "complexity_scale": json.dumps(template.complexity_scale), "sections_count": 5,
        "bullets_per_section": 4, "topics_per_section": 3, "topics_count": 5, "general_topics_count": 3,
        "relaxed": ["extractive", "examples_as_format"], "notes": "",
    }
    assert admin_client.post(url, post).status_code == 302
    template.refresh_from_db()
    new = PromptTemplate.objects.get(name=template.name, version=2)
    assert (template.relaxed, new.relaxed) == ([], ["extractive", "examples_as_format"])
    config = new.generation_config()
    assert not config.extractive and not config.examples_as_format and config.ground_tokens
