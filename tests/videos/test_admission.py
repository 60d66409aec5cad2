"""HTTP admission control: at most `limit` requests run at once, the rest wait in
arrival order; every response carries its queue and run times; websockets pass."""

import asyncio
import re

from summarizer_site.admission import HttpAdmission


class SlowApp:
    def __init__(self):
        self.running = 0
        self.peak = 0
        self.started: list[int] = []
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.started.append(scope.get("n"))
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        self.running -= 1


async def call(app, scope):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_requests_beyond_the_limit_wait_their_turn_in_order():
    inner = SlowApp()
    app = HttpAdmission(inner, limit=2)
    tasks = []
    for n in range(5):
        tasks.append(asyncio.create_task(call(app, {"type": "http", "n": n})))
        await asyncio.sleep(0)  # arrive one after another
    await asyncio.sleep(0.05)
    assert inner.running == 2 and inner.started == [0, 1]
    inner.release.set()
    results = await asyncio.gather(*tasks)
    assert inner.peak == 2
    assert inner.started == [0, 1, 2, 3, 4]
    for sent in results:
        headers = dict(sent[0]["headers"])
        assert headers[b"content-type"] == b"text/plain"
        timing = headers[b"server-timing"].decode()
        assert re.fullmatch(r"queue;dur=[0-9.]+, app;dur=[0-9.]+", timing), timing
    # The last ones waited behind the first two.
    waited = [float(re.search(r"queue;dur=([0-9.]+)", dict(s[0]["headers"])[b"server-timing"].decode()).group(1)) for s in results]
    assert waited[0] < 10 and min(waited[2:]) >= 40


async def test_websockets_and_a_zero_limit_are_not_limited():
    inner = SlowApp()
    inner.release.set()
    sent = await call(HttpAdmission(inner, limit=1), {"type": "websocket"})
    assert b"server-timing" not in dict(sent[0]["headers"])
    sent = await call(HttpAdmission(inner, limit=0), {"type": "http"})
    assert b"server-timing" not in dict(sent[0]["headers"])
