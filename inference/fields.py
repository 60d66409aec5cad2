"""General topics by evidence: the template's fields ranked by the words of the transcript.

With `GenerationConfig.rank_fields` on, the summary's general topics are the fields whose
vocabulary the transcript uses most, best first; the model then only writes each one's
complexity (the grammar fixes the fields and their order). A small model picks fields poorly
from their names alone (it favours the first ones it reads, or the longest), while a lecture
names its subject over and over: "gradient", "training" and "neural network" for machine
learning, "query" and "transaction" for databases.

Each known field has a glossary (`GLOSSARY`): terms of the field's subject, one to three
words, as a textbook index would list them, not taken from any particular video. A term's
weight grows with how often the transcript says it, but slowly (log), so one word said a
hundred times does not outweigh ten different words of the field; a term of several words
counts double, being more specific. A field's score is the sum over its terms, divided by the
square root of its glossary's size, so that a long glossary is not favoured.

Fields the glossary does not know (a template with its own list), or a transcript that uses
none of the terms, leave the choice to the model: `rank` returns None.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

from .quality import fold, words

GLOSSARY: dict[str, tuple[str, ...]] = {
    "Algorithms and Data Structures": (
        "algorithm", "data structure", "array", "linked list", "tree", "binary tree", "binary search",
        "graph", "hash table", "hash function", "hashing", "heap", "stack", "queue", "sorting", "sort",
        "merge sort", "quicksort", "recursion", "recursive", "dynamic programming", "greedy",
        "complexity", "big o", "time complexity", "runtime", "shortest path", "search", "traversal",
        "node", "pointer", "insertion", "lookup", "collision", "bucket", "index", "divide and conquer",
        "logarithmic", "linear time", "balanced",
    ),
    "Artificial Intelligence (AI) and Machine Learning": (
        "machine learning", "deep learning", "neural network", "neural", "neuron", "network",
        "training", "train", "trained", "model", "gradient", "gradient descent", "backpropagation",
        "loss", "loss function", "weight", "activation", "layer", "classifier", "classification",
        "regression", "prediction", "predict", "dataset", "data set", "label", "supervised",
        "reinforcement learning", "convolutional", "convolution", "recurrent", "lstm",
        "transformer", "attention", "embedding", "language model", "llm", "token", "fine tuning",
        "inference", "parameter", "overfitting", "optimizer", "softmax", "probability", "agent",
        "reward", "artificial intelligence", "vision", "segmentation", "detection", "generative",
        "benchmark", "evaluation",
    ),
    "Computer Architecture": (
        "cpu", "processor", "core", "instruction", "instruction set", "register", "cache",
        "memory", "ram", "pipeline", "clock", "cycle", "transistor", "gpu", "hardware", "bus",
        "assembly", "binary", "bit", "byte", "alu", "branch prediction", "cache miss",
        "memory hierarchy", "virtual memory", "page", "interrupt", "microarchitecture", "chip",
        "silicon", "throughput", "latency", "bandwidth", "simd", "vector", "multicore",
    ),
    "Data Science and Analytics": (
        "data science", "data analysis", "analytics", "statistics", "statistical", "mean",
        "median", "variance", "distribution", "correlation", "visualization", "chart", "plot",
        "pandas", "dataframe", "spreadsheet", "dashboard", "metric", "insight", "sample",
        "hypothesis", "experiment", "outlier", "cleaning", "feature", "aggregate", "trend",
        "monitoring", "survey", "data pipeline", "big data",
    ),
    "Database Systems and Management": (
        "database", "sql", "query", "table", "row", "column", "schema", "index", "transaction",
        "primary key", "foreign key", "join", "relational", "postgres", "postgresql", "mysql",
        "sqlite", "nosql", "mongodb", "redis", "key value", "storage", "replication", "shard",
        "sharding", "consistency", "acid", "commit", "rollback", "normalization", "orm",
        "migration", "record", "backend",
    ),
    "Human-Computer Interaction (HCI)": (
        "user", "user interface", "interface", "usability", "user experience", "ux", "ui",
        "design", "accessibility", "interaction", "prototype", "feedback", "cognitive",
        "perception", "participant", "user study", "gesture", "touch", "screen", "display",
        "button", "layout", "mental model", "affordance", "persona",
    ),
    "Programming Languages and Software Development": (
        "programming", "programming language", "language", "code", "compiler", "interpreter",
        "syntax", "type", "types", "type system", "variable", "function", "method", "class",
        "object", "object oriented", "inheritance", "attribute", "instance", "constructor",
        "python", "javascript", "typescript", "java", "rust", "c plus plus", "go",
        "haskell", "ownership", "memory safety", "garbage collector",
        "garbage collection", "pointer", "library", "package", "module", "closure", "lambda",
        "generic", "macro", "string", "integer", "loop", "debugging", "debugger", "runtime",
        "programmer", "developer", "concurrency", "thread", "async",
    ),
    "Software Engineering and System Design": (
        "software engineering", "system design", "architecture", "microservice", "service",
        "server", "scalability", "scale", "load balancer", "distributed", "distributed system",
        "deployment", "deploy", "container", "docker", "kubernetes", "cloud", "infrastructure",
        "testing", "test", "unit test", "continuous integration", "pipeline", "devops",
        "version control", "git", "requirement", "maintainability", "refactoring", "design pattern",
        "api", "reliability", "fault tolerance", "monitoring", "production", "workflow",
        "cluster", "node", "replica", "availability",
    ),
    "Web Development and Internet Technologies": (
        "web", "website", "web app", "browser", "html", "css", "javascript", "dom", "react",
        "vue", "angular", "component", "props", "state", "hook", "frontend",
        "front end", "backend", "back end", "full stack", "http", "https", "url", "rest",
        "api", "endpoint", "request", "response", "server", "client", "node", "express",
        "json", "cookie", "session", "internet", "protocol", "tcp", "dns", "page", "router",
        "framework", "npm", "render", "rendering",
    ),
    "Computer Graphics and Visualization": (
        "graphics", "rendering", "render", "pixel", "image", "shader", "texture", "mesh",
        "polygon", "triangle", "vertex", "ray tracing", "rasterization", "3d", "camera",
        "lighting", "color", "opengl", "vulkan", "animation", "visualization", "geometry",
        "transformation", "matrix", "frame", "scene", "resolution", "video", "filter",
    ),
    "Theoretical Computer Science": (
        "theory", "theorem", "proof", "prove", "automaton", "automata", "turing machine",
        "computability", "decidable", "undecidable", "complexity class", "np", "np complete",
        "polynomial", "reduction", "formal language", "grammar", "regular expression",
        "lambda calculus", "logic", "set", "lemma", "induction", "halting problem",
        "cryptography", "information theory", "graph theory", "combinatorics",
    ),
    "Quantum Computing": (
        "quantum", "qubit", "quantum computer", "quantum computing", "superposition",
        "entanglement", "quantum gate", "quantum circuit", "shor", "grover", "measurement",
        "decoherence", "hadamard", "quantum algorithm", "amplitude",
    ),
}

MAX_TERM_WORDS = 3


def _key(term: str) -> tuple[str, ...]:
    return tuple(fold(w) for w in words(term))


def _counts(text: str) -> Counter[tuple[str, ...]]:
    """Folded word n-grams of `text` (1..MAX_TERM_WORDS words, function words kept so that
    "divide and conquer" matches), counted."""
    seq = [fold(w) for w in words(text)]
    out: Counter[tuple[str, ...]] = Counter()
    for n in range(1, MAX_TERM_WORDS + 1):
        out.update(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))
    return out


def scores(fields: Sequence[str], text: str) -> dict[str, float]:
    """Each known field's evidence in `text` (see the module docstring); unknown fields are
    left out."""
    counts = _counts(text)
    out = {}
    for field in fields:
        terms = {_key(t) for t in GLOSSARY.get(field, ())}
        terms.discard(())
        if not terms:
            continue
        total = sum((2.0 if len(t) > 1 else 1.0) * math.log1p(counts.get(t, 0)) for t in terms)
        out[field] = total / math.sqrt(len(terms))
    return out


def rank(fields: Sequence[str], text: str, k: int) -> tuple[str, ...] | None:
    """The k fields of `fields` with the most evidence in `text`, best first (ties in the
    template's order); None when a field is unknown to the glossary or none has any evidence
    (the model chooses)."""
    found = scores(fields, text)
    if len(found) < len(fields) or not any(s > 0 for s in found.values()):
        return None
    order = sorted(fields, key=lambda f: (-found[f], fields.index(f)))
    return tuple(order[:k])

