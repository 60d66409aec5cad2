"""The xgrammar EBNF our decoder compiles, for a whole summary or for one part of it.

A summary is written in one pass (`Part.WHOLE`) or, for a long transcript, as one call per
section (`Part.SECTION`, map) and one for the rest (`Part.OVERVIEW`: introduction, topics and
general topics, reduce). Each grammar says everything `schema.validate_summary` checks plus
what JSON Schema cannot express for xgrammar: complexities with at most two decimals, general
topics that are distinct, and compact output (keys in the template's order, no whitespace).

Topics are free strings, or, given `choices`, picked from a list of phrases (distinct within
one array). Every string is bounded by the template's `*_chars`, so every grammar has a
longest output, `Grammar.max_chars`: a token budget of that size can never run out inside a
string (a token is at least one character when byte pieces are masked out, as grounding does;
`max_bytes` bounds it otherwise).
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass

from .schema import GENERAL_TOPICS_KEY, STR_CHAR, STR_FIRST, TemplateShape

# Above this many grammar rules, "distinct choices" is left to validation only.
_MAX_DISTINCT_RULES = 20_000
# Sentences of an extractive introduction.
INTRO_SENTENCES = 2


class Part(enum.Enum):
    WHOLE = "whole"
    SECTION = "section"
    OVERVIEW = "overview"


@dataclass(frozen=True)
class Grammar:
    ebnf: str
    max_chars: int  # the longest output it accepts, in characters (chosen strings in bytes)
    max_strings: int  # characters of it inside free strings (up to 4 bytes each)

    @property
    def max_bytes(self) -> int:
        return self.max_chars + 3 * self.max_strings


def _size(value: str) -> int:
    """Length of a fixed string's JSON encoding, in bytes: an upper bound on the tokens that
    spell it, byte pieces included (it may be written with them: no mask applies to it)."""
    return len(json.dumps(value, ensure_ascii=False).encode())


def lit(text: str) -> str:
    """An EBNF string literal for `text` as it appears in the output (JSON already escaped)."""
    return json.dumps(text)


def json_lit(value: str) -> str:
    """EBNF literal of the JSON encoding of a string value (with its quotes)."""
    return lit(json.dumps(value, ensure_ascii=False))


class _Builder:
    def __init__(self) -> None:
        self.rules: list[str] = []
        self.names: set[str] = set()
        self.chars = 0
        self.strings = 0

    def rule(self, name: str, body: str) -> str:
        if name not in self.names:
            self.names.add(name)
            self.rules.append(f"{name} ::= {body}")
        return name

    def fixed(self, text: str) -> str:
        self.chars += len(text)
        return lit(text)

    def string(self, name: str, limit: int, count: int = 1) -> str:
        """A free string of 1..limit characters (with quotes), used `count` times."""
        self.chars += count * (limit + 2)
        self.strings += count * limit
        return self.rule(name, f'"\\"" {STR_FIRST} {STR_CHAR}{{0,{limit - 1}}} "\\""')

    def choice_array(self, name: str, items: tuple[str, ...], k: int) -> str:
        """`[a,b,...]` of k distinct items (JSON-encoded strings), as rules."""
        self.chars += 2 + (k - 1) + k * max(_size(i) for i in items)
        lits = [json_lit(i) for i in items]
        return "\"[\" " + distinct_rules(self, name, lits, k) + " \"]\""

    def array(self, item: str, n: int) -> str:
        self.chars += 2 + (n - 1)
        return '"[" ' + ' "," '.join([item] * n) + ' "]"'

    def build(self, root: str) -> str:
        return "\n".join([f"root ::= {root}", *self.rules]) + "\n"


def distinct_rules(b: _Builder, prefix: str, items: list[str], k: int, sep: str = '","') -> str:
    """Rules for k distinct `items` (EBNF expressions) separated by `sep` (an EBNF literal,
    a comma by default); the first rule's name.

    Distinctness needs one rule per set of already-used items (sum of C(n, i) for i < k);
    beyond `_MAX_DISTINCT_RULES` any items are allowed and validation checks the rest."""
    n = len(items)
    if sum(math.comb(n, i) for i in range(k)) > _MAX_DISTINCT_RULES:
        item = b.rule(f"{prefix}_item", " | ".join(f"({x})" for x in items))
        return b.rule(f"{prefix}_0", item + f' ({sep} {item})' * (k - 1))
    names: dict[frozenset[int], str] = {}

    def rule(used: frozenset[int]) -> str:
        if used in names:
            return names[used]
        name = f"{prefix}_{len(names)}"
        names[used] = name
        last = len(used) == k - 1
        alts = [f"({x})" if last else f'({x} {sep} {rule(used | {i})})' for i, x in enumerate(items) if i not in used]
        b.rule(name, " | ".join(alts))
        return name

    return rule(frozenset())


def _topics(b: _Builder, name: str, shape: TemplateShape, k: int, choices: tuple[str, ...] | None) -> str:
    if choices and len(choices) >= k:
        return b.choice_array(name, choices, k)
    return b.array(b.string("topic_str", shape.topic_chars, k), k)


def inner_lit(text: str) -> str:
    """EBNF literal of a string value's JSON encoding without its quotes."""
    return lit(json.dumps(text, ensure_ascii=False)[1:-1])


def _section(b: _Builder, shape: TemplateShape, k: int, choices: tuple[str, ...] | None,
             bullets: tuple[str, ...] | None = None, titles: tuple[str, ...] | None = None) -> str:
    head = f"Section {k}: "
    title = b.fixed('{"title":"' + head)
    rest = shape.title_chars - len(head)
    if titles:
        named = b.rule(f"s{k}title", " | ".join(inner_lit(t) for t in titles))
        b.chars += max(_size(t) for t in titles)
    else:
        named = f'{STR_FIRST} {STR_CHAR}{{0,{rest - 1}}}'
        b.chars += rest + 1
        b.strings += rest
    content = b.fixed(',"content":')
    if bullets and len(bullets) >= shape.bullets:
        said = b.choice_array(f"s{k}b", bullets, shape.bullets)
    else:
        said = b.array(b.string("bullet_str", shape.bullet_chars, shape.bullets), shape.bullets)
    topics = b.fixed(',"topics":')
    chosen = _topics(b, f"s{k}t", shape, shape.section_topics, choices)
    close = b.fixed("}")
    body = f'{title} {named} "\\"" {content} {said} {topics} {chosen} {close}'
    return b.rule(f"section{k}", body)


def _introduction(b: _Builder, shape: TemplateShape, sentences: tuple[str, ...] | None) -> str:
    """A free string, or INTRO_SENTENCES distinct `sentences` in the order the model picks."""
    k = INTRO_SENTENCES
    if not sentences or len(sentences) < k:
        return b.string("intro_str", shape.introduction_chars)
    b.chars += 2 + (k - 1) + k * max(_size(s) for s in sentences)
    return '"\\"" ' + distinct_rules(b, "intro", [inner_lit(s) for s in sentences], k, sep='" "') + ' "\\""'


def _general(b: _Builder, shape: TemplateShape, fields: tuple[str, ...] | None) -> str:
    """General topics: k distinct fields of the template, or exactly `fields` in that order
    (ranked beforehand: `inference.fields`), each with a complexity."""
    b.rule("complexity", '"0" ("." [0-9] [0-9]?)? | "1" ("." "0" "0"?)?')
    longest = max(_size(f) for f in shape.fields)
    k = shape.general_topics
    b.chars += 2 + (k - 1) + k * (len('{"topic":,"complexity":}') + longest + 4)

    def item(f: str) -> str:
        return f'"{{\\"topic\\":" {json_lit(f)} ",\\"complexity\\":" complexity "}}"'

    if fields:
        return '"[" ' + ' "," '.join(item(f) for f in fields[:k]) + ' "]"'
    return '"[" ' + distinct_rules(b, "gt", [item(f) for f in shape.fields], k) + ' "]"'


def grammar(
    shape: TemplateShape,
    part: Part = Part.WHOLE,
    *,
    section: int = 1,
    topics: tuple[str, ...] | None = None,
    section_topics: tuple[tuple[str, ...] | None, ...] | None = None,
    fields: tuple[str, ...] | None = None,
    bullets: tuple[str, ...] | None = None,
    titles: tuple[str, ...] | None = None,
    intro: tuple[str, ...] | None = None,
) -> Grammar:
    """The grammar of a whole summary, of section `section` alone, or of the overview.

    `topics`: the choices for the overall topics (WHOLE, OVERVIEW) or for the section's
    (SECTION); `section_topics`: per section, for WHOLE. None: free strings. `fields`: the
    general topics, in order (WHOLE, OVERVIEW); None: any distinct fields of the template.
    Extractive choices (`inference.extract`), each None for free text: `bullets` and `titles`
    for a SECTION, `intro` (sentences) for the OVERVIEW."""
    b = _Builder()
    if part is Part.SECTION:
        root = _section(b, shape, section, topics, bullets, titles)
    else:
        pieces = [b.fixed('{"introduction":'), _introduction(b, shape, intro)]
        if part is Part.WHOLE:
            per = section_topics or (None,) * shape.sections
            names = [_section(b, shape, k, per[k - 1]) for k in range(1, shape.sections + 1)]
            pieces += [b.fixed(',"sections":['), ' "," '.join(names), b.fixed("]")]
            b.chars += shape.sections - 1
        pieces += [b.fixed(',"topics":'), _topics(b, "tt", shape, shape.topics, topics)]
        pieces += [b.fixed("," + json.dumps(GENERAL_TOPICS_KEY) + ":"), _general(b, shape, fields), b.fixed("}")]
        root = " ".join(pieces)
    return Grammar(b.build(root), b.chars, b.strings)


def ebnf_grammar(shape: TemplateShape) -> str:
    """The grammar of a whole summary with free topics (what validation accepts)."""
    return grammar(shape).ebnf
