"""Accept-Encoding parsing (RFC 9110 §12.5.3): tokens, q-values, ``*`` and ``identity``."""

from __future__ import annotations

import pytest

from hub_core.api.accept_encoding import choose_coding, parse_accept_encoding, quality

SERVER = ["br", "gzip"]  # the fast path's order with brotli installed


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("gzip", {"gzip": 1.0}),
        ("gzip, br", {"gzip": 1.0, "br": 1.0}),
        (" GZip ;  Q = 0.25 ,br;q=1.000", {"gzip": 0.25, "br": 1.0}),
        ("*;q=0, gzip", {"*": 0.0, "gzip": 1.0}),
        ("gzip;level=9;q=0.5", {"gzip": 0.5}),  # other parameters are ignored
        ("gzip;q=0.5, gzip;q=0", {"gzip": 0.5}),  # the first of a repeated coding counts
        ("gzip,,br,", {"gzip": 1.0, "br": 1.0}),  # empty items
    ],
)
def test_parse(header: str, parsed: dict[str, float]) -> None:
    assert parse_accept_encoding(header) == parsed


@pytest.mark.parametrize(
    "bad",
    ["gzip;q=2", "gzip;q=1.5", "gzip;q=0.1234", "gzip;q=", "gzip;q", "gzip;q=abc", "gzip;q=-0", "g zip", '"gzip"'],
)
def test_an_item_that_does_not_parse_is_ignored(bad: str) -> None:
    assert parse_accept_encoding(f"{bad}, br") == {"br": 1.0}


def test_quality_of_a_coding_named_explicitly_beats_the_wildcard() -> None:
    preferences = parse_accept_encoding("*;q=0.5, gzip;q=0")
    assert quality("gzip", preferences) == 0.0
    assert quality("br", preferences) == 0.5
    assert quality("identity", preferences) == 0.5


def test_identity_is_acceptable_unless_excluded() -> None:
    assert quality("identity", parse_accept_encoding("gzip")) == 1.0
    assert quality("identity", parse_accept_encoding("identity;q=0")) == 0.0
    assert quality("identity", parse_accept_encoding("*;q=0")) == 0.0
    assert quality("identity", parse_accept_encoding("*;q=0, identity")) == 1.0
    assert quality("gzip", parse_accept_encoding("identity")) == 0.0  # not listed, no wildcard


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (None, None),
        ("", None),  # an empty value asks for no coding
        ("  ", None),
        ("gzip", "gzip"),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("gzip;q=0, *", "br"),
        ("gzip;q=0", None),
        ("br;q=0.1, gzip;q=0.9", "gzip"),
        ("br;q=0.9, gzip;q=0.9", "br"),  # a tie: the server's order
        ("gzip;q=0.001", "gzip"),  # small but not zero
        ("deflate, compress", None),  # nothing the server has
        ("identity;q=0, *;q=0", None),  # nothing acceptable: identity anyway, not an error
        ("gzip;q=2, br", "br"),  # the malformed item is ignored, not the header
    ],
)
def test_choose_coding(header: str | None, chosen: str | None) -> None:
    assert choose_coding(SERVER, header) == chosen


def test_choose_coding_keeps_to_what_the_server_has() -> None:
    assert choose_coding(["gzip"], "br, gzip;q=0.5") == "gzip"  # no brotli installed
    assert choose_coding(["gzip"], "br") is None
