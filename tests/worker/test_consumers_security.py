"""Websocket hardening on the real ASGI application and the channels-redis layer: the
origin check, sockets of a user who logged out, crafted frames and paths, and who may
cancel whose summary."""

from __future__ import annotations

import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from summarizer_site.asgi import application
from tests.routes import groups_as_migrated
from tests.videos.factories import SummaryFactory, UserFactory
from videos import progress
from videos.models import Summary

pytestmark = pytest.mark.django_db(transaction=True)

_open: list[WebsocketCommunicator] = []


@pytest.fixture(autouse=True)
async def _disconnect_all():
    """Every consumer ends through a websocket.disconnect, as a browser's would."""
    yield
    while _open:
        comm = _open.pop()
        try:
            await comm.disconnect(timeout=5)
        except Exception:
            pass


@database_sync_to_async
def logged_in(*perms: str, group: str | None = None) -> tuple:
    """A user with these permissions (or in a group made for the test) and a client
    logged in as that user; the client's session is the socket's."""
    user = UserFactory()
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return user, client


def socket(path: str, client: Client | None = None, *, host: bytes = b"127.0.0.1:8000",
           origin: bytes | None = b"http://127.0.0.1:8000") -> WebsocketCommunicator:
    headers = [(b"host", host)]
    if origin is not None:
        headers.append((b"origin", origin))
    if client is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()))
    comm = WebsocketCommunicator(application, path, headers=headers)
    _open.append(comm)
    return comm


async def opened(path: str, client: Client) -> WebsocketCommunicator:
    comm = socket(path, client)
    assert (await comm.connect(timeout=10))[0]
    assert (await comm.receive_json_from(timeout=5))["type"] == "snapshot"
    return comm


async def test_the_socket_may_come_only_from_the_same_origin():
    """Scheme, host and port must all match the page's: a page on another port of the
    same host (another local app) is refused."""
    _, client = await logged_in("videos.view_summary")
    assert (await socket("/ws/queue/", client).connect(timeout=10))[0]
    for host, origin in [
        (b"127.0.0.1:8000", b"http://127.0.0.1:1234"),
        (b"localhost:8000", b"http://localhost:1234"),
        (b"localhost:8000", b"https://localhost:8000"),
        (b"127.0.0.1:8000", b"http://127.0.0.1"),
        (b"127.0.0.1:8000", b"http://127.0.0.1:99999"),
        (b"127.0.0.1:8000", None),
        (b"evil.example", b"http://evil.example"),  # same origin, but not an allowed host
    ]:
        accepted, _ = await socket("/ws/queue/", client, host=host, origin=origin).connect(timeout=10)
        assert not accepted, (host, origin)


async def test_a_trusted_origin_behind_a_proxy_is_accepted_exactly(settings):
    """Behind a TLS proxy the page is https and the socket reaches daphne as plain ws:
    CSRF_TRUSTED_ORIGINS names the page's origin, and only that one."""
    settings.ALLOWED_HOSTS = ["summaries.example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://summaries.example.org"]
    _, client = await logged_in("videos.view_summary")
    host = b"summaries.example.org"
    assert (await socket("/ws/queue/", client, host=host, origin=b"https://summaries.example.org").connect(timeout=10))[0]
    for origin in (b"https://summaries.example.org:8443", b"https://other.example.org", b"http://summaries.example.org:8000"):
        assert not (await socket("/ws/queue/", client, host=host, origin=origin).connect(timeout=10))[0], origin


async def _logged_out(client: Client) -> None:
    response = await database_sync_to_async(client.post)(reverse("logout"))
    assert response.status_code == 302


async def test_after_logout_the_next_event_closes_the_socket_with_4401():
    summary = await database_sync_to_async(SummaryFactory)()
    _, client = await logged_in("videos.view_summary")
    comm = await opened(f"/ws/summaries/{summary.pk}/", client)
    await _logged_out(client)
    event = {"summary_id": summary.pk, "status": "running", "stage": "generating", "text": "secret so far"}
    await database_sync_to_async(progress.publish_summary)(summary.pk, event)
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_after_logout_the_next_message_closes_the_queue_socket_with_4401():
    _, client = await logged_in("videos.view_summary")
    comm = await opened("/ws/queue/", client)
    await comm.send_json_to({"action": "ping"})
    assert (await comm.receive_json_from(timeout=5)) == {"type": "pong"}
    await _logged_out(client)
    await comm.send_json_to({"action": "ping"})
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_a_password_change_elsewhere_closes_the_socket_with_4401():
    """Changing the password ends the account's other sessions (their hash no longer
    matches); the socket ends with them."""
    user, client = await logged_in("videos.view_summary")
    comm = await opened("/ws/queue/", client)

    def change_password():
        user.set_password("a-new-password-for-tests")
        user.save()

    await database_sync_to_async(change_password)()
    await comm.send_json_to({"action": "ping"})
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_deeply_nested_json_gets_an_error_and_the_socket_stays_up():
    summary = await database_sync_to_async(SummaryFactory)()
    _, client = await logged_in("videos.view_summary")
    comm = await opened(f"/ws/summaries/{summary.pk}/", client)
    for frame in ("[" * 3000, "[" * 2000 + "]" * 2000, '{"a":' * 800):
        await comm.send_to(text_data=frame)
        error = await comm.receive_json_from(timeout=5)
        assert error["type"] == "error" and error["code"] == "bad_json", frame[:10]
    await comm.send_json_to({"action": "ping"})
    assert (await comm.receive_json_from(timeout=5)) == {"type": "pong"}


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/summaries/abc/", "/ws/queue/extra/", "/"])
async def test_an_unknown_path_is_closed_with_4404_and_logs_no_error(path, caplog):
    _, client = await logged_in("videos.view_summary")
    for who in (None, client):  # anonymous, then logged in
        comm = socket(path, who)
        with caplog.at_level(logging.WARNING):
            accepted, _ = await comm.connect(timeout=10)
            assert accepted
            assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_submitter_cancels_only_their_own_summary_over_the_socket():
    await database_sync_to_async(groups_as_migrated)()
    submitter, client = await logged_in(group="Submitters")
    curator, _ = await logged_in(group="Curators")
    theirs = await database_sync_to_async(SummaryFactory)(requested_by=curator)
    own = await database_sync_to_async(SummaryFactory)(requested_by=submitter)

    comm = await opened(f"/ws/summaries/{theirs.pk}/", client)
    await comm.send_json_to({"action": "cancel"})
    error = await comm.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "forbidden"
    assert (await database_sync_to_async(Summary.objects.get)(pk=theirs.pk)).status == "queued"

    comm = await opened(f"/ws/summaries/{own.pk}/", client)
    await comm.send_json_to({"action": "cancel"})
    while (message := await comm.receive_json_from(timeout=5))["type"] != "cancel_accepted":
        pass
    assert message["status"] == "cancelled"
