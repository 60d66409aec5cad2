"""Curators' tools: promote a summary to a few-shot example, compare two
summaries of one video, measure how grounded a summary is in its transcript,
and show what changed between template versions."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from inference import Example, GenerationConfig, PromptSpec
from inference.prompt import BuiltPrompt, build_prompt, compact_answer, prefix_parts
from inference.tokens import context_tokens, load_tokenizer, prompt_budget

from ..models import FewShotExample, PromptTemplate, Summary, normalize_topic

# Words too common to say anything about grounding.
STOPWORDS = frozenset(
    """a an and are as at be been but by can do does for from has have how in into is it its of on or that the
    their them then there these this those through to up use used uses using was we were what when where which
    while who why will with within without you your about also between both each more most other over such than
    very via its it's they our out all any some one two three four five six video section introduction discussion
    explanation overview""".split()
)
WORD_RE = re.compile(r"[a-z0-9][a-z0-9+#.-]*[a-z0-9+#]|[a-z0-9]")


def content_words(text: str) -> list[str]:
    return [w for w in WORD_RE.findall(normalize_topic(text)) if len(w) > 2 and w not in STOPWORDS]


@dataclass(frozen=True)
class Grounding:
    """How much of a summary can be found in its video's transcript."""

    topics_found: int
    topics_total: int
    words_found: int
    words_total: int

    @property
    def topic_share(self) -> float:
        return self.topics_found / self.topics_total if self.topics_total else 0.0

    @property
    def word_share(self) -> float:
        return self.words_found / self.words_total if self.words_total else 0.0

    @property
    def score(self) -> float:
        """The mean of the two shares, 0.0-1.0."""
        return round((self.topic_share + self.word_share) / 2, 3)


def _topic_in(topic: str, transcript_words: set[str], transcript_folded: str) -> bool:
    folded = normalize_topic(topic)
    if folded and folded in transcript_folded:
        return True
    words = content_words(topic)
    return bool(words) and all(w in transcript_words for w in words)


def grounding(data: dict, transcript_text: str) -> Grounding:
    """Share of topics and of bullet content words that appear in the transcript.

    A summary that copied its few-shot examples instead of the video names
    topics and words the transcript never says, and scores low."""
    folded = normalize_topic(transcript_text)
    transcript_words = set(WORD_RE.findall(folded))
    topics = list(data.get("topics", []))
    for section in data.get("sections", []):
        topics.extend(section.get("topics", []))
    bullet_words = [w for s in data.get("sections", []) for b in s.get("content", []) for w in content_words(b)]
    return Grounding(
        topics_found=sum(_topic_in(t, transcript_words, folded) for t in topics),
        topics_total=len(topics),
        words_found=sum(w in transcript_words for w in bullet_words),
        words_total=len(bullet_words),
    )


def summary_grounding(summary: Summary) -> Grounding | None:
    transcript = getattr(summary.video, "transcript", None)
    if not summary.data or transcript is None:
        return None
    return grounding(summary.data, transcript.full_text)


# --- side by side --------------------------------------------------------------


def word_diff(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both texts as (chunk, differs) pieces, for highlighting what differs.
    The pieces are plain text: templates escape them like any model output."""
    wa, wb = a.split(), b.split()
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append((" ".join(wa[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append((" ".join(wb[j1:j2]), tag != "equal"))
    return left, right


def _pad(items: list, n: int, fill):
    return list(items) + [fill] * (n - len(items))


def compare_rows(a: dict, b: dict) -> dict:
    """Section-by-section rows of two summaries with word-level differences."""
    intro = word_diff(a.get("introduction", ""), b.get("introduction", ""))
    sa, sb = a.get("sections", []), b.get("sections", [])
    n = max(len(sa), len(sb))
    empty = {"title": "", "content": [], "topics": []}
    sections = []
    for x, y in zip(_pad(sa, n, empty), _pad(sb, n, empty)):
        m = max(len(x["content"]), len(y["content"]))
        bullets = [word_diff(p, q) for p, q in zip(_pad(x["content"], m, ""), _pad(y["content"], m, ""))]
        tx, ty = set(map(normalize_topic, x["topics"])), set(map(normalize_topic, y["topics"]))
        sections.append(
            {
                "title": word_diff(x["title"], y["title"]),
                "bullets": bullets,
                "topics": (
                    [(t, normalize_topic(t) not in ty) for t in x["topics"]],
                    [(t, normalize_topic(t) not in tx) for t in y["topics"]],
                ),
            }
        )
    ga, gb = set(map(normalize_topic, a.get("topics", []))), set(map(normalize_topic, b.get("topics", [])))
    general_a = {g["topic"]: g["complexity"] for g in a.get("General Topics", [])}
    general_b = {g["topic"]: g["complexity"] for g in b.get("General Topics", [])}
    return {
        "introduction": intro,
        "sections": sections,
        "topics": (
            [(t, normalize_topic(t) not in gb) for t in a.get("topics", [])],
            [(t, normalize_topic(t) not in ga) for t in b.get("topics", [])],
        ),
        "general": (
            [(f, c, general_b.get(f) != c) for f, c in general_a.items()],
            [(f, c, general_a.get(f) != c) for f, c in general_b.items()],
        ),
    }


# --- template versions -----------------------------------------------------------


def _previous_version(template: PromptTemplate) -> PromptTemplate | None:
    if template.previous is not None:
        return template.previous
    return PromptTemplate.objects.filter(name=template.name, version__lt=template.version).order_by("-version").first()


def _diff_lines(t: PromptTemplate) -> list[str]:
    """What a curator changes in a version, as lines: the instruction, then the shape."""
    shape = (
        f"shape: {t.sections_count} sections x {t.bullets_per_section} bullets x {t.topics_per_section} topics; "
        f"{t.topics_count} topics; {t.general_topics_count} general topics"
    )
    return [
        *t.instruction.splitlines(),
        "",
        shape,
        "general topics: " + json.dumps(t.general_topics),
        "complexity scale: " + json.dumps(t.complexity_scale),
    ]


# A word with the spaces after it, or leading whitespace alone.
_WORD_TOKEN = re.compile(r"\S+\s*|\s+")


def _word_runs(tag: str, old: list[str], new: list[str]) -> list[tuple[str, str]]:
    """The pieces of one opcode. The whitespace after a changed run stays outside its
    mark (so an underline or strike covers words only). The spacing after removed words
    is a 'gap': shown, so that what went and what came do not touch, but not part of
    the new text."""
    gone, came = "".join(old), "".join(new)
    if tag == "equal":
        return [("same", came)]
    out = []
    if gone:
        core = gone.rstrip()
        tail = gone[len(core):]
        out.append(("del", core))
        out.append(("gap", tail if not came or "\n" in tail else tail[:1]))
    if came:
        core = came.rstrip()
        out.append(("add", core))
        out.append(("same", came[len(core):]))
    return [(kind, text) for kind, text in out if text]


def template_word_diff(template: PromptTemplate) -> list[tuple[str, str]]:
    """The whole text of the version as (kind, text) pieces against the previous one,
    word by word: kind is 'same', 'add', 'del' or 'gap' (see _word_runs). Words are compared without their
    spacing, and unchanged stretches keep the new version's line breaks, so the text
    reads as the new version does. Empty for a first version."""
    previous = _previous_version(template)
    if previous is None:
        return []
    old = _WORD_TOKEN.findall("\n".join(_diff_lines(previous)))
    new = _WORD_TOKEN.findall("\n".join(_diff_lines(template)))
    matcher = difflib.SequenceMatcher(a=[t.strip() for t in old], b=[t.strip() for t in new], autojunk=False)
    pieces: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pieces.extend(_word_runs(tag, old[i1:i2], new[j1:j2]))
    return pieces


# --- promote ---------------------------------------------------------------------


def _cut_to_tokens(text: str, max_tokens: int, model_id: str | None) -> str:
    tokenizer = load_tokenizer(model_id or None)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) <= max_tokens:
        return text
    return tokenizer.decode(ids[:max_tokens], skip_special_tokens=True).strip()


@transaction.atomic
def example_promote(*, summary: Summary, max_transcript_tokens: int = 1500, model_id: str | None = None) -> FewShotExample:
    """Make a done summary a few-shot example of its template: the transcript
    cut to `max_transcript_tokens` tokens plus the summary as the answer.
    It starts inactive, until a curator turns it on. Tokens are counted with
    the configured model's tokenizer: the one the example will be shown to."""
    if summary.status != Summary.Status.DONE or not summary.data:
        raise ValueError(f"summary #{summary.pk} is {summary.status}; only a done summary can become an example")
    transcript = getattr(summary.video, "transcript", None)
    if transcript is None:
        raise ValueError(f"{summary.video} has no transcript to use as the example's input")
    base = (summary.video.slug or summary.video.youtube_id).lower()
    name = f"{base}-s{summary.pk}"
    if FewShotExample.objects.filter(template=summary.template, name=name).exists():
        raise ValueError(f"summary #{summary.pk} is already the example {name!r}")
    last = FewShotExample.objects.filter(template=summary.template).order_by("-position").values_list("position", flat=True).first()
    return FewShotExample.objects.create(
        template=summary.template,
        name=name,
        source_video=summary.video,
        transcript=_cut_to_tokens(transcript.full_text, max_transcript_tokens, model_id or settings.SUMMARIZER_MODEL),
        answer=json.dumps(summary.data, indent=2, ensure_ascii=False),
        position=(last or 0) + 1,
        is_active=False,
    )


# --- token budget ----------------------------------------------------------------


def template_spec(template: PromptTemplate, examples=None):
    """The inference PromptSpec for a template and its active examples (in order)."""
    if examples is None:
        examples = template.examples.filter(is_active=True).order_by("position", "id")
    return PromptSpec(
        instruction=template.instruction,
        shape=template.shape(),
        examples=tuple(Example(transcript=e.transcript, answer=e.answer) for e in examples),
    )


def template_budget(template: PromptTemplate, *, examples=None, model_id: str | None = None):
    """Token figures of a template's prompt with the configured model's tokenizer."""
    return prompt_budget(template_spec(template, examples), model_id or settings.SUMMARIZER_MODEL or None)


class TemplateDoesNotFit(ValueError):
    """The instruction and examples leave no room for a transcript; `over_by` says by how
    many tokens (at least one token of transcript must fit)."""

    def __init__(self, message: str, *, over_by: int) -> None:
        self.over_by = over_by
        super().__init__(message)


def _check_room(subject: str, budget) -> None:
    if budget.transcript_room < 1:
        over_by = 1 - budget.transcript_room
        raise TemplateDoesNotFit(
            f"{subject} take {budget.fixed_tokens} tokens and {budget.output_budget} are kept for the answer, "
            f"in a {budget.context_tokens}-token context: over by {over_by} tokens, with no room for a transcript",
            over_by=over_by,
        )


def template_check_fits(template: PromptTemplate, *, model_id: str | None = None) -> None:
    """Refuse a template whose examples leave no room for a transcript."""
    _check_room(f"{template}: the instruction and active examples", template_budget(template, model_id=model_id))


def example_check_fits(example: FewShotExample, *, model_id: str | None = None) -> None:
    """Refuse to activate an example that would leave its template no room for a
    transcript: the same rule as making a template the default, checked with this
    example among the template's active ones, in their order."""
    template = example.template
    active = [e for e in template.examples.filter(is_active=True).order_by("position", "id") if e.pk != example.pk]
    with_it = sorted([*active, example], key=lambda e: (e.position, e.pk))
    _check_room(
        f"with it, the instruction and {len(with_it)} active example(s) of {template}",
        template_budget(template, examples=with_it, model_id=model_id),
    )


# --- prompt preview ----------------------------------------------------------------


@dataclass(frozen=True)
class PromptBlock:
    """One labelled stretch of a prompt's exact text; kind is 'instruction', 'example',
    'answer', 'transcript' or 'markup' (the chat template's own text between them)."""

    label: str
    kind: str
    text: str


def _cut(text: str, pieces: list[tuple[str, str, str]]) -> list[PromptBlock]:
    """`text` cut at the pieces, found in order, with what lies between them as markup
    blocks. The blocks joined give `text` back exactly; a piece the chat template did not
    keep verbatim ends the cutting, and the rest is one markup block."""
    blocks, pos = [], 0
    for label, kind, piece in pieces:
        at = text.find(piece, pos) if piece else -1
        if at < 0:
            break
        if at > pos:
            blocks.append(PromptBlock("chat format", "markup", text[pos:at]))
        blocks.append(PromptBlock(label, kind, piece))
        pos = at + len(piece)
    if pos < len(text):
        blocks.append(PromptBlock("chat format", "markup", text[pos:]))
    return blocks


def prompt_preview(template: PromptTemplate, transcript: str, *, model_id: str | None = None) -> tuple[BuiltPrompt, list[PromptBlock]]:
    """The exact prompt a video gets with the template's active examples (the reference
    layout), and the same text as labelled blocks. The layout runs each instruction
    straight into its transcript with no separator; the blocks show where one ends."""
    model = model_id or settings.SUMMARIZER_MODEL or None
    cfg = GenerationConfig()
    spec = template_spec(template)
    tokenizer = load_tokenizer(model)
    parts = prefix_parts(tokenizer, spec, compact_examples=cfg.compact_examples)
    prompt = build_prompt(tokenizer, spec, transcript, context_tokens=context_tokens(model),
                          output_budget=cfg.max_new_tokens, compact_examples=cfg.compact_examples, parts=parts)
    pieces = []
    for n, example in enumerate(spec.examples, 1):
        answer = compact_answer(spec.shape, example.answer) if cfg.compact_examples else example.answer
        pieces += [("instruction", "instruction", spec.instruction), (f"example {n}: transcript", "example", example.transcript),
                   (f"example {n}: answer", "answer", answer)]
    pieces.append(("instruction", "instruction", spec.instruction))
    kept = prompt.text[len(parts.prefix_text):len(prompt.text) - len(parts.suffix_text)]
    blocks = [*_cut(parts.prefix_text, pieces), PromptBlock("transcript of this video", "transcript", kept)]
    if parts.suffix_text:
        blocks.append(PromptBlock("chat format", "markup", parts.suffix_text))
    return prompt, blocks
