"""``Accept-Encoding`` read as RFC 9110 §12.5.3 says: codings with q-values, ``*`` and ``identity``.

``gzip;q=0`` and ``*;q=0`` exclude; a coding named explicitly takes its own q over ``*``'s, so
``*;q=0, gzip`` accepts gzip. An item that does not parse (a bad token or q-value) is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def parse_accept_encoding(value: str) -> dict[str, float]:
    """Each listed coding (lower case) and its q (1 when absent); the first of a repeated coding counts."""
    preferences: dict[str, float] = {}
    for item in value.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if not _TOKEN.fullmatch(coding):
            continue  # empty (``gzip,,br``) or not a token
        q: float | None = 1.0
        for param in params:
            name, equals, raw = (part.strip() for part in param.partition("="))
            if name.lower() == "q":
                q = float(raw) if equals and _QVALUE.fullmatch(raw) else None
        if q is not None:
            preferences.setdefault(coding.lower(), q)
    return preferences


def quality(coding: str, preferences: dict[str, float]) -> float:
    """How much the client wants ``coding``: its own q, else ``*``'s; identity is acceptable unless excluded."""
    if coding in preferences:
        return preferences[coding]
    if "*" in preferences:
        return preferences["*"]
    return 1.0 if coding == "identity" else 0.0


def choose_coding(available: Sequence[str], accept_encoding: str | None) -> str | None:
    """The available coding with the highest non-zero q (ties: the order of ``available``), or None for identity.

    No header or an empty one means no coding: clients that say nothing are sent identity. When nothing
    available is acceptable, the answer is identity too, even if the client excluded it: a readable
    answer beats a 406 for a list the client asked for.
    """
    if not accept_encoding or not accept_encoding.strip():
        return None
    preferences = parse_accept_encoding(accept_encoding)
    best, best_q = None, 0.0
    for coding in available:
        q = quality(coding.lower(), preferences)
        if q > best_q:
            best, best_q = coding, q
    return best
