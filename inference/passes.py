"""How one summary is written: the model calls it takes, and what each one reads.

* One pass (`Part.WHOLE`): the template's instruction and the whole transcript, for an untimed
  transcript short enough that the longest summary the grammar allows still fits the context
  beside it (when `extractive` is off: extractive sections need a stretch each), or when
  `split_by_time` is off (the transcript is then cut to fit, as before).
* Map, then reduce, for a timed transcript or a long one: the transcript is cut into one
  stretch per section (`parts.split`: by time on cue boundaries, or by words without times).
  Each stretch gets its own call (`Part.SECTION`) with a short fixed instruction, and the
  section stores the stretch's start and end. A last call (`Part.OVERVIEW`) reads the
  template's instruction and the sections' notes and writes the introduction, the topics and
  the general topics.

Extractive (`GenerationConfig.extractive`): a stretch's call offers the stretch's best
sentences (`inference.extract`) as its bullets and its key phrases as its title, listed in the
prompt before the stretch; the overview offers sentences of the whole video, none already a
bullet, as the introduction. The engine puts the picked sentences back in transcript order.

Why a fixed instruction for the stretches: the template's instruction asks for a whole summary,
which is not what a stretch call writes; it stays the instruction of the call that speaks for
the whole video (one pass, or the overview). Being the same for every stretch and video, the
stretch prompt's prefix is computed once and its KV cache reused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

from . import fields as field_rank
from . import extract
from .config import GenerationConfig
from .grammar import INTRO_SENTENCES, Grammar, Part, grammar
from .parts import Cue, condensed, is_timed
from .prompt import PromptSpec
from .schema import TemplateShape
from .topics import candidates

PART_INSTRUCTION = (
    "The text below is one part of the transcript of a computer science video. Write one "
    "section of the video's summary as JSON: a \"title\" that names what this part explains, "
    "4 \"content\" bullets on what it says, using the transcript's own words, and its 3 main "
    "\"topics\".\n\n"
)
NOTES_HEADING = "\n\nThe video, section by section:\n"
TOPIC_CANDIDATES = 10
SENTENCE_CHOICES = 8  # sentences offered for a section's bullets, or for the introduction
TITLE_CHOICES = 5
CHOICES_HEADING = "Sentences of this part, to choose the bullets from:\n"
INTRO_HEADING = "Sentences of the video, to choose the introduction from:\n"
TEXT_HEADING = "\n\nThe transcript:\n"


@dataclass(frozen=True)
class Call:
    """One model call: its prompt's spec and text, its grammar, what it may write."""

    part: Part
    spec: PromptSpec
    text: str  # the transcript (or notes) part of the prompt
    grammar: Grammar
    words_from: str  # the text whose words grounded free text may use
    free_keys: frozenset[str]
    section: int = 0
    order: tuple[str, ...] = ()  # the sentences offered, in transcript order (extractive)


def prompt_spec(spec: PromptSpec, cfg: GenerationConfig) -> PromptSpec:
    """The template's spec as the model sees it: without the examples when they are shown as
    format only (the grammar carries the format, so nothing of their content can be copied)."""
    return replace(spec, examples=()) if cfg.examples_as_format else spec


def free_keys(cfg: GenerationConfig, *keys: str) -> frozenset[str]:
    return frozenset(keys) | ({"topics"} if not cfg.transcript_topics else frozenset())


def topic_choices(cfg: GenerationConfig, shape: TemplateShape, texts: Sequence[str]) -> tuple[str, ...] | None:
    if not cfg.transcript_topics:
        return None
    found = candidates(texts, limit=TOPIC_CANDIDATES, max_chars=shape.topic_chars)
    return tuple(found) if len(found) >= max(shape.topics, shape.section_topics) else None


def ranked_fields(cfg: GenerationConfig, shape: TemplateShape, text: str) -> tuple[str, ...] | None:
    """The general topics chosen from the transcript's words (`inference.fields`), or None:
    the model chooses."""
    return field_rank.rank(shape.fields, text, shape.general_topics) if cfg.rank_fields else None


def whole_call(spec: PromptSpec, cues: Sequence[Cue], cfg: GenerationConfig) -> Call:
    text = " ".join(c.text for c in cues)
    texts = [c.text for c in cues]
    shape = spec.shape
    choices = topic_choices(cfg, shape, texts)
    g = grammar(shape, Part.WHOLE, topics=choices,
                section_topics=(choices,) * shape.sections if choices else None,
                fields=ranked_fields(cfg, shape, text))
    return Call(Part.WHOLE, prompt_spec(spec, cfg), text, g, text,
                free_keys(cfg, "introduction", "title", "content"))


def section_call(spec: PromptSpec, k: int, cues: Sequence[Cue], cfg: GenerationConfig,
                 fit: int, count: Any, used: Sequence[str] = (), titles_used: Sequence[str] = ()) -> Call:
    """Section k's call: its stretch, condensed to `fit` tokens; `used` and `titles_used`: the
    bullets and titles of the sections before it (an extractive section does not repeat them)."""
    shape = spec.shape
    texts = [c.text for c in cues]
    choices = topic_choices(cfg, shape, texts)
    text = condensed(cues, fit, count)
    bullets = titles = None
    if cfg.extractive and cues:
        phrases = candidates(texts, limit=TOPIC_CANDIDATES, max_chars=shape.topic_chars)
        found = extract.sentences(cues, phrases, SENTENCE_CHOICES, shape.bullet_chars,
                                  need=shape.bullets, avoid=used)
        head = len(f"Section {k}: ")
        taken = {t.split(": ", 1)[-1].lower() for t in titles_used}
        named = [p for p in phrases if len(p) <= shape.title_chars - head and p.lower() not in taken][:TITLE_CHOICES]
        if len(found) >= shape.bullets and named:
            bullets, titles = tuple(found), tuple(named)
            text = CHOICES_HEADING + "".join(f"- {s}\n" for s in found) + TEXT_HEADING + text
    g = grammar(shape, Part.SECTION, section=k, topics=choices, bullets=bullets, titles=titles)
    part_spec = PromptSpec(instruction=PART_INSTRUCTION, shape=shape, examples=())
    free = free_keys(cfg, *(() if bullets else ("title", "content")))
    return Call(Part.SECTION, part_spec, text, g, " ".join(texts), free, section=k, order=bullets or ())


def notes(sections: Sequence[dict[str, Any]], times: Sequence[tuple[float, float]] | None) -> str:
    lines = []
    for k, s in enumerate(sections):
        when = f" ({clock(times[k][0])}-{clock(times[k][1])})" if times else ""
        lines.append(f"{s['title']}{when}. " + " ".join(b.rstrip(".") + "." for b in s["content"])
                     + " Topics: " + ", ".join(s["topics"]) + ".")
    return NOTES_HEADING + "\n".join(lines)


def overview_call(spec: PromptSpec, cues: Sequence[Cue], sections: Sequence[dict[str, Any]],
                  times: Sequence[tuple[float, float]] | None, cfg: GenerationConfig) -> Call:
    shape = spec.shape
    texts = [c.text for c in cues]
    choices = topic_choices(cfg, shape, texts)
    text = " ".join(texts)
    prompt_text, intro = notes(sections, times), None
    if cfg.extractive:
        phrases = candidates(texts, limit=TOPIC_CANDIDATES, max_chars=shape.topic_chars)
        room = (shape.introduction_chars - INTRO_SENTENCES + 1) // INTRO_SENTENCES
        said = [b for s in sections for b in s["content"]]
        found = extract.sentences(cues, phrases, SENTENCE_CHOICES, room, need=INTRO_SENTENCES, avoid=said)
        if len(found) >= INTRO_SENTENCES:
            intro = tuple(found)
            prompt_text = INTRO_HEADING + "".join(f"- {s}\n" for s in found) + prompt_text
    g = grammar(shape, Part.OVERVIEW, topics=choices, fields=ranked_fields(cfg, shape, text), intro=intro)
    return Call(Part.OVERVIEW, prompt_spec(spec, cfg), prompt_text, g, text,
                free_keys(cfg, *(() if intro else ("introduction",))), order=intro or ())


def in_order(values: Sequence[str], order: Sequence[str]) -> list[str]:
    """`values` picked from `order` (sentences, in transcript order), put in that order."""
    rank = {s: i for i, s in enumerate(order)}
    return sorted(values, key=lambda v: rank.get(v, len(rank)))


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def splits(cues: Sequence[Cue], cfg: GenerationConfig, one_pass_fits: bool) -> bool:
    """Whether this transcript is written as map and reduce."""
    return cfg.constrained and cfg.split_by_time and (cfg.extractive or is_timed(cues) or not one_pass_fits)
