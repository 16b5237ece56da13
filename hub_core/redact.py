"""Remove known secrets from text that came from an upstream, before the hub shows it.

A ``Redactor`` holds the secret values a plugin sent or obtained (a PAT, a client secret,
an OAuth access token) and replaces them in any text, whatever form the upstream echoed
them in: as sent, in any letter case, base64-encoded (alone, or inside a ``Basic`` header
next to a user name), URL-encoded, or as a fragment of at least ``min_fragment``
characters that a cut left behind. It also replaces what merely looks like a credential
(``Bearer ...``, ``Basic ...``, JWTs), for secrets it was never told about.

    redactor = Redactor(token)
    redactor.add(access_token)           # e.g. a token obtained later
    message = redactor.redact(upstream_text)

Redact first, then cut: a redactor finds the fragments an upstream's own cut left, but a
secret the hub cut itself must already be gone. Standard library only, cheap to import.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import quote, quote_plus

__all__ = ["CREDENTIAL_PATTERN", "REDACTED", "Redactor"]

REDACTED = "[REDACTED]"
MIN_SECRET = 4  # shorter values are not redacted: they would match ordinary text
MIN_FRAGMENT = 8

# What looks like a credential whatever its value: an Authorization header's value, a JWT,
# and a credential-named field with its value (form, query or JSON style).
CREDENTIAL_PATTERN = re.compile(
    r"(?i:\b(?:bearer|basic)\s+)[^\s,;\"'<>]+"
    r"|\beyJ[\w-]{8,}(?:\.[\w-]*){0,2}"
    r"|(?P<name>(?i:\b(?:access_token|refresh_token|id_token|client_secret|password|api_key)[\"']?\s*[:=]\s*[\"']?))"
    r"[^\s&,;\"'<>]+"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _HasSecret(Protocol):
    def get_secret_value(self) -> str: ...


Secret = str | _HasSecret | None


def _value(secret: Secret) -> str:
    if secret is None:
        return ""
    if isinstance(secret, str):
        return secret
    return secret.get_secret_value()


def _fold(text: str) -> str:
    """ASCII lower case: the same length as ``text``, so positions carry over."""
    return text.translate(_ASCII_LOWER)


def _base64_forms(raw: bytes) -> list[str]:
    """``raw`` in base64 at each of the three alignments it can have inside a longer value.

    Characters that would also carry bits of a neighbouring byte are dropped, so each form
    is exactly what any encoding that contains ``raw`` at that alignment must contain.
    """
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        start = (offset * 4 + 2) // 3  # the first character made only of ``raw``'s bits
        end = ((offset + len(raw)) * 4) // 3  # the last one, before padding or a next byte
        core = encoded[start:end]
        forms += [core, core.replace("+", "-").replace("/", "_")]
    return forms


def variants(value: str) -> set[str]:
    """The forms an upstream may echo ``value`` in, folded to lower case."""
    forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
    forms.update(_base64_forms(value.encode("utf-8", "surrogateescape")))
    return {_fold(f) for f in forms if len(f) >= MIN_SECRET}


class Redactor:
    """Secrets to keep out of text; ``redact(text)`` replaces each with ``[REDACTED]``.

    Thread-safe: ``add`` may run in a worker thread while ``redact`` runs on the event loop.
    Its ``repr`` says how many values it holds, never what they are.
    """

    def __init__(self, *secrets: Secret, min_fragment: int = MIN_FRAGMENT) -> None:
        self.min_fragment = max(MIN_SECRET, min_fragment)
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._whole: tuple[str, ...] = ()  # folded forms shorter than a fragment: matched whole
        self._grams: frozenset[str] = frozenset()  # every min_fragment-long piece of the longer forms
        self._forms: tuple[bytes, ...] = ()  # every whole form, for found_in
        self.add(*secrets)

    def __repr__(self) -> str:
        return f"Redactor({len(self._values)} secrets)"

    def __len__(self) -> int:
        return len(self._values)

    def add(self, *secrets: Secret) -> None:
        """Hold more secret values (``str``, ``SecretStr`` or ``None``, which is skipped)."""
        new = {v for v in map(_value, secrets) if len(v) >= MIN_SECRET} - self._values
        if new:
            self._extend(new, {f for v in new for f in variants(v)})

    def add_basic(self, user: str, password: Secret) -> None:
        """Hold ``password``, and the ``Basic`` header value that carries ``user:password``."""
        secret = _value(password)
        if len(secret) < MIN_SECRET:
            return
        self.add(secret)
        header = base64.b64encode(f"{user}:{secret}".encode("utf-8", "surrogateescape")).decode("ascii")
        self._extend({header}, {_fold(header.rstrip("="))})

    def update(self, other: Redactor) -> None:
        """Hold everything ``other`` holds too."""
        with other._lock:
            values, whole, grams = other._values, other._whole, other._grams
            forms = other._forms
        with self._lock:
            self._values |= values
            self._whole = tuple(sorted(set(self._whole) | set(whole), key=len, reverse=True))
            self._grams |= grams
            self._forms = tuple(set(self._forms) | set(forms))

    def _extend(self, values: Iterable[str], forms: set[str]) -> None:
        n = self.min_fragment
        whole = {f for f in forms if len(f) < n}
        grams = {f[i : i + n] for f in forms if len(f) >= n for i in range(len(f) - n + 1)}
        encoded = {f.encode("utf-8", "surrogateescape") for f in forms}
        with self._lock:  # readers see either the old or the new state, never half of one
            self._values |= set(values)
            self._whole = tuple(sorted(set(self._whole) | whole, key=len, reverse=True))
            self._grams |= grams
            self._forms = tuple(set(self._forms) | encoded)

    def found_in(self, data: str | bytes) -> bool:
        """Whether ``data`` holds a whole secret in one of its forms (no fragments): a quick test
        for large data, a few milliseconds for megabytes, before redacting it piece by piece."""
        forms = self._forms
        if not forms:
            return False
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        folded = raw.lower()  # ASCII only, like the forms
        return any(form in folded for form in forms)

    def found_in_data(self, value: Any) -> bool:
        """``found_in`` for every string (and dict key) in JSON-like ``value``, at any depth."""
        return self.found_in("\x00".join(_strings(value)))

    def redact_data(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` with every string in it, dict keys included, redacted.

        Iterative, so upstream data nested deeper than the recursion limit is no problem."""
        if not isinstance(value, (dict, list)):
            return self.redact(value) if isinstance(value, str) else value
        root: Any = {} if isinstance(value, dict) else []
        stack = [(value, root)]
        while stack:
            source, target = stack.pop()
            pairs = source.items() if isinstance(source, dict) else enumerate(source)
            for key, item in pairs:
                if isinstance(item, (dict, list)):
                    copied: Any = {} if isinstance(item, dict) else []
                    stack.append((item, copied))  # filled in later; its place is kept now
                else:
                    copied = self.redact(item) if isinstance(item, str) else item
                if isinstance(target, list):
                    target.append(copied)
                else:
                    target[self.redact(key) if isinstance(key, str) else key] = copied
        return root

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` holds a secret in some form: sorted, merged ``(start, end)`` pairs."""
        whole, grams, n = self._whole, self._grams, self.min_fragment
        if not text or not (whole or grams):
            return []
        folded = _fold(text)
        found: list[tuple[int, int]] = []
        for form in whole:
            start = folded.find(form)
            while start != -1:
                found.append((start, start + len(form)))
                start = folded.find(form, start + 1)
        if grams:
            found += [(i, i + n) for i in range(len(folded) - n + 1) if folded[i : i + n] in grams]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def redact(self, text: str) -> str:
        """``text`` with every held secret, and anything shaped like a credential, replaced."""
        pieces, last = [], 0
        for start, end in self.spans(text):
            while end < len(text) and end - start > 2 and text[end] == "=" and text[end - 2 : end] != "==":
                end += 1  # base64 padding belongs to the encoded secret
            pieces += [text[last:start], REDACTED]
            last = end
        pieces.append(text[last:])
        return CREDENTIAL_PATTERN.sub(_keep_name, "".join(pieces))

    __call__ = redact


def _strings(value: Any) -> list[str]:
    """Every string and dict key in JSON-like ``value``, without recursion."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _keep_name(match: re.Match[str]) -> str:
    """``client_secret=abc`` -> ``client_secret=[REDACTED]``; ``Bearer abc`` -> ``[REDACTED]``."""
    return (match.group("name") or "") + REDACTED
