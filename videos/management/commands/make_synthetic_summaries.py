"""Fill the catalogue with N synthetic, done summaries, to measure it at scale.

    python manage.py make_synthetic_summaries 100000 [--seed 1] [--batch 2000]

Distributions are meant to look like a real CS-video library, not uniform noise:
- fields: a few are common (AI/ML, algorithms, software engineering, web), some
  rare (quantum computing, HCI); each summary has three distinct fields;
- complexity: per field, a beta distribution around the field's usual level
  (web development lower, theory and quantum higher), two decimals;
- topics: each field has its own vocabulary, combined with qualifiers and
  angles into about 6,500 distinct topics, drawn with a Zipf-Mandelbrot long
  tail: the most common topics are each in about 3 % of the summaries (a
  popular field's head), the 100th in about 1.5 %, the 500th in 0.8 %, the
  2,000th in 0.3 %, and the rarest in a few hundredths of a percent. The head is flattened (the
  Mandelbrot offset) because a summary names about twenty topics: with a plain
  Zipf law the head topic would be named by a third of the library.

Videos, transcripts and summaries go in with bulk_create, one transaction per
batch; each batch's results are written by the worker's own write path
(videos.services.summaries.summary_results_write), so topics, general topics
and the search document are derived exactly as for a generated summary. Section
times and quality figures are drawn (most within the review thresholds). On
PostgreSQL the tables are vacuumed after each batch, as autovacuum would keep
them. The raw model output is left empty (the parsed data is stored).
"""

from __future__ import annotations

import itertools
import random
import secrets
import string
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from videos.models import PromptTemplate, Summary, SummaryJob, Transcript, Video
from videos.seed import load_seed, read_seed
from videos.services.summaries import ResultRow, summary_results_write

# Field -> (relative popularity, mean complexity, topic vocabulary).
FIELD_PROFILES: dict[str, tuple[float, float, list[str]]] = {
    "Algorithms and Data Structures": (14, 0.52, [
        "Hash Tables", "Binary Search Trees", "Dynamic Programming", "Graph Traversal", "Dijkstra's Algorithm",
        "Sorting Algorithms", "Heaps", "Tries", "Big-O Notation", "Greedy Algorithms", "Union-Find", "B-Trees",
        "Bloom Filters", "Skip Lists", "Segment Trees", "Topological Sort"]),
    "Artificial Intelligence (AI) and Machine Learning": (22, 0.63, [
        "Transformers", "Attention Mechanism", "Mixture of Experts", "Gradient Descent", "Backpropagation",
        "Reinforcement Learning", "Fine-Tuning", "Quantization", "Embeddings", "Diffusion Models", "Tokenization",
        "Retrieval-Augmented Generation", "Convolutional Networks", "Overfitting", "LoRA", "Prompt Engineering"]),
    "Computer Architecture": (6, 0.6, [
        "CPU Caches", "Pipelining", "Branch Prediction", "SIMD", "GPU Architecture", "Memory Hierarchy",
        "Instruction Sets", "Cache Coherence", "Out-of-Order Execution", "RISC-V", "Virtual Memory", "Tensor Cores"]),
    "Data Science and Analytics": (9, 0.48, [
        "Pandas", "Data Cleaning", "Regression", "Statistical Testing", "Data Visualization", "Feature Engineering",
        "Time Series", "A/B Testing", "Clustering", "Dimensionality Reduction", "Jupyter Notebooks", "Bayesian Inference"]),
    "Database Systems and Management": (7, 0.55, [
        "SQL Joins", "Indexes", "Query Planning", "Transactions", "Isolation Levels", "PostgreSQL", "Replication",
        "Sharding", "Write-Ahead Logging", "NoSQL", "Full-Text Search", "Normalization"]),
    "Human-Computer Interaction (HCI)": (3, 0.42, [
        "Usability Testing", "Accessibility", "User Research", "Interaction Design", "Prototyping", "Eye Tracking",
        "Cognitive Load", "Design Systems", "Voice Interfaces", "Mental Models"]),
    "Programming Languages and Software Development": (13, 0.47, [
        "Rust Ownership", "Python Generators", "Type Systems", "Garbage Collection", "Closures", "Async Await",
        "Compilers", "Interpreters", "Generics", "Pattern Matching", "Memory Safety", "Concurrency", "Unit Testing"]),
    "Software Engineering and System Design": (12, 0.56, [
        "Microservices", "Load Balancing", "Caching Strategies", "Message Queues", "Consistent Hashing",
        "Rate Limiting", "Observability", "CI/CD", "Event Sourcing", "CAP Theorem", "Distributed Consensus", "Raft"]),
    "Web Development and Internet Technologies": (10, 0.38, [
        "HTTP/2", "REST APIs", "WebSockets", "React", "CSS Grid", "Web Security", "OAuth", "DNS", "CDNs",
        "Progressive Web Apps", "TLS", "Server-Side Rendering"]),
    "Computer Graphics and Visualization": (4, 0.6, [
        "Ray Tracing", "Rasterization", "Shaders", "Texture Mapping", "Path Tracing", "3D Transformations",
        "Gaussian Splatting", "Global Illumination", "Mesh Simplification", "Volume Rendering"]),
    "Theoretical Computer Science": (5, 0.78, [
        "P vs NP", "Turing Machines", "Automata", "Computability", "Complexity Classes", "Lambda Calculus",
        "Reductions", "Formal Languages", "Halting Problem", "Approximation Algorithms"]),
    "Quantum Computing": (2, 0.8, [
        "Qubits", "Superposition", "Entanglement", "Quantum Gates", "Shor's Algorithm", "Grover's Algorithm",
        "Quantum Error Correction", "Surface Codes", "Decoherence", "Variational Circuits"]),
}
# A topic is "[qualifier] base [angle]"; the empty qualifier and angle are the most common.
ANGLES = ["", "in Practice", "Internals"]
QUALIFIERS = ["", "", "", "", "Distributed", "Practical", "Advanced", "Introduction to", "Scalable", "Parallel",
              "Probabilistic", "Modern", "Efficient", "Applied", "Secure", "Incremental", "Online", "Approximate"]
CHANNELS = ["AI Explained", "CS Dojo", "MIT OpenCourseWare", "Computerphile", "Fireship", "ByteByteGo", "3Blue1Brown",
            "Stanford Online", "Two Minute Papers", "The Coding Train", "Hussein Nasser", "Ben Eater", "Qiskit",
            "freeCodeCamp", "Low Level Learning", "Andrej Karpathy", "StatQuest", "Tech With Tim"]
TITLE_PATTERNS = ["{t} Explained", "Understanding {t}", "{t} in 10 Minutes", "How {t} Really Works", "{t}: A Deep Dive",
                  "Lecture {n}: {t}", "{t} and {u}", "Why {t} Matters", "{t} From Scratch", "Intro to {t}"]
VERBS = ["explains", "compares", "introduces", "derives", "demonstrates", "benchmarks", "walks through", "questions"]
ZIPF_OFFSET = 40
ZIPF_EXPONENT = 1.0
MODELS = ["mistralai/Mistral-7B-Instruct-v0.1", "SmolLM2-135M-Instruct", "Qwen/Qwen2.5-7B-Instruct"]


def _beta(rng: random.Random, mean: float, concentration: float = 9.0) -> float:
    return rng.betavariate(max(0.05, mean * concentration), max(0.05, (1 - mean) * concentration))


class Generator:
    """Draws one synthetic summary at a time from the profiles above."""

    def __init__(self, rng: random.Random, fields: list[str], sections: int, bullets: int, section_topics: int, topics: int, general: int):
        self.rng = rng
        self.fields = [f for f in fields if f in FIELD_PROFILES] or list(FIELD_PROFILES)
        self.field_cum = list(itertools.accumulate(FIELD_PROFILES[f][0] for f in self.fields))
        self.shape = (sections, bullets, section_topics, topics, min(general, len(self.fields)))
        self.vocab: dict[str, list[str]] = {}
        self.vocab_cum: dict[str, list[float]] = {}
        for name in self.fields:
            base = FIELD_PROFILES[name][2]
            words = [" ".join(w for w in (q, b, a) if w) for q in dict.fromkeys(QUALIFIERS) for b in base for a in ANGLES]
            rng.shuffle(words)
            self.vocab[name] = words
            # Zipf-Mandelbrot: weight 1 / (k + ZIPF_OFFSET) ** ZIPF_EXPONENT for the k-th topic.
            self.vocab_cum[name] = list(
                itertools.accumulate(1 / (k + ZIPF_OFFSET) ** ZIPF_EXPONENT for k in range(len(words)))
            )

    def _fields(self) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < self.shape[4]:
            f = self.rng.choices(self.fields, cum_weights=self.field_cum)[0]
            if f not in chosen:
                chosen.append(f)
        return chosen

    def _topic(self, field: str) -> str:
        return self.rng.choices(self.vocab[field], cum_weights=self.vocab_cum[field])[0]

    def _distinct_topics(self, fields: list[str], n: int) -> list[str]:
        out: list[str] = []
        keys: set[str] = set()
        tries = 0
        while len(out) < n and tries < n * 20:
            tries += 1
            t = self._topic(fields[0] if self.rng.random() < 0.6 else self.rng.choice(fields))
            key = t.casefold()
            if key not in keys:
                keys.add(key)
                out.append(t)
        while len(out) < n:
            out.append(f"{fields[0]} topic {len(out) + 1}")
        return out

    def summary(self, n: int) -> tuple[str, str, dict]:
        rng = self.rng
        sections, bullets, section_topics, topics, _ = self.shape
        fields = self._fields()
        main = self._distinct_topics(fields, topics)
        title = rng.choice(TITLE_PATTERNS).format(t=main[0], u=main[1], n=rng.randint(1, 24))
        channel = rng.choice(CHANNELS)
        data_sections = []
        for s in range(sections):
            sec_topics = self._distinct_topics(fields, section_topics)
            data_sections.append({
                "title": f"Section {s + 1}: {sec_topics[0]}",
                "content": [
                    f"The speaker {rng.choice(VERBS)} {rng.choice(sec_topics).lower()} and how it relates to "
                    f"{rng.choice(main).lower()}, with an example ({n}.{s + 1}.{b + 1})."
                    for b in range(bullets)
                ],
                "topics": sec_topics,
            })
        general = []
        for f in fields:
            c = min(1.0, max(0.0, _beta(rng, FIELD_PROFILES[f][1])))
            general.append({"topic": f, "complexity": round(c, 2)})
        data = {
            "introduction": f"This video {rng.choice(VERBS)} {main[0].lower()} and {main[1].lower()}. "
                            f"It is aimed at viewers interested in {fields[0].lower()}.",
            "sections": data_sections,
            "topics": main,
            "General Topics": general,
        }
        return title, channel, data


class Command(BaseCommand):
    help = "Generate N synthetic done summaries (with videos, topics and general topics) for benchmarking."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, count: int, seed: int | None, batch: int, **options):
        if count < 1:
            raise CommandError("count must be at least 1")
        template = PromptTemplate.objects.filter(is_default=True).order_by("name").first()
        if template is None:
            load_seed(read_seed())
            template = PromptTemplate.objects.filter(is_default=True).order_by("name").first()
        rng = random.Random(seed)
        gen = Generator(
            rng, list(template.general_topics), template.sections_count, template.bullets_per_section,
            template.topics_per_section, template.topics_count, template.general_topics_count,
        )
        prefix = "".join(rng.choice(string.ascii_letters) for _ in range(3)) if seed is not None else secrets.token_urlsafe(3)[:3]
        started = time.monotonic()
        now = timezone.now()
        done = 0
        while done < count:
            n = min(batch, count - done)
            self._batch(gen, template, prefix, done, n, now, rng)
            done += n
            self._reclaim()
            rate = done / max(1e-6, time.monotonic() - started)
            self.stdout.write(f"{done}/{count} summaries ({rate:,.0f}/s)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in ("videos_video", "videos_summary", "videos_summarygeneraltopic", "videos_summarytopic", "videos_topic"):
                    # VACUUM too: it sets the visibility map, so the EXISTS probes of the
                    # catalogue's filters are index-only scans from the first request.
                    # (VACUUM cannot run inside a transaction, as in a test.)
                    cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM ANALYZE'} {table}")
        self.stdout.write(self.style.SUCCESS(f"Made {count} summaries in {time.monotonic() - started:.1f} s."))

    @staticmethod
    def _reclaim():
        """Make the space of the batch's dead row versions reusable, as autovacuum does for
        a library that grows a summary at a time (PostgreSQL): each summary row is written
        twice (inserted, then given its search document)."""
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM videos_summary")

    @transaction.atomic
    def _batch(self, gen: Generator, template, prefix: str, offset: int, n: int, now, rng):
        drawn = [gen.summary(offset + i) for i in range(n)]
        videos = Video.objects.bulk_create([
            Video(
                youtube_id=f"{prefix}{offset + i:08d}",
                url=f"https://www.youtube.com/watch?v={prefix}{offset + i:08d}",
                title=title,
                channel=channel,
                duration_seconds=rng.randint(240, 5400),
                transcript_state=Video.TranscriptState.READY,
                added_at=now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60)),
            )
            for i, (title, channel, _) in enumerate(drawn)
        ])
        Transcript.objects.bulk_create([
            Transcript(video=v, source=Transcript.Source.UPLOAD, language_code="en", full_text=_transcript(data), segments=[])
            for v, (_, _, data) in zip(videos, drawn)
        ])
        summaries, jobs, rows = [], [], []
        for video, (_, _, data) in zip(videos, drawn):
            created = video.added_at + timedelta(minutes=rng.randint(1, 120))
            decode = rng.uniform(8, 60)
            summaries.append(Summary(
                video=video, template=template, model_id=rng.choice(MODELS), status=Summary.Status.DONE, is_current=True,
                created_at=created, finished_at=created + timedelta(seconds=decode + 2),
            ))
        summaries = Summary.objects.bulk_create(summaries)
        for summary, (_, _, data) in zip(summaries, drawn):
            decode = (summary.finished_at - summary.created_at).total_seconds() - 2
            out_tokens = rng.randint(700, 1400)
            jobs.append(SummaryJob(summary=summary, attempts=1, started_at=summary.created_at))
            section_times, figures = _quality(summary.video, len(data["sections"]))
            rows.append(ResultRow(summary=summary, data=data, metrics={
                "prompt_tokens": rng.randint(3000, 7500), "output_tokens": out_tokens,
                "prefill_seconds": rng.uniform(0.2, 2.5), "decode_seconds": decode,
                "tokens_per_second": out_tokens / decode, "peak_memory_bytes": rng.randint(14, 17) * 10**9, "device": "cuda",
            }, section_times=section_times, figures=figures))
        SummaryJob.objects.bulk_create(jobs)
        summary_results_write(rows)


def _quality(video: Video, sections: int) -> tuple[list[list[float]], dict[str, float]]:
    """Plausible section times and quality figures: most summaries within the review
    thresholds, about one in eight past one of them. Drawn from a generator of the video's
    own, so the rest of the data is what the same --seed gave before figures existed."""
    q = random.Random(video.youtube_id)
    duration = float(video.duration_seconds)
    covered = duration if q.random() > 0.03 else round(duration * q.uniform(0.5, 0.78))
    step = covered / sections
    times = [[round(i * step, 1), round((i + 1) * step, 1)] for i in range(sections)]
    figures = {
        "grounded": round(q.uniform(0.86, 0.99) if q.random() > 0.05 else q.uniform(0.4, 0.84), 3),
        "copied": 0.0 if q.random() > 0.03 else round(q.uniform(0.03, 0.4), 3),
        "repeated": round(q.uniform(0.0, 0.045) if q.random() > 0.03 else q.uniform(0.06, 0.3), 3),
        "coverage": round(covered / duration, 3),
    }
    return times, figures


def _transcript(data: dict) -> str:
    return " ".join(b for sec in data["sections"] for b in sec["content"])
