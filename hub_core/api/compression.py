"""gzip and br for the standalone app's routed answers, choosing by ``Accept-Encoding`` q-values.

``Compress`` compresses a complete answer (one with a ``Content-Length``) of at least
``min_bytes`` (``HUB_GZIP_MIN_BYTES``) when the client accepts a coding, sends
``Vary: Accept-Encoding``, and gives the compressed variant its own ETag (``"<etag>-gzip"``,
``W/"<etag>-gzip"``), so a compressed variant's ETag never validates the identity body.

``If-None-Match`` with a variant's ETag is passed to the route as the identity ETag it stands
for, but only when the client asks for that same coding again; the route's 304 then goes out
with the variant's ETag. The fast path (``GET /public/model_hub``) uses the same codings and ETags.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub_core.api.accept_encoding import choose_coding
from hub_core.api.conditional import entity_tags, joined, opaque_tag

Compressor = Callable[[bytes], bytes]
OFF_LOOP_BYTES = 256 * 1024  # larger bodies are compressed in a thread, not on the event loop
# Media types worth compressing; images, archives and fonts are compressed already.
_TEXTUAL = ("text/", "json", "javascript", "xml", "yaml")


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0)


def _brotli() -> Compressor | None:
    """brotli's compress, when the optional ``hub-core[br]`` extra is installed (imported lazily)."""
    try:
        import brotli  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        return None
    return lambda body: bytes(brotli.compress(body, quality=5))


def codings() -> dict[str, Compressor]:
    """The codings the hub can send, in order of preference for a tie in q: br (when installed), gzip."""
    br = _brotli()
    return {**({"br": br} if br else {}), "gzip": _gzip}


def variant_etag(etag: str, coding: str) -> str | None:
    """``"x"`` -> ``"x-gzip"``, ``W/"x"`` -> ``W/"x-gzip"``; None for a value that is not an entity tag."""
    weak, opaque = ("W/", etag[2:]) if etag.startswith("W/") else ("", etag)
    if len(opaque) < 2 or not (opaque.startswith('"') and opaque.endswith('"')):
        return None
    return f'{weak}{opaque[:-1]}-{coding}"'


def _identity_tags(if_none_match: str, coding: str) -> list[str]:
    """The identity ETags that the client's ``coding`` variants stand for (``"x-gzip"`` -> ``"x"``)."""
    suffix = f'-{coding}"'
    return [tag[: -len(suffix)] + '"' for tag in entity_tags(if_none_match) if tag.endswith(suffix)]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _add_vary(headers: MutableHeaders) -> None:
    vary = headers.get("vary", "")
    if "accept-encoding" not in vary.lower() and vary.strip() != "*":
        headers["Vary"] = f"{vary}, Accept-Encoding" if vary.strip() else "Accept-Encoding"


class Compress:
    """ASGI middleware: the routed answers of the standalone app, compressed per ``Accept-Encoding``."""

    def __init__(self, app: ASGIApp, *, min_bytes: int, available: dict[str, Compressor] | None = None) -> None:
        self.app = app
        self.min_bytes = min_bytes
        self.available = available if available is not None else codings()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = choose_coding(list(self.available), _header(scope, b"accept-encoding"))
        if_none_match = joined(v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match") or ""
        if coding is not None and (stands_for := _identity_tags(if_none_match, coding)):
            # The route compares identity ETags: tell it which one the client's variant stands for.
            headers = [(k, v) for k, v in scope["headers"] if k != b"if-none-match"]
            headers.append((b"if-none-match", ", ".join([*entity_tags(if_none_match), *stands_for]).encode("latin-1")))
            scope = {**scope, "headers": headers}
        responder = _Responder(self, send, coding, if_none_match)
        await self.app(scope, receive, responder.send)


class _Responder:
    """One answer: holds the start message until the body shows whether to compress it."""

    def __init__(self, owner: Compress, send: Send, coding: str | None, if_none_match: str) -> None:
        self.owner = owner
        self.downstream = send
        self.coding = coding
        self.held_tags = set(entity_tags(if_none_match))  # what the client holds
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.passing = False  # sent as it comes (not compressed)

    async def send(self, message: Message) -> None:
        if self.passing:
            await self.downstream(message)
        elif message["type"] == "http.response.start":
            self.start = {**message, "headers": list(message.get("headers", ()))}  # a copy to edit
            await self._on_start(self.start)
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._finish(b"".join(self.chunks))
        else:  # another kind of body (``http.response.pathsend``): sent as it is, after the held start
            if self.start is not None:
                await self._pass(self.start)
            await self.downstream(message)

    async def _on_start(self, message: Message) -> None:
        headers = MutableHeaders(raw=message["headers"])
        status = message["status"]
        if status == 304:  # the route matched an identity ETag, or the one a variant stands for
            _add_vary(headers)
            etag = headers.get("etag")
            variant = variant_etag(etag, self.coding) if etag and self.coding else None
            if variant is not None and opaque_tag(variant) in self.held_tags:
                headers["ETag"] = variant
            await self._pass(message)
            return
        length = headers.get("content-length", "")
        textual = any(kind in headers.get("content-type", "").lower() for kind in _TEXTUAL)
        if (
            status < 200
            or status in (204, 206)
            or "content-encoding" in headers
            or not length.isdigit()  # streamed: sent as it comes
            or int(length) < self.owner.min_bytes
            or not textual
        ):
            await self._pass(message)
            return
        _add_vary(headers)  # from here the answer depends on Accept-Encoding
        if self.coding is None:
            await self._pass(message)

    async def _pass(self, message: Message) -> None:
        self.passing = True
        await self.downstream(message)

    async def _finish(self, body: bytes) -> None:
        assert self.start is not None and self.coding is not None
        headers = MutableHeaders(raw=self.start["headers"])
        etag = headers.get("etag")
        variant = variant_etag(etag, self.coding) if etag else None
        if etag is not None:
            del headers["etag"]  # the identity ETag never goes out with a compressed body
        if variant is not None:
            headers["ETag"] = variant
            if opaque_tag(variant) in self.held_tags or "*" in self.held_tags:
                del headers["content-length"]
                del headers["content-type"]
                await self.downstream({**self.start, "status": 304})
                await self.downstream({"type": "http.response.body", "body": b""})
                return
        compress = self.owner.available[self.coding]
        encoded = await asyncio.to_thread(compress, body) if len(body) >= OFF_LOOP_BYTES else compress(body)
        headers["Content-Encoding"] = self.coding
        headers["Content-Length"] = str(len(encoded))
        await self.downstream(self.start)
        await self.downstream({"type": "http.response.body", "body": encoded})
