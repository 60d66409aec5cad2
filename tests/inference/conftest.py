"""Fixtures for the Django-free inference tests (no database needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.schema import TemplateShape

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_SEED = Path("/work/shared/seeds/seed.json")


def seed_path() -> Path:
    """The project's copy of the seed when present, else the shared original."""
    local = REPO_ROOT / "videos" / "seed" / "seed.json"
    return local if local.exists() else SHARED_SEED


@pytest.fixture(scope="session")
def seed() -> dict:
    return json.loads(seed_path().read_text(encoding="utf-8"))


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
