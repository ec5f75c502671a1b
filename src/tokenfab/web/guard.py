"""ASGI guard in front of the app: Host allow-list (no DNS rebinding onto the local app),
bounded request bodies read under a timeout (a body shorter than its Content-Length cannot
hold a connection), and security headers on every response."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import anyio

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
MAX_DETAIL_CHARS = 300
CSP_APP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
           "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'none'")
# the OpenAPI pages start Swagger UI / ReDoc with an inline script
CSP_DOCS = CSP_APP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def detail(text: str) -> str:
    """An error detail cut to :data:`MAX_DETAIL_CHARS` characters, on one line."""
    one = " ".join(str(text).split())
    return one if len(one) <= MAX_DETAIL_CHARS else one[: MAX_DETAIL_CHARS - 3] + "..."


def _host(scope: Scope) -> str:
    for k, v in scope.get("headers", ()):
        if k == b"host":
            h = v.decode("latin-1").strip().lower()
            if h.startswith("["):
                return h[1:].split("]", 1)[0]
            return h.rsplit(":", 1)[0] if h.count(":") == 1 else h
    return ""


class Guard:
    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = LOOPBACK_HOSTS, max_body_bytes: int = 64_000,
                 body_timeout_s: float = 10.0) -> None:
        self.app = app
        self.allowed = {h.lower().strip("[]") for h in allowed_hosts}
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s

    async def _reply(self, send: Send, status: int, text: str, path: str) -> None:
        body = json.dumps({"detail": detail(text)}).encode()
        await self._with_headers(send, path)({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _with_headers(self, send: Send, path: str) -> Send:
        csp = CSP_DOCS if path.startswith(("/docs", "/redoc")) else CSP_APP

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"server",)]
                message["headers"] = [*headers, *SECURITY_HEADERS, (b"content-security-policy", csp.encode())]
            await send(message)

        return wrapped

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        host = _host(scope)
        if "*" not in self.allowed and host not in self.allowed:
            await self._reply(send, 400, f"Host {host!r} is not served; start tokenfab serve with --allow-host "
                              f"{host or 'NAME'} to allow it", path)
            return
        if scope.get("method") in ("POST", "PUT", "PATCH"):
            replay = await self._read_body(scope, receive, send, path)
            if replay is None:
                return
            receive = replay
        await self.app(scope, receive, self._with_headers(send, path))

    async def _read_body(self, scope: Scope, receive: Receive, send: Send, path: str) -> Receive | None:
        headers = dict(scope.get("headers", ()))
        length = headers.get(b"content-length", b"").decode("latin-1")
        if b"transfer-encoding" in headers or not length:
            await self._reply(send, 411, "send a Content-Length header with the body (no chunked bodies)", path)
            return None
        if not length.isdigit():
            await self._reply(send, 400, f"Content-Length = {length[:20]!r}: must be a byte count", path)
            return None
        if int(length) > self.max_body_bytes:
            await self._reply(send, 413, f"request body of {length} bytes exceeds the {self.max_body_bytes}-byte limit",
                              path)
            return None
        chunks: list[bytes] = []
        try:
            with anyio.fail_after(self.body_timeout_s):
                while True:
                    msg = await receive()
                    if msg["type"] == "http.disconnect":
                        return None
                    chunks.append(msg.get("body", b""))
                    if sum(map(len, chunks)) > self.max_body_bytes:
                        await self._reply(send, 413, "request body exceeds the declared length and the limit", path)
                        return None
                    if not msg.get("more_body", False):
                        break
        except TimeoutError:
            await self._reply(send, 408, f"request body not received within {self.body_timeout_s:g} s", path)
            return None
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay
