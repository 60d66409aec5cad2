"""The admin's own views and actions ask for the model permission of what they do, not
staff status alone; a summary's content stays read-only whatever is posted."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.catalogue.helpers import make_summary
from tests.routes import role_user
from tests.videos.factories import ExampleFactory, TemplateFactory, TranscriptFactory, UserFactory
from videos.models import FewShotExample, Summary, SummaryGeneralTopic

pytestmark = pytest.mark.django_db


def staff(client, *perms: str):
    user = UserFactory(is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client.force_login(user)
    return client


def test_staff_without_permissions_may_not_preview_or_validate_examples(client):
    example = ExampleFactory()
    staff(client)
    assert client.get(reverse("admin:videos_fewshotexample_preview", args=[example.pk])).status_code == 403
    validate = client.post(reverse("admin:videos_fewshotexample_validate"), {"template": example.template_id, "answer": "{}"})
    assert validate.status_code == 403


def test_a_view_only_account_previews_but_does_not_validate(client):
    example = ExampleFactory()
    staff(client, "videos.view_fewshotexample")
    assert client.get(reverse("admin:videos_fewshotexample_preview", args=[example.pk])).status_code == 200
    validate = client.post(reverse("admin:videos_fewshotexample_validate"), {"template": example.template_id, "answer": "{}"})
    assert validate.status_code == 403


def test_validate_takes_a_post_only(client):
    staff(client, "videos.change_fewshotexample")
    assert client.get(reverse("admin:videos_fewshotexample_validate")).status_code == 405


def _actions(client, model: str = "summary") -> set[str]:
    """The actions the changelist offers (it shows no action form when there are none)."""
    page = client.get(reverse(f"admin:videos_{model}_changelist"))
    assert page.status_code == 200
    form = page.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def test_summary_actions_ask_for_their_permissions(client):
    """A staff account that may only read summaries is offered no action that changes
    one; posting the action anyway changes nothing."""
    first = make_summary()
    second = make_summary(video=first.video, minutes=1)
    staff(client, "videos.view_summary")
    assert _actions(client) == set()
    client.post(reverse("admin:videos_summary_changelist"), {"action": "make_current", "_selected_action": [second.pk]})
    client.post(reverse("admin:videos_summary_changelist"), {"action": "promote_to_example", "_selected_action": [second.pk]})
    assert Summary.objects.get(pk=first.pk).is_current and not FewShotExample.objects.exists()

    client.force_login(role_user("curator"))
    assert _actions(client) == {"make_current", "promote_to_example", "regenerate"}


def test_template_and_example_actions_ask_for_change(client):
    staff(client, "videos.view_prompttemplate", "videos.view_fewshotexample")
    assert _actions(client, "prompttemplate") == _actions(client, "fewshotexample") == set()
    client.force_login(role_user("curator"))
    assert _actions(client, "prompttemplate") == {"make_default"}
    assert _actions(client, "fewshotexample") == {"activate", "deactivate", "delete_selected"}


def _change_form_post(client, summary: Summary) -> dict:
    """What the change form would post: its inlines' management forms, unchanged."""
    page = client.get(reverse("admin:videos_summary_change", args=[summary.pk]))
    assert page.status_code == 200
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        data.update({form.add_prefix(name): form[name].value() for name in form.fields})
    return data


def test_summary_content_is_read_only_in_the_admin(client):
    template = TemplateFactory()
    video = TranscriptFactory().video
    summary = make_summary(video=video, template=template)
    other = make_summary(video=video, template=template, minutes=1)
    example = ExampleFactory(template=template)
    before = (Summary.objects.values().get(pk=summary.pk), json.dumps(summary.result.data, sort_keys=True),
              list(SummaryGeneralTopic.objects.filter(summary=summary).values_list("field", "complexity")),
              list(summary.examples.values_list("pk", flat=True)))
    client.force_login(role_user("curator"))
    data = _change_form_post(client, summary)
    data.update({
        "complexity": "1.5", "general_topics-0-complexity": "1.5", "general_topics-0-field": "Quantum Computing",
        "result-0-data": json.dumps({"introduction": "rewritten"}), "data": "{}", "introduction": "rewritten",
        "status": "failed", "is_current": "", "model_id": "other", "video": other.video_id, "template": "",
        "examples": [example.pk], "no_such_field": "x", "_save": "Save",
    })
    response = client.post(reverse("admin:videos_summary_change", args=[summary.pk]), data)
    assert response.status_code == 302  # saved: with nothing it may change
    summary.refresh_from_db()
    after = (Summary.objects.values().get(pk=summary.pk), json.dumps(summary.result.data, sort_keys=True),
             list(SummaryGeneralTopic.objects.filter(summary=summary).values_list("field", "complexity")),
             list(summary.examples.values_list("pk", flat=True)))
    assert after == before
