"""docs/plugins.md stays true: every hook has a section headed by its exact signature (and a
test_hook_<name>), every model field is in the field reference, and its claims about the code hold."""

from __future__ import annotations

import inspect
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from hub_core import CAPABILITY_FLAGS, ProviderConfigError, hookimpl, hookspecs, models
from hub_core.codec import DiscoveryCodec
from hub_core.freshness import header_safe
from hub_core.testing import make_hub

DOCS = Path(__file__).resolve().parent.parent / "docs"
TESTS = Path(__file__).resolve().parent
PLUGINS_DOC = DOCS / "plugins.md"
SPEC_MARKER = f"{hookspecs.PROJECT}_spec"  # the attribute pluggy's HookspecMarker sets


def hook_names() -> list[str]:
    return sorted(name for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, SPEC_MARKER))


def heading(name: str) -> str:
    signature = str(inspect.signature(getattr(hookspecs, name))).replace("'", "")
    return f"### `{name}{signature}`"


def test_hookspecs_are_found() -> None:
    assert hook_names(), f"no function in hub_core.hookspecs carries {SPEC_MARKER!r}"


@pytest.mark.parametrize("name", hook_names())
def test_hook_is_documented_with_its_signature(name: str) -> None:
    lines = [line.rstrip() for line in PLUGINS_DOC.read_text(encoding="utf-8").splitlines()]
    expected = heading(name)
    assert expected in lines, f"{PLUGINS_DOC.name} has no section headed exactly:\n{expected}"


def test_documented_hooks_exist() -> None:
    text = PLUGINS_DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(\w+)\(", text, re.MULTILINE))
    stale = documented - set(hook_names())
    assert not stale, f"{PLUGINS_DOC.name} documents hooks that hub_core.hookspecs no longer has: {sorted(stale)}"


@pytest.mark.parametrize("name", hook_names())
def test_hook_has_a_test(name: str) -> None:
    pattern = re.compile(rf"def test_hook_{name}\b")
    here = Path(__file__).resolve()
    files = [p for p in TESTS.rglob("*.py") if p.resolve() != here]
    found = [p for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    assert found, f"no test function named test_hook_{name} under {TESTS}"


# -- the field reference ("The models: field reference") --------------------------------------

REFERENCED_MODELS: list[type[BaseModel]] = [
    models.Target,
    models.Endpoint,
    models.ServedEntity,
    models.Discovery,
    models.ModelGroup,
    models.Deployment,
]
ROW = re.compile(r"^\| `(\w+)` \| (.+?) \| (.+?) \| (.+) \|$")


def section(text: str, title: str) -> str:
    """The lines under the heading ``title`` up to the next heading of any level."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start:end])


def documented_defaults(model: type[BaseModel]) -> dict[str, str]:
    text = section(PLUGINS_DOC.read_text(encoding="utf-8"), f"### `{model.__name__}`")
    return {m[1]: m[3] for m in map(ROW.match, text.splitlines()) if m}


def expected_default(model: type[BaseModel], name: str) -> str:
    if name in model.model_computed_fields:
        return "computed"
    field = model.model_fields[name]
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    return f"`{json.dumps(value)}`" if isinstance(value, str) else f"`{value!r}`"


@pytest.mark.parametrize("model", REFERENCED_MODELS, ids=lambda m: m.__name__)
def test_every_model_field_is_in_the_reference_with_its_default(model: type[BaseModel]) -> None:
    documented = documented_defaults(model)
    fields = [*model.model_fields, *model.model_computed_fields]
    missing = [name for name in fields if name not in documented]
    assert not missing, f"{PLUGINS_DOC.name}, ### `{model.__name__}`: no row for {missing}"
    stale = sorted(set(documented) - set(fields))
    assert not stale, f"{PLUGINS_DOC.name}, ### `{model.__name__}` documents fields it no longer has: {stale}"
    actual = {name: expected_default(model, name) for name in fields}
    wrong = {name: (documented[name], actual[name]) for name in fields if documented[name] != actual[name]}
    assert not wrong, f"{PLUGINS_DOC.name}, ### `{model.__name__}`: (documented, actual) defaults {wrong}"


def test_the_value_vocabularies_name_what_the_code_uses() -> None:
    from hub_databricks.parse import ENDPOINT_TYPES, NOT_READY_REASONS, TASK_MODES

    text = section(PLUGINS_DOC.read_text(encoding="utf-8"), "### Value vocabularies")
    words = {
        *CAPABILITY_FLAGS,
        *get_args(models.Source),
        *get_args(models.HealthStatus),
        models.UNKNOWN_MODE,
        *models.MODE_OPENAI_PARAMS,
        *TASK_MODES,
        *TASK_MODES.values(),
        *ENDPOINT_TYPES.values(),
        *NOT_READY_REASONS,
        "READY",
        "NOT_READY",
    }
    missing = sorted(w for w in words if f"`{w}`" not in text and f'`"{w}"`' not in text)
    assert not missing, f"{PLUGINS_DOC.name}, ### Value vocabularies: never mentions {missing}"


def test_links_inside_plugins_md_reach_a_heading() -> None:
    text = PLUGINS_DOC.read_text(encoding="utf-8")
    headings = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
    broken = sorted(set(re.findall(r"\]\(#([\w-]+)\)", text)) - anchors)
    assert not broken, f"{PLUGINS_DOC.name} links to headings it does not have: {broken}"


# -- claims of "`raw` must be JSON-safe" and "Target names" ------------------------------------


def round_trip(raw: dict[str, object]) -> dict[str, object]:
    codec = DiscoveryCodec()
    endpoint = models.Endpoint(provider="acme", name="chat", target="eu", raw=raw)
    [back] = codec.decode(codec.encode(models.Discovery(endpoints=[endpoint]))).endpoints
    return back.raw


def test_json_raw_round_trips_through_the_shared_cache_unchanged() -> None:
    raw = {"id": "chat", "n": 3, "price": 0.5, "ok": True, "none": None, "tags": ["a", {"b": [1, 2]}]}
    assert round_trip(raw) == raw


def test_a_raw_json_cannot_hold_fails_the_shared_cache_write() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        round_trip({"ids": {1, 2}})


def test_a_raw_orjson_converts_comes_back_as_something_else() -> None:
    back = round_trip({"when": datetime(2024, 1, 2, tzinfo=timezone.utc), "pair": (1, 2)})
    assert back == {"when": "2024-01-02T00:00:00+00:00", "pair": [1, 2]}


def test_only_ascii_letters_digits_dash_underscore_and_dot_survive_in_headers() -> None:
    assert header_safe("ok-name_1.x") == "ok-name_1.x"
    assert header_safe("a b:c/é,\r\n") == "a_b_c_____"


async def test_two_targets_of_one_name_are_refused() -> None:
    class Twice:
        @hookimpl
        def configured_targets(self) -> list[models.Target]:
            return [models.Target(name="eu"), models.Target(name="eu")]

        @hookimpl
        def discover_endpoints(self, target: models.Target) -> list[models.Endpoint]:
            return []

    hub = make_hub({"acme": Twice()})
    try:
        with pytest.raises(ProviderConfigError, match="more than one target named 'eu'"):
            await hub.targets("acme")
    finally:
        await hub.aclose()
