"""Suite-wide setup. Only what is outside this machine is replaced (YouTube);
Redis, the database, Celery and the browser are the real ones.

`bin/test` starts a private Redis and sets REDIS_URL; DATABASE_URL picks the
database (SQLite by default, PostgreSQL in CI's second run).
"""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = Path(os.environ.get("TEST_OUTPUT_DIR", REPO_ROOT / "test-output"))


def pytest_configure(config):
    from django.conf import settings

    # Static files are served from the finders in tests; no collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _new_catalogue_generation():
    """Cached catalogue pages belong to a generation (videos.catalogue.cache);
    each test starts a new one, so it never sees another test's pages: the database is
    rolled back after a test, the cache (the real Redis) is not."""
    from videos.catalogue import cache

    cache.advance()
    yield


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture
def seed_data():
    from videos.seed import read_seed

    return read_seed()


@pytest.fixture
def seeded(db, seed_data):
    from videos.seed import load_seed

    return load_seed(seed_data)


@pytest.fixture
def template(seeded):
    from videos.models import PromptTemplate

    return PromptTemplate.objects.get(name="reference", version=1)
