"""Websocket consumers on the real ASGI application and the channels-redis layer."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from summarizer_site.asgi import application
from tests.videos.factories import SummaryFactory, UserFactory
from videos import progress
from videos.models import Summary

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://127.0.0.1"


@database_sync_to_async
def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@database_sync_to_async
def make_user(*perms):
    from django.contrib.auth.models import Permission

    user = UserFactory()
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


_open: list[WebsocketCommunicator] = []


@pytest.fixture(autouse=True)
async def _disconnect_all():
    """Every consumer ends through a websocket.disconnect, as a browser's would: a
    consumer left to the event loop's shutdown can hang in the layer's receive."""
    yield
    while _open:
        comm = _open.pop()
        try:
            await comm.disconnect(timeout=5)
        except Exception:
            pass


async def communicator(path, user=None, origin=ORIGIN):
    headers = [(b"host", b"127.0.0.1")]
    if origin:
        headers.append((b"origin", origin))
    if user is not None:
        cookie = await session_cookie(user)
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    comm = WebsocketCommunicator(application, path, headers=headers)
    _open.append(comm)
    return comm


async def connected(path, user):
    comm = await communicator(path, user)
    ok, _ = await comm.connect(timeout=10)
    assert ok
    return comm


async def receive_until(comm, predicate, timeout=5):
    """Messages up to and including the first one that matches."""
    seen = []
    while True:
        msg = await comm.receive_json_from(timeout=timeout)
        seen.append(msg)
        if predicate(msg):
            return seen


async def assert_still_connected(comm):
    await comm.send_json_to({"action": "ping"})
    assert (await receive_until(comm, lambda m: m["type"] == "pong"))[-1] == {"type": "pong"}


async def test_anonymous_is_refused_with_4401():
    summary = await database_sync_to_async(SummaryFactory)()
    comm = await communicator(f"/ws/summaries/{summary.pk}/")
    ok, _ = await comm.connect(timeout=10)
    assert ok  # accepted only to say why: the browser sees the code
    closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
    for path in ("/ws/queue/",):
        comm = await communicator(path)
        await comm.connect(timeout=10)
        assert (await comm.receive_output(timeout=5))["code"] == 4401


async def test_a_user_without_view_permission_is_refused_with_4403():
    summary = await database_sync_to_async(SummaryFactory)()
    user = await make_user()
    comm = await communicator(f"/ws/summaries/{summary.pk}/", user)
    await comm.connect(timeout=10)
    assert (await comm.receive_output(timeout=5))["code"] == 4403


async def test_a_foreign_origin_is_refused():
    summary = await database_sync_to_async(SummaryFactory)()
    user = await make_user("videos.view_summary")
    comm = await communicator(f"/ws/summaries/{summary.pk}/", user, origin=b"https://evil.example")
    ok, _ = await comm.connect(timeout=10)
    assert not ok


async def test_unknown_summary_closes_with_4404():
    user = await make_user("videos.view_summary")
    comm = await communicator("/ws/summaries/999999/", user)
    await comm.connect(timeout=10)
    assert (await comm.receive_output(timeout=5))["code"] == 4404


async def test_snapshot_on_connect_then_relayed_events():
    summary = await database_sync_to_async(SummaryFactory)()
    earlier = await database_sync_to_async(SummaryFactory)()  # noqa: F841 - queued before: position 2
    user = await make_user("videos.view_summary")
    later = await database_sync_to_async(SummaryFactory)()
    comm = await connected(f"/ws/summaries/{later.pk}/", user)
    snapshot = await comm.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert (snapshot["summary_id"], snapshot["status"], snapshot["stage"], snapshot["position"]) == (later.pk, "queued", "queued", 3)

    event = {"summary_id": later.pk, "status": "running", "stage": "generating", "tokens": 12, "budget": 100, "text": "{\"intro"}
    await database_sync_to_async(progress.publish_summary)(later.pk, event)
    relayed = await comm.receive_json_from(timeout=5)
    assert relayed == {"type": "progress", **event}
    # Another summary's events are not relayed here.
    await database_sync_to_async(progress.publish_summary)(summary.pk, {**event, "summary_id": summary.pk})
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_snapshot_of_a_running_summary_is_the_stored_latest_event():
    stored = {"summary_id": 0, "status": "running", "stage": "generating", "tokens": 40, "text": "so far"}
    summary = await database_sync_to_async(SummaryFactory)(status="running", job__progress=stored)
    user = await make_user("videos.view_summary")
    comm = await connected(f"/ws/summaries/{summary.pk}/", user)
    snapshot = await comm.receive_json_from(timeout=5)
    assert snapshot["tokens"] == 40 and snapshot["text"] == "so far" and snapshot["cancel_requested"] is False
    await comm.disconnect()


async def test_cancel_by_a_user_with_the_permission():
    user = await make_user("videos.view_summary", "videos.cancel_summary")
    summary = await database_sync_to_async(SummaryFactory)()
    comm = await connected(f"/ws/summaries/{summary.pk}/", user)
    await comm.receive_json_from(timeout=5)
    await comm.send_json_to({"action": "cancel"})
    seen = await receive_until(comm, lambda m: m["type"] == "cancel_accepted")
    assert seen[-1]["status"] == "cancelled"
    events = seen[:-1] + await receive_until(comm, lambda m: m.get("status") == "cancelled" and m["type"] == "progress")
    assert any(m["type"] == "progress" and m["stage"] == "cancelled" for m in events)
    assert (await database_sync_to_async(Summary.objects.get)(pk=summary.pk)).status == "cancelled"
    await comm.disconnect()


async def test_cancel_of_a_running_summary_by_its_requester_sets_the_flag():
    user = await make_user("videos.view_summary")
    summary = await database_sync_to_async(SummaryFactory)(status="running", requested_by=user)
    comm = await connected(f"/ws/summaries/{summary.pk}/", user)
    await comm.receive_json_from(timeout=5)
    await comm.send_json_to({"action": "cancel"})
    seen = await receive_until(comm, lambda m: m["type"] == "cancel_accepted")
    assert seen[-1]["status"] == "running"
    refreshed = await database_sync_to_async(Summary.objects.select_related("job").get)(pk=summary.pk)
    assert refreshed.job.cancel_requested and refreshed.status == "running"
    await comm.disconnect()


async def test_cancel_is_refused_for_a_viewer_and_the_connection_stays_up():
    viewer = await make_user("videos.view_summary")
    summary = await database_sync_to_async(SummaryFactory)()
    comm = await connected(f"/ws/summaries/{summary.pk}/", viewer)
    await comm.receive_json_from(timeout=5)
    await comm.send_json_to({"action": "cancel"})
    error = await comm.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "forbidden"
    assert (await database_sync_to_async(Summary.objects.get)(pk=summary.pk)).status == "queued"
    await assert_still_connected(comm)
    await comm.disconnect()


@pytest.mark.parametrize("text,code", [
    ("not json at all", "bad_json"),
    ("{\"action\": ", "bad_json"),
    (json.dumps({"action": "explode"}), "unknown_action"),
    (json.dumps({"action": "__init__"}), "unknown_action"),
    (json.dumps(["cancel"]), "unknown_action"),
    (json.dumps({"no": "action"}), "unknown_action"),
])
async def test_a_bad_message_gets_an_error_event_and_the_connection_stays_up(text, code):
    user = await make_user("videos.view_summary")
    summary = await database_sync_to_async(SummaryFactory)()
    comm = await connected(f"/ws/summaries/{summary.pk}/", user)
    await comm.receive_json_from(timeout=5)
    await comm.send_to(text_data=text)
    error = await comm.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == code
    await assert_still_connected(comm)
    await comm.disconnect()


async def test_queue_socket_sends_the_list_then_changes():
    user = await make_user("videos.view_summary")
    running = await database_sync_to_async(SummaryFactory)(status="running")
    first = await database_sync_to_async(SummaryFactory)()
    second = await database_sync_to_async(SummaryFactory)()
    await database_sync_to_async(SummaryFactory)(status="done")
    comm = await connected("/ws/queue/", user)
    snapshot = await comm.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert [(i["summary_id"], i["position"]) for i in snapshot["items"]] == [(running.pk, None), (first.pk, 1), (second.pk, 2)]
    from videos.services import jobs

    await database_sync_to_async(jobs.summary_cancel)(summary_id=first.pk, user=None)
    seen = await receive_until(comm, lambda m: m["type"] == "queue" and m["kind"] == "snapshot")
    assert [(i["summary_id"], i["position"]) for i in seen[-1]["items"]] == [(running.pk, None), (second.pk, 1)]
    await comm.disconnect()
    await asyncio.sleep(0)


async def test_an_idle_socket_stays_up_longer_than_the_layer_poll():
    """channels-redis polls with a 5 s blocking pop; redis-py's socket timeout
    must be longer or an idle consumer dies with a TimeoutError."""
    user = await make_user("videos.view_summary")
    summary = await database_sync_to_async(SummaryFactory)()
    comm = await connected(f"/ws/summaries/{summary.pk}/", user)
    await comm.receive_json_from(timeout=5)
    await asyncio.sleep(7)
    event = {"summary_id": summary.pk, "status": "running", "stage": "generating"}
    await database_sync_to_async(progress.publish_summary)(summary.pk, event)
    assert (await comm.receive_json_from(timeout=5))["stage"] == "generating"
    await assert_still_connected(comm)
    await comm.disconnect()
