"""Admission control for HTTP requests (an ASGI middleware).

daphne hands every request to Django at once, and Django runs each sync view
in a thread of its own: under a burst, dozens of views share the GIL and the
database's CPU, and every one of them gets slower. This middleware lets at
most `limit` requests run in the process; the others wait their turn, first
come first served, before any work is done for them, the way a worker pool
behind a proxy queues. Websockets are not limited.

Each response says how long it waited and how long it ran:
`Server-Timing: queue;dur=…, app;dur=…` (milliseconds; app runs from
admission to the start of the response, middleware included).
"""

from __future__ import annotations

import asyncio
import time


class HttpAdmission:
    def __init__(self, app, *, limit: int):
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.limit <= 0:
            return await self.app(scope, receive, send)
        if self._slots is None:  # created in the server's event loop
            self._slots = asyncio.Semaphore(self.limit)
        arrived = time.perf_counter()
        async with self._slots:
            admitted = time.perf_counter()

            async def send_with_timing(message):
                if message["type"] == "http.response.start":
                    ran = time.perf_counter() - admitted
                    timing = f"queue;dur={(admitted - arrived) * 1000:.1f}, app;dur={ran * 1000:.1f}"
                    message = {**message, "headers": [*message.get("headers", []), (b"server-timing", timing.encode())]}
                await send(message)

            await self.app(scope, receive, send_with_timing)
