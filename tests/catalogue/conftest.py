import pytest

from .helpers import viewer


@pytest.fixture
def viewer_client(client, db):
    client.force_login(viewer())
    return client


@pytest.fixture(autouse=True)
def _empty_cache():
    """The overview chart is cached per filter key; a test must not see another test's data."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
