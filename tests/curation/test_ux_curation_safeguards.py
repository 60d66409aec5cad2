"""Curation safeguards (issue 18, items 12-14): an example that leaves no room for a
transcript is not activated, a template's diff is word by word and wrapped, and the
prompt preview shows its parts apart while its text stays exact."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from videos import admin as admin_module
from videos.models import FewShotExample, PromptTemplate
from videos.services import curation, templates

from ..videos.factories import SummaryFactory

pytestmark = pytest.mark.django_db


def _activate(client, *examples):
    return client.post(
        reverse("admin:videos_fewshotexample_changelist"),
        {"action": "activate", "_selected_action": [e.pk for e in examples]},
        follow=True,
    ).content.decode()


# --- item 12: activation checks the token budget ------------------------------------


def test_an_example_that_leaves_no_room_for_a_transcript_is_not_activated(admin_client, template):
    first = template.examples.order_by("position").first()
    big = FewShotExample.objects.create(template=template, name="too-long", transcript=first.transcript * 3,
                                        answer=first.answer, position=9, is_active=False)
    active = list(template.examples.filter(is_active=True).order_by("position", "id"))
    room = curation.template_budget(template, examples=[*active, big]).transcript_room
    assert room < 1

    html = _activate(admin_client, big)
    assert f"Too-long not activated: with it, the instruction and 3 active example(s) of {template}" in html
    assert f"over by {1 - room} tokens, with no room for a transcript." in html
    assert "activated." not in html.replace("not activated", "")
    big.refresh_from_db()
    assert not big.is_active


def test_an_example_that_fits_is_activated(admin_client, template):
    first = template.examples.order_by("position").first()
    small = FewShotExample.objects.create(template=template, name="short", transcript="A short talk about hashing.",
                                          answer=first.answer, position=9, is_active=False)
    assert "1 example(s) activated." in _activate(admin_client, small)
    small.refresh_from_db()
    assert small.is_active


def _sized(template, text: str, name: str, position: int) -> FewShotExample:
    first = template.examples.order_by("position").first()
    return FewShotExample(template=template, name=name, transcript=text, answer=first.answer, position=position,
                          is_active=False)


def test_the_check_counts_the_examples_activated_before_it_in_the_same_action(admin_client, template):
    """Two examples that each fit alone, but not together: the second one selected is refused."""
    active = list(template.examples.filter(is_active=True))
    room = curation.template_budget(template).transcript_room
    words = (template.examples.order_by("position").first().transcript + " ") * 4

    def cost(n: int) -> int:
        extra = _sized(template, " ".join(words.split()[:n]), "probe", 9)
        return room - curation.template_budget(template, examples=[*active, extra]).transcript_room

    lo, hi = 1, len(words.split())
    while lo < hi:  # the fewest words that take more than half the room
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if cost(mid) <= room // 2 else (lo, mid)
    assert room // 2 < cost(lo) < room
    text = " ".join(words.split()[:lo])
    a, b = _sized(template, text, "first-half", 8), _sized(template, text, "second-half", 9)
    a.save()
    b.save()
    html = _activate(admin_client, a, b)
    assert "1 example(s) activated." in html and "Second-half not activated: with it," in html
    assert list(template.examples.filter(is_active=True, name__endswith="half").values_list("name", flat=True)) == ["first-half"]


# --- item 13: a word-level template diff --------------------------------------------------


def _new_version(template, instruction: str) -> PromptTemplate:
    SummaryFactory(template=template)  # a used version: the edit becomes the next one
    template.instruction = instruction
    return templates.template_save(template=template)


def test_the_word_diff_marks_only_the_words_that_changed(template):
    old = template.instruction
    new = _new_version(template, old.replace("Do not include any other sections.", "Keep it short.") + "\nAlso this.")
    pieces = curation.template_word_diff(new)
    added = [t for k, t in pieces if k == "add"]
    removed = [t for k, t in pieces if k == "del"]
    assert "Keep it short." in " ".join(added) and "Also this." in added
    assert "Do not include any other sections." in " ".join(removed)
    # Same and added pieces are the new text exactly; same and removed ones, the old words.
    assert "".join(t for k, t in pieces if k in ("same", "add")) == "\n".join(curation._diff_lines(new))
    assert "".join(t for k, t in pieces if k in ("same", "del", "gap")).split() == "\n".join(
        curation._diff_lines(new.previous)).split()
    # Marks cover words only: the spacing after a changed run is outside it.
    assert all(t == t.strip() for k, t in pieces if k in ("add", "del"))


def test_the_template_page_shows_a_wrapped_diff_with_marks_not_colour_alone(admin_client, template):
    new = _new_version(template, template.instruction.replace("software and engineering", "software engineering"))
    html = admin_client.get(reverse("admin:videos_prompttemplate_change", args=[new.pk])).content.decode()
    assert "css/curation_admin.css" in html
    assert '<del class="wdiff-del">and</del>' in html
    assert '<div class="wdiff">' in html and "@@" not in html
    css = (Path(__file__).resolve().parents[2] / "static/css/curation_admin.css").read_text()
    assert "white-space:pre-wrap" in css and "line-through" in css and "underline" in css
    assert 'content:"+"' in css and 'content:"\\2212"' in css


def test_long_unchanged_stretches_are_folded_next_to_the_changes(admin_client, template):
    new = _new_version(template, template.instruction.replace("software and engineering", "software engineering"))
    html = admin_client.get(reverse("admin:videos_prompttemplate_change", args=[new.pk])).content.decode()
    diff = re.search(r'<div class="wdiff">(.*?)</div>', html, re.S).group(1)
    assert re.search(r'<span class="wdiff-skip">⋯ \d+ unchanged lines ⋯</span>', diff)
    assert "Quantum Computing" not in diff  # the field list, far from the change
    assert '<del class="wdiff-del">and</del>' in diff


def test_folding_keeps_two_lines_of_context_on_each_side():
    pieces = [("same", "a\nb\nc\nd\ne\nf\ng "), ("add", "X"), ("same", " h\ni\nj\nk\nl\nm")]
    assert admin_module._folded(pieces) == [
        ("skip", "4 unchanged lines"), ("same", "\ne\nf\ng "), ("add", "X"), ("same", " h\ni\nj\n"),
        ("skip", "3 unchanged lines"),
    ]
    short = [("same", "a\nb "), ("del", "Y"), ("same", " c")]
    assert admin_module._folded(short) == short


def test_a_first_version_says_so(admin_client, template):
    html = admin_client.get(reverse("admin:videos_prompttemplate_change", args=[template.pk])).content.decode()
    assert "This is the first version." in html


# --- item 14: the prompt preview ----------------------------------------------------------


def test_the_preview_shows_the_parts_apart_and_the_exact_text(admin_client, template, seeded):
    example = FewShotExample.objects.filter(template=template, is_active=True).first()
    response = admin_client.get(reverse("admin:videos_fewshotexample_preview", args=[example.pk]), {"video": "5C_HPTJg5ek"})
    assert response.status_code == 200
    prompt, blocks = response.context["prompt"], response.context["blocks"]
    assert "".join(b.text for b in blocks) == prompt.text  # the copyable text is the prompt, exactly
    kinds = [b.kind for b in blocks if b.kind != "markup"]
    assert kinds == ["instruction", "example", "answer"] * 2 + ["instruction", "transcript"]
    # The seam: the instruction runs straight into the transcript in the text, and the
    # preview shows them as two blocks.
    last_instruction, transcript = [b for b in blocks if b.kind != "markup"][-2:]
    assert (last_instruction.text + transcript.text) in prompt.text
    assert transcript.text.startswith("rust a memory safe compiled programming language")
    html = response.content.decode()
    assert "css/curation_admin.css" in html
    assert html.count('class="prompt-block prompt-instruction"') == 3
    assert '<h3 class="prompt-label">transcript of this video' in html
    assert '<pre class="prompt-exact" id="prompt-exact">' in html


def test_cutting_keeps_every_character_even_when_a_piece_is_missing():
    text = "<s>user\nDo this.hello there</s>\n<s>assistant\n"
    blocks = curation._cut(text, [("instruction", "instruction", "Do this."), ("x", "example", "not in it"),
                                  ("y", "example", "hello")])
    assert "".join(b.text for b in blocks) == text
    assert [b.kind for b in blocks] == ["markup", "instruction", "markup"]
