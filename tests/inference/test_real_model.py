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
