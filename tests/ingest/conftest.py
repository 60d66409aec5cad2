"""Shared fixtures for the Django-free ingestion tests.

These tests use no database and no Django settings; they run with or without
pytest-django active.
"""

from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parent / "files"


@pytest.fixture
def files_dir() -> Path:
    return FILES
