"""A summary's quality figures as the site measures, stores, shows and filters them.

The figures themselves are defined once, in `inference.quality` (pure functions, no
torch): `grounded`, `copied`, `repeated` and `coverage`, each a share in [0, 1]. The
worker measures them when it stores a result (videos.services.jobs); here they become
plain words for the summary, compare and admin pages, and the one "needs review" rule,
against settings.SUMMARY_REVIEW_THRESHOLDS, that both the pages and the catalogue's
filter use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from inference import quality as measures

FIGURES = ("grounded", "copied", "repeated", "coverage")


def review_thresholds() -> dict[str, float]:
    return settings.SUMMARY_REVIEW_THRESHOLDS


def needs_review_q(prefix: str = "") -> Q:
    """Rows with a figure past its threshold. `prefix` reaches the result's columns from
    another model ("result__" from Summary). A null figure (not measured, or coverage of a
    transcript without times) is never past its threshold."""
    t = review_thresholds()
    return (
        Q(**{f"{prefix}grounded__lt": t["grounded_min"]})
        | Q(**{f"{prefix}copied__gt": t["copied_max"]})
        | Q(**{f"{prefix}repeated__gt": t["repeated_max"]})
        | Q(**{f"{prefix}coverage__isnull": False, f"{prefix}coverage__lt": t["coverage_min"]})
    )


def summary_figures(
    *, data: dict[str, Any], transcript: str, example_answers: Iterable[str],
    section_times: Sequence[Sequence[float]] | None, duration: float | None,
) -> dict[str, float | None]:
    """The four stored figures of a summary (see inference.quality.figures)."""
    got = measures.figures(
        data, transcript=transcript, example_answers=list(example_answers),
        section_times=[(float(s), float(e)) for s, e in section_times] if section_times else None,
        duration=duration, expected_fields=[],
    )
    return {name: got.get(name) for name in FIGURES}


def percent(value: float) -> str:
    """A share as a whole percentage, never rounding a little into none or all."""
    if value <= 0:
        return "0%"
    if value < 0.01:
        return "under 1%"
    if 0.99 < value < 1:
        return "over 99%"
    return f"{round(value * 100)}%"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None
    text: str  # what it says, in plain words
    flagged: bool  # past its review threshold
    reason: str = ""  # why it needs review, when flagged


def _figures(grounded, copied, repeated, coverage) -> list[Figure]:
    t = review_thresholds()
    out = []
    if grounded is None:
        out.append(Figure("grounded", None, "not measured", False))
    else:
        out.append(Figure("grounded", grounded, f"{percent(grounded)} of its words occur in the transcript",
                          grounded < t["grounded_min"],
                          f"fewer than {percent(t['grounded_min'])} of its words occur in the transcript"))
    if copied is None:
        out.append(Figure("copied", None, "not measured", False))
    else:
        text = "none copied from a few-shot example" if copied <= 0 else f"{percent(copied)} copied from a few-shot example"
        out.append(Figure("copied", copied, text, copied > t["copied_max"],
                          f"more than {percent(t['copied_max'])} copied from a few-shot example"))
    if repeated is None:
        out.append(Figure("repeated", None, "not measured", False))
    else:
        text = "no repeated phrases" if repeated <= 0 else f"{percent(repeated)} repeated phrases"
        out.append(Figure("repeated", repeated, text, repeated > t["repeated_max"],
                          f"more than {percent(t['repeated_max'])} repeated phrases"))
    if coverage is None:
        out.append(Figure("coverage", None, "no section times (the transcript has none)", False))
    else:
        out.append(Figure("coverage", coverage, f"sections cover {percent(coverage)} of the video",
                          coverage < t["coverage_min"],
                          f"sections cover less than {percent(t['coverage_min'])} of the video"))
    return out


@dataclass(frozen=True)
class Quality:
    """What a page shows of a result's figures."""

    figures: list[Figure]
    measured: bool

    @property
    def needs_review(self) -> bool:
        return any(f.flagged for f in self.figures)

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.figures if f.flagged]

    @property
    def by_name(self) -> dict[str, Figure]:
        return {f.name: f for f in self.figures}


def result_quality(result) -> Quality:
    """The figures of a SummaryResult (or None: nothing measured) in plain words."""
    values = [getattr(result, name, None) if result is not None else None for name in FIGURES]
    measured = any(v is not None for v in values[:3])
    return Quality(figures=_figures(*values), measured=measured)


def summary_quality(summary) -> Quality:
    """The figures of a summary's result; an unsaved or resultless summary is unmeasured."""
    return result_quality(getattr(summary, "result", None) if summary.pk else None)
