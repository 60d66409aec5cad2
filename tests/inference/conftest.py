"""Fixtures for the Django-free inference tests (no database needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.schema import TemplateShape

REPO_ROOT = Path(__file__).resolve().parents[2]
# The project's own copy of the seed, then the original in the shared folder beside the
# repository (../shared).
SEED_FILES = (
    REPO_ROOT / "videos" / "seed" / "seed.json",
    REPO_ROOT.parent / "shared" / "seeds" / "seed.json",
)
SEED_KEYS = ("prompt", "shots")  # what these tests read from a seed


def _read_seed(path: Path) -> dict | None:
    try:
        seed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return seed if isinstance(seed, dict) and all(k in seed for k in SEED_KEYS) else None


@pytest.fixture(scope="session")
def seed() -> dict:
    """The first of SEED_FILES that exists and has what the tests need."""
    for path in SEED_FILES:
        data = _read_seed(path)
        if data is not None:
            return data
    pytest.fail(f"no seed with {SEED_KEYS} in {[str(p) for p in SEED_FILES]}")


@pytest.fixture(scope="session")
def shape(seed) -> TemplateShape:
    return TemplateShape(
        fields=tuple(seed["prompt"]["general_topics"]),
        scale=tuple(seed["prompt"]["complexity_scale"]),
    )


@pytest.fixture
def answers(seed) -> list[dict]:
    """The curated answers, parsed (a fresh copy per test so tests may break them)."""
    return [json.loads(shot["answer"]) for shot in seed["shots"]]
