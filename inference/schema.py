"""The shape of a summary, derived from the prompt template, and everything built from it.

A `TemplateShape` holds the counts (sections, bullets, topics...), the field list and the
complexity scale of one prompt template. From it we derive:

* `json_schema(shape)`: a JSON Schema dict (bounded strings, enum of fields, numbered titles)
  for storage, documentation and any JSON-schema-driven decoder;
* the grammars our decoder compiles with xgrammar (`inference.grammar`), which say everything
  the schema says plus what JSON Schema cannot express;
* `validate_summary(shape, data)`: parse + check + typed pydantic data, with errors that name
  the path in human terms.

Nothing here is specific to one template: the counts and lists are data.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

GENERAL_TOPICS_KEY = "General Topics"
TOP_LEVEL_KEYS = ("introduction", "sections", "topics", GENERAL_TOPICS_KEY)
SECTION_KEYS = ("title", "content", "topics")
GENERAL_TOPIC_KEYS = ("topic", "complexity")


@dataclass(frozen=True)
class ScaleBand:
    """One band of the complexity scale, e.g. 0.50-0.59 'Average College Lecture'."""

    min: float
    max: float
    label: str


@dataclass(frozen=True, kw_only=True)
class TemplateShape:
    """Counts and vocabularies a summary must follow; all of it comes from the template.

    The `*_chars` limits bound every string so that constrained decoding always terminates;
    they are generous (the curated examples use well under half of each).
    """

    sections: int = 5
    bullets: int = 4
    section_topics: int = 3
    topics: int = 5
    general_topics: int = 3
    fields: tuple[str, ...]
    scale: tuple[ScaleBand, ...] = ()
    introduction_chars: int = 600
    title_chars: int = 100
    bullet_chars: int = 200
    topic_chars: int = 48

    def __post_init__(self) -> None:
        # Accept lists (e.g. from JSON) but store tuples so the shape stays hashable.
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(
            self,
            "scale",
            tuple(b if isinstance(b, ScaleBand) else ScaleBand(**b) for b in self.scale),
        )
        for name in ("sections", "bullets", "section_topics", "topics", "general_topics"):
            if getattr(self, name) < 1:
                raise ValueError(f"TemplateShape.{name} must be at least 1")
        if len(set(self.fields)) != len(self.fields) or not self.fields:
            raise ValueError("TemplateShape.fields must be a non-empty list of distinct names")
        if self.general_topics > len(self.fields):
            raise ValueError(
                f"TemplateShape asks for {self.general_topics} distinct general topics "
                f"but lists only {len(self.fields)} fields"
            )
        for band in self.scale:
            if not 0.0 <= band.min <= band.max <= 1.0:
                raise ValueError(f"complexity band {band} is outside [0, 1]")

    def label_for(self, complexity: float) -> str | None:
        """The scale label for a complexity; between bands, the band below wins."""
        below = [b for b in self.scale if b.min <= complexity]
        inside = [b for b in below if complexity <= b.max]
        if inside:
            return inside[0].label
        return max(below, key=lambda b: b.min).label if below else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["fields"] = list(self.fields)
        d["scale"] = [asdict(b) for b in self.scale]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TemplateShape":
        known = cls.__dataclass_fields__.keys()
        unknown = set(d) - set(known)
        if unknown:
            raise ValueError(f"unknown TemplateShape keys: {sorted(unknown)}")
        return cls(**d)


class SummaryValidationError(ValueError):
    """The summary does not follow the template; `errors` lists every reason found."""

    def __init__(self, errors: list[str], raw: str | None = None) -> None:
        self.errors = list(errors)
        self.raw = raw
        super().__init__("; ".join(self.errors))


# --- typed data -----------------------------------------------------------------------------


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: StrictStr
    content: list[StrictStr]
    topics: list[StrictStr]


class GeneralTopic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topic: StrictStr
    complexity: StrictFloat | StrictInt = Field(ge=0.0, le=1.0)


class SummaryData(BaseModel):
    """A validated summary. `general_topics` is the JSON key "General Topics"."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    introduction: StrictStr
    sections: list[Section]
    topics: list[StrictStr]
    general_topics: list[GeneralTopic] = Field(alias=GENERAL_TOPICS_KEY)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the template's keys, in the template's order."""
        return self.model_dump(by_alias=True)

    def to_compact_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)


# --- validation -----------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _check_str(path: str, value: Any, limit: int, errors: list[str]) -> None:
    if not isinstance(value, str):
        errors.append(f"{path} must be a string, not {type(value).__name__}")
    elif not value.strip():
        errors.append(f"{path} is empty")
    elif len(value) > limit:
        errors.append(f"{path} is {len(value)} characters; the template allows at most {limit}")


def _check_str_list(
    path: str, value: Any, count: int, limit: int, noun: str, errors: list[str]
) -> None:
    if not isinstance(value, list):
        errors.append(f"{path} must be a list of {noun}s, not {type(value).__name__}")
        return
    if len(value) != count:
        errors.append(
            f"{path} has {_plural(len(value), noun)}; the template asks for {count}"
        )
    for i, item in enumerate(value):
        _check_str(f"{path}[{i}]", item, limit, errors)


def _check_keys(path: str, obj: dict, expected: tuple[str, ...], errors: list[str]) -> None:
    where = f"{path} " if path else ""
    for key in expected:
        if key not in obj:
            errors.append(f"{where}is missing the key '{key}'".lstrip())
    for key in obj:
        if key not in expected:
            errors.append(f"{where}has an unexpected key '{key}'".lstrip())


def _has_two_decimals_at_most(x: float) -> bool:
    return math.isclose(x * 100, round(x * 100), abs_tol=1e-6)


def summary_errors(shape: TemplateShape, obj: Any) -> list[str]:
    """Every way `obj` (parsed JSON) departs from the template; [] when it follows it."""
    errors: list[str] = []
    if not isinstance(obj, dict):
        return [f"the summary must be a JSON object, not {type(obj).__name__}"]
    _check_keys("", obj, TOP_LEVEL_KEYS, errors)

    if "introduction" in obj:
        _check_str("introduction", obj["introduction"], shape.introduction_chars, errors)

    sections = obj.get("sections")
    if "sections" in obj and not isinstance(sections, list):
        errors.append(f"sections must be a list, not {type(sections).__name__}")
    elif isinstance(sections, list):
        if len(sections) != shape.sections:
            errors.append(
                f"sections has {_plural(len(sections), 'section')}; "
                f"the template asks for {shape.sections}"
            )
        for i, section in enumerate(sections):
            path = f"sections[{i}]"
            if not isinstance(section, dict):
                errors.append(f"{path} must be an object, not {type(section).__name__}")
                continue
            _check_keys(path, section, SECTION_KEYS, errors)
            if "title" in section:
                title = section["title"]
                _check_str(f"{path}.title", title, shape.title_chars, errors)
                prefix = f"Section {i + 1}: "
                if isinstance(title, str) and not (
                    title.startswith(prefix) and title[len(prefix):].strip()
                ):
                    errors.append(f"{path}.title {title!r} must read '{prefix}...'")
            if "content" in section:
                _check_str_list(
                    f"{path}.content", section["content"], shape.bullets,
                    shape.bullet_chars, "bullet", errors,
                )
            if "topics" in section:
                _check_str_list(
                    f"{path}.topics", section["topics"], shape.section_topics,
                    shape.topic_chars, "topic", errors,
                )

    if "topics" in obj:
        _check_str_list("topics", obj["topics"], shape.topics, shape.topic_chars, "topic", errors)

    general = obj.get(GENERAL_TOPICS_KEY)
    key = GENERAL_TOPICS_KEY
    if key in obj and not isinstance(general, list):
        errors.append(f"{key} must be a list, not {type(general).__name__}")
    elif isinstance(general, list):
        if len(general) != shape.general_topics:
            errors.append(
                f"{key} has {_plural(len(general), 'topic')}; "
                f"the template asks for {shape.general_topics}"
            )
        seen: dict[str, int] = {}
        for i, item in enumerate(general):
            path = f"{key}[{i}]"
            if not isinstance(item, dict):
                errors.append(f"{path} must be an object, not {type(item).__name__}")
                continue
            _check_keys(path, item, GENERAL_TOPIC_KEYS, errors)
            topic = item.get("topic")
            if "topic" in item:
                if not isinstance(topic, str):
                    errors.append(f"{path}.topic must be a string, not {type(topic).__name__}")
                elif topic not in shape.fields:
                    errors.append(f"{path}.topic {topic!r} is not one of the template's fields")
                elif topic in seen:
                    errors.append(
                        f"{path}.topic {topic!r} repeats {key}[{seen[topic]}]; "
                        "general topics must be distinct"
                    )
                else:
                    seen[topic] = i
            if "complexity" in item:
                c = item["complexity"]
                if isinstance(c, bool) or not isinstance(c, (int, float)):
                    errors.append(
                        f"{path}.complexity must be a number, not {type(c).__name__}"
                    )
                elif not 0.0 <= c <= 1.0:
                    errors.append(f"{path}.complexity {c} is outside [0, 1]")
                elif not _has_two_decimals_at_most(c):
                    errors.append(f"{path}.complexity {c} has more than two decimals")
    return errors


def validate_summary(shape: TemplateShape, data: str | dict) -> SummaryData:
    """Parse (if `data` is a JSON string) and check a summary against the template.

    Returns typed `SummaryData`. Raises `SummaryValidationError` whose `errors` list every
    problem found, each naming its path; list indices in paths are 0-based, so
    `sections[2]` is the third section and `General Topics[0]` the first general topic.
    """
    raw = data if isinstance(data, str) else None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise SummaryValidationError([f"not valid JSON: {exc}"], raw=raw) from exc
    errors = summary_errors(shape, data)
    if errors:
        raise SummaryValidationError(errors, raw=raw)
    return SummaryData.model_validate(data)


# --- JSON Schema and grammar ----------------------------------------------------------------

# String characters: anything but quote, backslash and control characters. No escapes, so
# the grammar stays a plain character class, which xgrammar masks cheaply; a rule-based
# `chr{1,N}` with escapes makes every token's mask far slower to compute.
# The first character must also not be a space, so no string is blank.
STR_FIRST = r'[^"\\\x00-\x20]'
STR_CHAR = r'[^"\\\x00-\x1f]'


def _string_schema(limit: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit}


def json_schema(shape: TemplateShape) -> dict[str, Any]:
    """JSON Schema of a summary for this template (bounded strings, so decoding terminates)."""

    def str_array(n: int, limit: int) -> dict[str, Any]:
        return {"type": "array", "items": _string_schema(limit), "minItems": n, "maxItems": n}

    def section(k: int) -> dict[str, Any]:
        rest = shape.title_chars - len(f"Section {k}: ")
        return {
            "type": "object",
            "properties": {
                "title": {"type": "string", "pattern": f"^Section {k}: {STR_FIRST}{STR_CHAR}{{0,{rest - 1}}}$"},
                "content": str_array(shape.bullets, shape.bullet_chars),
                "topics": str_array(shape.section_topics, shape.topic_chars),
            },
            "required": list(SECTION_KEYS),
            "additionalProperties": False,
        }

    return {
        "type": "object",
        "properties": {
            "introduction": _string_schema(shape.introduction_chars),
            "sections": {
                "type": "array",
                "prefixItems": [section(k) for k in range(1, shape.sections + 1)],
                "items": False,
                "minItems": shape.sections,
                "maxItems": shape.sections,
            },
            "topics": str_array(shape.topics, shape.topic_chars),
            GENERAL_TOPICS_KEY: {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "topic": {"type": "string", "enum": list(shape.fields)},
                        "complexity": {"type": "number", "minimum": 0, "maximum": 1,
                                       "multipleOf": 0.01},
                    },
                    "required": list(GENERAL_TOPIC_KEYS),
                    "additionalProperties": False,
                },
                "minItems": shape.general_topics,
                "maxItems": shape.general_topics,
                "uniqueItems": True,
            },
        },
        "required": list(TOP_LEVEL_KEYS),
        "additionalProperties": False,
    }
