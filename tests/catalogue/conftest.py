import pytest

from .helpers import viewer


@pytest.fixture
def viewer_client(client, db):
    client.force_login(viewer())
    return client
