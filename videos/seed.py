"""The reference pipeline's data, loaded into the catalogue.

`videos/seed/seed.json` is the product's copy of the reference run: its prompt,
its two curated examples, its 14 videos and the 10 transcript excerpts it fed the
model. Loading is idempotent and never overwrites what curators have edited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from .ingest.urls import InvalidVideoURL, canonical_url, parse_video_id
from .models import FewShotExample, PromptTemplate, Transcript, Video

SEED_PATH = Path(__file__).resolve().parent / "seed" / "seed.json"
SEED_TEMPLATE_NAME = "reference"
SEED_SHAPE = {
    "sections_count": 5,
    "bullets_per_section": 4,
    "topics_per_section": 3,
    "topics_count": 5,
    "general_topics_count": 3,
}


def read_seed(path: Path | str = SEED_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=lambda: {"videos": 0, "transcripts": 0, "templates": 0, "examples": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"videos": 0, "transcripts": 0, "templates": 0, "examples": 0})
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        return not any(self.created.values())

    def lines(self) -> list[str]:
        out = []
        if self.nothing_new:
            out.append("Nothing new: the seed data is already loaded.")
        else:
            out.append("Created: " + _counts(self.created))
        out.append("Already there: " + _counts(self.unchanged))
        out.extend(f"Note: {n}" for n in self.notes)
        out.extend(f"Skipped (kept as edited): {s}" for s in self.skipped)
        return out


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind if n != 1 else kind[:-1]}" for kind, n in counts.items())


def _seed_video_id(entry: dict, report: SeedReport) -> str:
    """The seed's own id, checked against its URL the way a user's paste would be."""
    try:
        parsed = parse_video_id(entry["url"])
    except InvalidVideoURL:
        parsed = None
    video_id = entry["youtube_id"]
    if parsed and parsed != video_id:
        raise ValueError(f"seed video {entry['slug']}: URL gives {parsed!r} but the id is {video_id!r}")
    if " " in entry["url"]:
        report.notes.append(
            f"{entry['slug']}: the seed URL {entry['url']!r} has a space inside the id; stored as {video_id}"
        )
    return video_id


@transaction.atomic
def load_seed(seed: dict) -> SeedReport:
    report = SeedReport()
    prompt = seed["prompt"]

    # The template, exactly as the reference used it.
    wanted = {
        "instruction": prompt["instruction"],
        "general_topics": prompt["general_topics"],
        "complexity_scale": prompt["complexity_scale"],
        **SEED_SHAPE,
    }
    template = PromptTemplate.objects.filter(name=SEED_TEMPLATE_NAME, version=1).first()
    if template is None:
        template = PromptTemplate(
            name=SEED_TEMPLATE_NAME,
            version=1,
            is_default=not PromptTemplate.objects.filter(name=SEED_TEMPLATE_NAME, is_default=True).exists(),
            notes=f"The reference pipeline's prompt ({seed.get('model', 'unknown model')}).",
            **wanted,
        )
        template.full_clean()
        template.save()
        report.created["templates"] += 1
    elif all(getattr(template, k) == v for k, v in wanted.items()):
        report.unchanged["templates"] += 1
    else:
        report.skipped.append(f"template {template} differs from the seed")

    videos: dict[str, Video] = {}
    for entry in seed["videos"]:
        video_id = _seed_video_id(entry, report)
        video = Video.objects.filter(youtube_id=video_id).first()
        if video is None:
            slug_taken = Video.objects.filter(slug=entry["slug"]).exists()
            video = Video(youtube_id=video_id, url=canonical_url(video_id), slug="" if slug_taken else entry["slug"])
            video.full_clean()
            video.save()
            report.created["videos"] += 1
        else:
            report.unchanged["videos"] += 1
        videos[entry["slug"]] = video

    for slug, text in seed["transcripts"].items():
        video = videos[slug]
        existing = Transcript.objects.filter(video=video).first()
        if existing is None:
            Transcript.objects.create(
                video=video,
                source=Transcript.Source.SEED,
                language_code="en",
                language="English",
                segments=[{"start": 0.0, "duration": 0.0, "text": text}],
                full_text=text,
                is_excerpt=True,
            )
            report.created["transcripts"] += 1
        elif existing.source == Transcript.Source.SEED and existing.full_text == text:
            report.unchanged["transcripts"] += 1
        else:
            report.skipped.append(f"transcript of {slug} ({existing.get_source_display()}) differs from the seed")
        if video.transcript_state != Video.TranscriptState.READY:
            video.transcript_state = Video.TranscriptState.READY
            video.save(update_fields=["transcript_state"])

    for position, shot in enumerate(seed["shots"]):
        name = shot["video"]
        existing = FewShotExample.objects.filter(template=template, name=name).first()
        if existing is None:
            FewShotExample.objects.create(
                template=template,
                name=name,
                source_video=videos.get(name),
                transcript=shot["transcript"],
                answer=shot["answer"],
                position=position,
                is_active=True,
            )
            report.created["examples"] += 1
        elif existing.transcript == shot["transcript"] and existing.answer == shot["answer"]:
            report.unchanged["examples"] += 1
        else:
            report.skipped.append(f"example {name} of {template} differs from the seed")
    return report
