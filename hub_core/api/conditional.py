"""Conditional GET: does the client's ``If-None-Match`` name the version it would get?

The one matcher every route uses (the FastAPI routes through ``cached_response``, the fast
path, the hub page), so a 304 follows the same rules everywhere. RFC 9110 section 13.1.2:
``If-None-Match`` is ``*`` or a comma-separated list of entity tags, compared weakly
(a ``W/`` prefix on either side is ignored; the quoted opaque tags must be equal).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

WEAK_PREFIX = "W/"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when ``if_none_match`` is ``*`` or lists ``etag`` (weak comparison).

    ``etag`` is a full entity tag with its quotes (``"abc"`` or ``W/"abc"``). A malformed
    list matches only through the tags before the fault: the client gets the full body.
    """
    if not if_none_match:
        return False
    wanted = opaque_tag(etag)
    return any(tag == "*" or tag == wanted for tag in entity_tags(if_none_match))


def joined(values: Iterable[str]) -> str | None:
    """Several ``If-None-Match`` field lines as the one list they mean (RFC 9110 section 5.3)."""
    lines = [value for value in values if value.strip()]
    return ", ".join(lines) if lines else None


def opaque_tag(etag: str) -> str:
    """The tag as weak comparison sees it: ``W/`` dropped, quotes kept."""
    return etag.strip().removeprefix(WEAK_PREFIX)


def entity_tags(field: str) -> Iterator[str]:
    """The opaque tags (with their quotes) of an ``If-None-Match`` value, or ``*``."""
    at, end = 0, len(field)
    while at < end:
        while at < end and field[at] in " \t,":
            at += 1
        if at == end:
            return
        if field[at] == "*":
            yield "*"
            at += 1
            continue
        if field.startswith(WEAK_PREFIX, at):
            at += len(WEAK_PREFIX)
        if at == end or field[at] != '"':
            return  # not an entity tag: stop reading
        close = field.find('"', at + 1)  # an opaque tag holds no DQUOTE, but may hold a comma
        if close < 0:
            return
        yield field[at : close + 1]
        at = close + 1
