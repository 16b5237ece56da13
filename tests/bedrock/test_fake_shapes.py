"""The fake Bedrock speaks what botocore's own service model says Bedrock answers: fields, types, required members."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import botocore.loaders
import pytest
from bedrock_fake import PATHS, aws_environment, aws_error, fake_bedrock, install, region_data

import hub_bedrock
from hub_core.testing import FakeUpstream, app_client, make_hub

MODEL: dict[str, Any] = botocore.loaders.create_loader().load_service_model("bedrock", "service-2")
SHAPES: dict[str, Any] = MODEL["shapes"]


def violations(value: Any, shape_name: str, where: str) -> list[str]:
    """Every way ``value`` departs from the shape: unknown or missing members, wrong types, values off the enum."""
    shape = SHAPES[shape_name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: {shape_name} must be an object"]
        members = shape.get("members", {})
        found = [f"{where}.{k}: not a member of {shape_name}" for k in value if k not in members]
        found += [f"{where}: {shape_name} lacks required {k!r}" for k in shape.get("required", []) if k not in value]
        for key, item in value.items():
            if key in members:
                found += violations(item, members[key]["shape"], f"{where}.{key}")
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: {shape_name} must be a list"]
        return [v for i, item in enumerate(value) for v in violations(item, shape["member"]["shape"], f"{where}[{i}]")]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: {shape_name} must be a string"]
        if "enum" in shape and value not in shape["enum"]:
            return [f"{where}: {value!r} is not one of {shape['enum']}"]
        return []
    if kind in ("integer", "long"):
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{where}: must be an integer"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: must be a boolean"]
    if kind == "timestamp":
        assert shape.get("timestampFormat") == "iso8601"
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return [f"{where}: {value!r} is not an ISO 8601 timestamp"]
        return []
    return [f"{where}: the checker does not know shape type {kind!r}"]


def output_shape(operation: str) -> str:
    return str(MODEL["operations"][operation]["output"]["shape"])


def test_the_checker_catches_an_unknown_a_missing_and_a_mistyped_field() -> None:
    bad = {"modelSummaries": [{"modelArn": "arn:x", "colour": "red", "outputModalities": ["SMELL"]}]}
    found = violations(bad, output_shape("ListFoundationModels"), "reply")
    assert any("colour" in v for v in found)
    assert any("lacks required 'modelId'" in v for v in found)
    assert any("SMELL" in v for v in found)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_every_list_of_the_fake_matches_the_operations_output_shape(region: str) -> None:
    data = region_data(region)
    for operation, member, paginated in PATHS.values():
        body = {member: data[operation], **({"nextToken": "abc"} if paginated else {})}
        assert violations(body, output_shape(operation), operation) == []


def test_the_fake_serves_the_operations_at_the_paths_and_with_the_query_the_model_documents() -> None:
    for path, (operation, _member, paginated) in PATHS.items():
        spec = MODEL["operations"][operation]
        assert (spec["http"]["method"], spec["http"]["requestUri"]) == ("GET", path)
        query = {m.get("locationName") for m in SHAPES[spec["input"]["shape"]]["members"].values()}
        assert paginated == ({"nextToken", "maxResults"} <= query), operation


def test_the_availability_path_is_the_models_uri_with_the_model_id_encoded(fake_upstream: FakeUpstream) -> None:
    install(fake_upstream)
    spec = MODEL["operations"]["GetFoundationModelAvailability"]["http"]
    assert (spec["method"], spec["requestUri"]) == ("GET", "/foundation-model-availability/{modelId}")
    routed = {path for method, path in fake_upstream._routes}
    assert "/foundation-model-availability/anthropic.claude-v2%3A1" in routed


def test_the_fakes_errors_are_the_models_error_shapes() -> None:
    for code, status in (("ThrottlingException", 429), ("AccessDeniedException", 403)):
        reply = aws_error(status, code, "m")
        assert SHAPES[code]["error"]["httpStatusCode"] == status
        assert violations(reply.body, code, code) == []
        assert reply.headers["x-amzn-ErrorType"].split(":")[0] == code
        assert {"shape": code} in MODEL["operations"]["ListFoundationModels"]["errors"]


async def test_every_reply_the_fake_sent_during_discovery_matches_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_bedrock() as fake:
        aws_environment(monkeypatch, fake, regions="us-east-1,eu-west-1")
        fake.access["amazon.titan-embed-text-v2:0"] = {"authorizationStatus": "NOT_AUTHORIZED"}
        hub = make_hub({"bedrock": hub_bedrock}, providers={"bedrock": {"check_access": True}})
        async with app_client(hub) as client:
            assert (await client.get("/public/bedrock/endpoints")).status_code == 200
    operations = {operation for operation, _, _ in PATHS.values()} | {"GetFoundationModelAvailability"}
    assert {operation for operation, _ in fake.replies} == operations
    assert any("nextToken" in body for _, body in fake.replies), "discovery went through more than one page"
    for operation, body in fake.replies:
        assert violations(body, output_shape(operation), operation) == []
    for request in fake.upstream.requests:  # and the plugin asks only with documented query parameters
        if request.path in PATHS:
            spec = MODEL["operations"][PATHS[request.path][0]]
            documented = {m.get("locationName") for m in SHAPES[spec["input"]["shape"]]["members"].values()}
            assert set(parse_qs(request.query)) <= documented, request.path
