"""Loaded with `-p tests.pytest_env` before pytest-django sets Django up.

Tests run with DEBUG off, as production does; a throwaway key stands in for
SECRET_KEY and nothing is downloaded.
"""

import os

os.environ.setdefault("SUMMARIZER_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# No worker consumes the tests' broker: the catalogue warm-up (a task queued after
# each change) is off, and tests/catalogue/test_catalogue_warm.py turns it on.
os.environ.setdefault("CATALOGUE_WARM_PAGES", "0")
