"""The default model (SmolLM2 GGUF) end to end, on a short transcript and a small template."""

import json

from inference import Example, GenerationConfig, PromptSpec, TemplateShape, get_engine


def test_default_model_summary_validates(shape):
    # Small counts and string limits keep the output (and the test) short on a CPU.
    small = TemplateShape(sections=2, bullets=2, section_topics=2, topics=3, general_topics=2,
                          fields=shape.fields, scale=shape.scale, introduction_chars=160,
                          title_chars=60, bullet_chars=80, topic_chars=30)
    answer = {
        "introduction": "The video explains how hash tables store key-value pairs.",
        "sections": [
            {"title": "Section 1: Hash Functions",
             "content": ["Keys are mapped to bucket indexes.", "Good hashes spread keys evenly."],
             "topics": ["Hash Function", "Buckets"]},
            {"title": "Section 2: Collisions",
             "content": ["Chaining keeps a list per bucket.", "Open addressing probes slots."],
             "topics": ["Chaining", "Open Addressing"]},
        ],
        "topics": ["Hash Tables", "Collisions", "Hashing"],
        "General Topics": [{"topic": "Algorithms and Data Structures", "complexity": 0.42},
                           {"topic": "Theoretical Computer Science", "complexity": 0.31}],
    }
    spec = PromptSpec(
        instruction="Summarize the transcript below as JSON with an introduction, 2 sections "
                    "and general topics from this list: " + ", ".join(shape.fields) + ".\n",
        shape=small,
        examples=[Example("today we learn hash tables. a hash function maps keys to buckets. "
                          "collisions happen; chaining and open addressing solve them.",
                          json.dumps(answer, indent=2))],
    )
    engine = get_engine()  # None: the default GGUF
    transcript = ("in this video we look at binary search trees. each node has a key, "
                  "smaller keys go left and larger keys go right. searching takes log n steps "
                  "when the tree is balanced. we then cover avl rotations that keep it balanced.")
    result = engine.summarize(spec, transcript, config=GenerationConfig(max_new_tokens=320))
    assert result.summary.sections[1].title.startswith("Section 2: ")
    assert {g.topic for g in result.summary.general_topics} <= set(shape.fields)
    assert result.transcript_tokens_dropped == 0 and result.prompt_tokens > 100
    assert result.peak_memory_bytes > 0 and result.tokens_per_second > 0


LECTURE = (
    "Today we talk about hash tables. A hash table stores values under keys in an array of buckets. "
    "The hash function turns a key into the index of a bucket. When two keys land in the same bucket "
    "we have a collision. Chaining keeps a list of entries in every bucket. Open addressing probes "
    "the next free bucket instead. The load factor says how full the table is. When the load factor "
    "gets too high we resize the array and move every entry to its new bucket. A good hash function "
    "spreads the keys evenly so that lookups take constant time on average. In a distributed system "
    "consistent hashing spreads the keys over many servers so that adding a server moves few keys."
)


def test_switching_a_quality_technique_off_moves_its_figure(shape):
    """A small evaluation: the default configuration writes from the transcript; with the
    extractive choices and the grounding mask off, the same model's words leave it."""
    from inference.quality import grounded

    small = TemplateShape(sections=2, bullets=2, section_topics=2, topics=3, general_topics=3,
                          fields=shape.fields, scale=shape.scale, introduction_chars=300,
                          title_chars=60, bullet_chars=160, topic_chars=30)
    spec = PromptSpec(instruction="Summarize the video as JSON.\n", shape=small, examples=())
    engine = get_engine()
    on = engine.summarize(spec, LECTURE, config=GenerationConfig())
    off = engine.summarize(spec, LECTURE, config=GenerationConfig(extractive=False, ground_tokens=False,
                                                                  transcript_topics=False))
    assert grounded(on.data, LECTURE) == 1.0
    assert grounded(off.data, LECTURE) < grounded(on.data, LECTURE)
    assert on.data["General Topics"][0]["topic"] == "Algorithms and Data Structures"  # ranked by its words
