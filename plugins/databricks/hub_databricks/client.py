"""HTTP calls to one workspace's serving-endpoints API, and their error mapping."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from hub_core import (
    ProviderAuthError,
    ProviderError,
    ProviderUnavailableError,
    Redactor,
    retry_after_seconds,
    without_gc,
)
from hub_databricks import __version__, reuse
from hub_databricks.auth import Auth, SdkAuth, auth_for
from hub_databricks.config import PROVIDER, WorkspaceConfig

if TYPE_CHECKING:
    from hub_core import Endpoint

logger = logging.getLogger("hub_databricks.client")

LIST_PATH = "/api/2.0/serving-endpoints"
OFF_LOOP_BYTES = 256 * 1024
SCAN_CHUNK = 500
OFF_LOOP_ITEMS = 200  # a list longer than this is scanned and matched in a worker thread
REDACTED = "[REDACTED]"
# Invalid UTF-8 bytes become one of these noncharacters (the first the body does not hold),
# so the endpoints that held them can be found and dropped after decoding.
NONCHARACTERS = tuple(chr(c) for c in range(0xFDD0, 0xFDF0))
SURROGATE_RUN = re.compile("[\udc80-\udcff]+")
# Databricks token shapes, on top of what hub_core's Redactor treats as credential-like.
CREDENTIAL_LIKE = re.compile(r"\bdapi[0-9a-f]{16,}(?:-\d+)?|\bdose[0-9a-f]{16,}")
NO_SECRETS = Redactor()  # patterns only, for text with no known secrets to look for


def loads_lenient(raw: bytes) -> tuple[Any, str | None]:
    """The decoded body and, when it held invalid UTF-8, the marker that now stands for those bytes.

    One bad byte in one endpoint must not make the whole list undecodable: the bytes are
    replaced by a marker the body did not contain, and the caller drops what holds it.
    Raises ``orjson.JSONDecodeError`` when the body is not JSON even so.
    """
    try:
        return orjson.loads(raw), None
    except orjson.JSONDecodeError:
        text = raw.decode("utf-8", errors="surrogateescape")
        if not SURROGATE_RUN.search(text):
            raise  # valid UTF-8, just not JSON
        lowered = raw.lower()
        marker = next(
            (m for m in NONCHARACTERS if m.encode() not in raw and f"\\u{ord(m):04x}".encode() not in lowered), None
        )
        if marker is None:
            raise
        return orjson.loads(SURROGATE_RUN.sub(marker, text)), marker


def exact(encoded: bytes) -> bytes:
    """A right-sized copy of orjson's output, which holds about 8 KB however short the JSON:
    each item's bytes are kept until the next refresh."""
    return memoryview(encoded).tobytes()


def holds(value: Any, marker: str) -> bool:
    """Whether ``marker`` occurs in any key or string inside ``value``."""
    if isinstance(value, str):
        return marker in value
    if isinstance(value, dict):
        return any(marker in k or holds(v, marker) for k, v in value.items())
    if isinstance(value, list):
        return any(holds(v, marker) for v in value)
    return False


class WorkspaceClient:
    """Lists one workspace's serving endpoints as raw JSON (the SDK's classes drop fields we need)."""

    def __init__(self, workspace: WorkspaceConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.workspace = workspace
        self.auth: Auth = auth_for(workspace)
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self.list_calls = 0
        # The last list parsed: (what it was parsed from, its endpoints). See ``discover``.
        self._last: reuse.LastParse | None = None

    def __repr__(self) -> str:
        return f"WorkspaceClient(name={self.workspace.name!r}, host={self.workspace.host!r}, auth={self.auth!r})"

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.workspace.timeout, connect=min(5.0, self.workspace.timeout)),
                follow_redirects=False,
                headers={"Accept": "application/json", "User-Agent": f"hub-databricks/{__version__}"},
                transport=self._transport,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def host(self) -> str:
        if isinstance(self.auth, SdkAuth):
            return await self.auth.host()
        return self.workspace.host

    async def discover(self, target: str) -> list[Endpoint]:
        """The workspace's endpoints, parsed, as ``target``'s.

        A list byte for byte the same as the last one parsed (same host, no credential added to
        the redactor since) gives the same ``Endpoint`` objects again without decoding or parsing
        it, and the hub then keeps their conversion and serialised body too: an unchanged
        workspace's refresh costs the HTTP read and a SHA-256 of the body.

        A list that changed, for the same host, target and redactor, is decoded and scanned for
        secrets, and each item whose encoding is byte for byte one of the last list's gets that
        item's ``Endpoint`` back: only the items that changed are parsed (``hub_databricks.reuse``).
        """
        from hub_databricks.parse import parse_each_off_loop

        raw = await self._get_raw(LIST_PATH)
        host = await self.host()
        digest = await asyncio.to_thread(_sha256, raw) if len(raw) >= OFF_LOOP_BYTES else _sha256(raw)
        key = (digest, host, target, len(self.auth.redactor))  # a redactor only ever grows
        last = self._last
        if last is not None and last.key == key:
            return list(last.endpoints)
        items, encoded = await self._scanned_items(await self._decode(raw))
        del raw  # not kept alive while the list is parsed
        previous = last.reusable_for(key) if last is not None else None
        del last
        big = len(items) >= OFF_LOOP_ITEMS
        if previous is None or encoded is None:
            plan = reuse.parse_all(items)
        elif big:  # hashing every item's bytes: off the event loop
            plan = await asyncio.to_thread(reuse.plan, items, encoded, previous)
        else:
            plan = reuse.plan(items, encoded, previous)
        del previous, items
        parsed = await parse_each_off_loop(plan.fresh_items, target=target, host=host)
        if big:
            endpoints, by_bytes = await asyncio.to_thread(reuse.assemble, plan, parsed, encoded)
        else:
            endpoints, by_bytes = reuse.assemble(plan, parsed, encoded)
        self._last = reuse.LastParse(key, endpoints, by_bytes)
        return list(endpoints)

    async def list_endpoints(self) -> list[Any]:
        """The raw ``endpoints`` array; ``{}`` (an empty workspace) gives []."""
        items, _ = await self._scanned_items(await self._get(LIST_PATH))
        return items

    async def _scanned_items(self, decoded: tuple[Any, str | None]) -> tuple[list[Any], list[bytes] | None]:
        """The list's items, any credential echoed in them redacted, and each item's JSON encoding
        (None when orjson cannot encode them, nested too deeply)."""
        body, marker = decoded
        if not isinstance(body, dict):
            raise self._error(f"returned a list body that is not a JSON object ({type(body).__name__})")
        endpoints = body.get("endpoints", [])
        if endpoints is None:
            return [], []
        if not isinstance(endpoints, list):
            raise self._error("returned 'endpoints' that is not a list")
        count = len(endpoints)
        if count > self.workspace.max_endpoints:
            # The error is cached with its traceback, whose frame would keep the whole list alive.
            del body, endpoints
            raise self._too_many(count)
        items: list[Any] = endpoints
        if marker is not None:
            if count < OFF_LOOP_ITEMS:
                items = self._drop_invalid_text(items, marker)
            else:  # walking thousands of endpoints: off the event loop
                items = await asyncio.to_thread(without_gc, self._drop_invalid_text, items, marker)
        if count < OFF_LOOP_ITEMS:
            return self._without_secrets(items)
        return await asyncio.to_thread(without_gc, self._without_secrets, items)  # about 8 ms for 5,000

    def _without_secrets(self, endpoints: list[Any]) -> tuple[list[Any], list[bytes] | None]:
        """``endpoints``, with any credential of the hub's that the workspace echoed into them
        redacted, and the JSON encoding of each (after redaction), or None when orjson cannot
        encode them (nested deeper than it goes)."""
        redactor = self.auth.redactor
        encodings: list[bytes] = []
        encoded: list[bytes] | None = encodings
        found = False
        try:
            # Re-encoded (JSON escapes cannot hide one) one item at a time, and scanned a few
            # hundred at a time as the JSON array they make: one call over a 50,000-endpoint
            # list would hold the GIL, and so the event loop, for 100 ms.
            for i in range(0, len(endpoints), SCAN_CHUNK):
                chunk = [exact(orjson.dumps(item)) for item in endpoints[i : i + SCAN_CHUNK]]
                encodings.extend(chunk)
                if redactor.found_in(b"[" + b",".join(chunk) + b"]"):
                    found = True
                    break  # all of it is redacted and encoded again below
        except TypeError:  # nested deeper than orjson goes
            encoded = None
            found = redactor.found_in_data(endpoints)
        if not found:
            return endpoints, encoded
        logger.warning(
            "Workspace %r echoed one of the hub's credentials in its endpoint list; it is redacted", self.workspace.name
        )
        redacted: list[Any] = redactor.redact_data(endpoints)
        if encoded is not None:  # the redacted items' own bytes, so that they can be reused too
            try:
                encoded = [exact(orjson.dumps(item)) for item in redacted]
            except TypeError:
                encoded = None
        return redacted, encoded

    def _drop_invalid_text(self, endpoints: list[Any], marker: str) -> list[Any]:
        kept: list[Any] = []
        dropped: list[int] = []
        for position, endpoint in enumerate(endpoints):
            if holds(endpoint, marker):
                dropped.append(position)
            else:
                kept.append(endpoint)
        logger.warning(
            "Workspace %r: skipped %d endpoint(s) holding invalid UTF-8 (list positions %s); the rest are served",
            self.workspace.name,
            len(dropped),
            ", ".join(map(str, dropped[:10])) + (" ..." if len(dropped) > 10 else ""),
        )
        return kept

    async def _get(self, path: str) -> tuple[Any, str | None]:
        return await self._decode(await self._get_raw(path))

    async def _get_raw(self, path: str) -> bytes:
        """The body of a 200 answer to ``GET path``, read within the size limit."""
        url = (await self.host()) + path
        for attempt in (1, 2):
            headers = await self.auth.headers(self.http)
            self.list_calls += 1
            try:
                async with self.http.stream("GET", url, headers=headers) as response:
                    if response.status_code == 401 and attempt == 1 and await self.auth.invalidate():
                        logger.info(
                            "Workspace %r answered 401; refreshing the token and retrying once", self.workspace.name
                        )
                        continue
                    raw = await self._read_limited(response)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError) as error:
                raise ProviderUnavailableError(
                    f"Databricks workspace {self.workspace.name!r}: the connection to {self.workspace.host} failed "
                    f"({type(error).__name__}). Check the host and the network.",
                    provider=PROVIDER,
                    retryable=True,
                ) from None
            except httpx.TimeoutException:
                raise ProviderUnavailableError(
                    f"Databricks workspace {self.workspace.name!r} did not answer within {self.workspace.timeout:g} s.",
                    provider=PROVIDER,
                ) from None
            except httpx.HTTPError as error:
                raise ProviderUnavailableError(
                    f"Databricks workspace {self.workspace.name!r}: cannot reach {self.workspace.host} "
                    f"({type(error).__name__}). Check the host and the network.",
                    provider=PROVIDER,
                ) from None
            if response.status_code != 200:
                raise self._status_error(response.status_code, response.headers, raw)
            return raw
        raise AssertionError("unreachable")

    async def _decode(self, raw: bytes) -> tuple[Any, str | None]:
        try:
            if len(raw) < OFF_LOOP_BYTES:
                return loads_lenient(raw)
            # A big list: decoded off the event loop, without full collections over what it allocates.
            return await asyncio.to_thread(without_gc, loads_lenient, raw)
        except orjson.JSONDecodeError:
            raise self._error("returned a body that is not valid JSON") from None

    async def _read_limited(self, response: httpx.Response) -> bytes:
        limit = self.workspace.max_response_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise self._too_large(limit, int(declared))
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise self._too_large(limit, None)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_many(self, count: int) -> ProviderError:
        limit = self.workspace.max_endpoints
        return ProviderError(
            f"Databricks workspace {self.workspace.name!r} lists {count:,} serving endpoints, more than the limit "
            f"of {limit:,}; none are served. If it really has that many, raise HUB_DATABRICKS_MAX_ENDPOINTS "
            "(or max_endpoints in [providers.databricks]); each 1,000 endpoints take about 16 MB of memory.",
            provider=PROVIDER,
            limit=limit,
            setting="HUB_DATABRICKS_MAX_ENDPOINTS",
        )

    def _too_large(self, limit: int, declared: int | None) -> ProviderError:
        size = f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} byte"
        told = f" ({declared:,} bytes)" if declared is not None else ""
        return ProviderError(
            f"Databricks workspace {self.workspace.name!r} returned a body{told} larger than the {size} limit; "
            "none of its endpoints are served. The endpoint list is not paginated, so the limit must hold the "
            "whole list: raise HUB_DATABRICKS_MAX_ENDPOINTS (the body limit follows it, 4 KiB per endpoint) or "
            "set HUB_DATABRICKS_MAX_RESPONSE_BYTES (or max_response_bytes in [providers.databricks]).",
            provider=PROVIDER,
            limit=limit,
            setting="HUB_DATABRICKS_MAX_RESPONSE_BYTES",
        )

    def _error(self, what: str) -> ProviderError:
        return ProviderError(f"Databricks workspace {self.workspace.name!r} {what}.", provider=PROVIDER)

    def _status_error(self, status: int, headers: httpx.Headers, raw: bytes) -> ProviderError:
        name, method = self.workspace.name, self.auth.method
        summary = summarise_error(raw, status, self.auth.redactor)
        if status in (401, 403) and _is_auth_failure(status, raw):
            return ProviderAuthError(
                f"Databricks workspace {name!r} rejected the hub's {method} credentials ({summary}). "
                f"Check {self.workspace.credential_source}{_auth_hint(method)}.",
                provider=PROVIDER,
                auth_method=method,
            )
        if status == 403:
            return ProviderAuthError(
                f"Databricks workspace {name!r}: the {method} identity may not list serving endpoints ({summary}). "
                "Grant it workspace access and at least CAN_VIEW on the endpoints.",
                provider=PROVIDER,
                auth_method=method,
            )
        if status == 404:
            return ProviderError(
                f"Databricks workspace {name!r}: {self.workspace.host} does not serve the serving-endpoints API "
                f"({summary}). Check that the host is the workspace URL.",
                provider=PROVIDER,
            )
        if status in (429, 503):
            retry_after = retry_after_seconds(headers)
            error = ProviderUnavailableError(
                f"Databricks workspace {name!r} is {'rate limiting' if status == 429 else 'unavailable'} "
                f"({summary}); retrying after {retry_after or 'a pause'}"
                f"{' s' if retry_after else ''}.",
                provider=PROVIDER,
                retryable=True,
                retry_after=retry_after,
            )
            return error
        return ProviderError(f"Databricks workspace {name!r} answered {summary}.", provider=PROVIDER)


def _sha256(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()  # releases the GIL over a large body


def _auth_hint(method: str) -> str:
    return {
        "pat": " (the token may be expired or revoked)",
        "oauth-m2m": " (the service principal may lack access to this workspace)",
        "sdk": " and the SDK profile",
    }.get(method, "")


def _is_auth_failure(status: int, raw: bytes) -> bool:
    """401, or a 403 whose error says the token itself is bad (not a missing permission)."""
    if status == 401:
        return True
    code, message = _parse_error(raw)
    return code != "PERMISSION_DENIED" and "token" in message.lower()


def _parse_error(raw: bytes) -> tuple[str | None, str]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    code = body.get("error_code")
    message = body.get("message")
    # Legacy endpoints put the HTTP status in error_code as an integer: treat it as absent.
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else "")


def summarise_error(raw: bytes, status: int, redactor: Redactor = NO_SECRETS) -> str:
    """``403 PERMISSION_DENIED: first 160 characters of the message`` — never the raw body.

    The secrets ``redactor`` holds, in any form, and anything that looks like a credential
    (a bearer value, a PAT, a JWT) are replaced before the message is cut, in case an
    upstream or a proxy in front of it echoes a request header.
    """
    code, message = _parse_error(raw)
    message = _redact(" ".join(message[:4000].split()), redactor)[:160]
    parts = [str(status)]
    if code:
        # Redacted again once filtered: dropped characters must not join pieces into a secret.
        parts.append(_redact(re.sub(r"[^A-Za-z0-9_.\[\]-]", "", _redact(code[:400], redactor)), redactor)[:64])
    text = " ".join(parts)
    return f"{text}: {message}" if message else text


def _redact(text: str, redactor: Redactor) -> str:
    return CREDENTIAL_LIKE.sub(REDACTED, redactor.redact(text))
