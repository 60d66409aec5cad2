"""The ASGI application itself serves the home page and the admin login."""

import pytest
from channels.testing import HttpCommunicator

from summarizer_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _get(path):
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"127.0.0.1")])
    return await communicator.get_response(timeout=10)


async def test_home_page_asks_for_a_login():
    response = await _get("/")
    assert response["status"] == 302
    location = dict(response["headers"])[b"Location"].decode()
    assert location.startswith("/accounts/login/")
    login = await _get(location)
    assert login["status"] == 200
    assert b"Log in" in login["body"]


async def test_admin_login_is_served():
    response = await _get("/admin/login/")
    assert response["status"] == 200
    # Admitted through summarizer_site.admission, which times the wait and the run.
    assert dict(response["headers"])[b"server-timing"].startswith(b"queue;dur=")
    assert b"csrfmiddlewaretoken" in response["body"]
