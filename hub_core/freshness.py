"""How fresh an answer is, as HTTP headers: ETag, Age, Cache-Control, X-Hub-Stale and the
headers that name providers missing from (or partial in) a merged answer."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace

FAILED_HEADER = "X-Hub-Failed-Providers"
WARNINGS_HEADER = "X-Hub-Partial-Providers"
"""Providers whose answer is partial (``warnings``): it stays cacheable, as the gap may last."""


@dataclass(frozen=True)
class Freshness:
    """How fresh a response is, for the Age, ETag, Cache-Control and X-Hub-Stale headers.

    ``failed`` names the providers whose data is missing from the answer, wholly or for some
    targets: such an answer says so in ``X-Hub-Failed-Providers``, is not to be cached
    (``max-age=0``) and has no ETag, so no client or cache revalidates it as complete.
    """

    etag: str
    stale: bool
    fetched_at: float | None
    max_age: int
    failed: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()

    def variant(self, *parts: str) -> Freshness:
        """The same freshness for another representation of the data (a page, a filter)."""
        digest = hashlib.blake2b(self.etag.encode(), digest_size=12)
        for part in parts:
            digest.update(b"\0" + part.encode())
        return replace(self, etag=digest.hexdigest())

    def headers(self, now: float | None = None) -> dict[str, str]:
        now = time.time() if now is None else now
        headers = {
            "ETag": f'"{self.etag}"',
            "X-Hub-Stale": "true" if self.stale else "false",
            "Cache-Control": f"public, max-age={0 if self.stale or self.failed else self.max_age}",
        }
        if self.failed:
            del headers["ETag"]
            headers[FAILED_HEADER] = ", ".join(self.failed)
        if self.warned:
            headers[WARNINGS_HEADER] = ", ".join(self.warned)
        if self.fetched_at is not None:
            headers["Age"] = str(max(0, int(now - self.fetched_at)))
        return headers


def header_safe(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
