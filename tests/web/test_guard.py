"""The ASGI guard on its own: a body shorter than its Content-Length cannot hold a
connection open (408 after the body timeout), and its answers carry the security headers."""

from __future__ import annotations

import json
import time

import anyio
import pytest

pytest.importorskip("fastapi")
from tokenfab.web.guard import Guard


async def _never_called(scope, receive, send):  # pragma: no cover - the guard answers first
    raise AssertionError("the app must not see a request whose body never arrives")


def _run(guard: Guard, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, dict, float]:
    sent: list[dict] = []

    async def main() -> None:
        queue = list(chunks)

        async def receive():
            if queue:
                return {"type": "http.request", "body": queue.pop(0), "more_body": True}
            await anyio.sleep(3600)  # the client stalls: the rest of the body never comes

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/api/plan", "headers": headers}
        await guard(scope, receive, send)

    t0 = time.perf_counter()
    anyio.run(main)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = json.loads(next(m for m in sent if m["type"] == "http.response.body")["body"])
    return start["status"], {**dict(start["headers"]), **body}, time.perf_counter() - t0


def test_a_stalled_body_is_answered_408_within_the_timeout():
    guard = Guard(_never_called, body_timeout_s=0.3)
    headers = [(b"host", b"127.0.0.1:8765"), (b"content-length", b"100"), (b"content-type", b"application/json")]
    status, answer, elapsed = _run(guard, headers, [b'{"model": "ll'])
    assert status == 408 and "not received within" in answer["detail"]
    assert elapsed < 2.0
    assert answer[b"x-content-type-options"] == b"nosniff"


def test_a_foreign_host_is_refused_before_the_body_is_read():
    guard = Guard(_never_called)
    status, answer, _ = _run(guard, [(b"host", b"rebind.example:8765"), (b"content-length", b"2")], [b"{}"])
    assert status == 400 and "--allow-host" in answer["detail"]
