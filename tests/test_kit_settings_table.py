"""The kit's settings-table validation and prefixed catalog lookup."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from hub_core import ProviderConfigError, settings_table
from hub_core.testing import bundled_catalog


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9-]+$")
    timeout: float = Field(default=10.0, gt=0)


def test_a_good_table_becomes_the_model():
    assert settings_table(Region, {"name": "eu-west-1"}, provider="acme", where="[providers.acme]").timeout == 10.0


def test_a_bad_table_names_where_and_the_field_but_never_the_value():
    with pytest.raises(ProviderConfigError) as raised:
        settings_table(Region, {"name": "EU WEST sekrit-value", "timeout": -1}, provider="acme", where="[x] #2")
    message = str(raised.value)
    assert message.startswith("[x] #2: name:") and "timeout:" in message
    assert "sekrit-value" not in message and "-1" not in message


@pytest.mark.parametrize("key", ["api_key", "token", "client_secret"])
def test_an_inline_secret_is_refused_pointing_at_the_env_setting(key: str):
    with pytest.raises(ProviderConfigError, match=f"holds {key} inline.*with api_key_env") as raised:
        settings_table(Region, {"name": "eu", key: "s3cr3t"}, provider="acme", where="[x]", env_field="api_key_env")
    assert "s3cr3t" not in str(raised.value)


def test_catalog_fields_under_prefixes_never_guess_without_one():
    catalog = bundled_catalog()
    assert catalog.fields_under(["gpt-4o"], []) == {}, "no prefix, no prices by accident"
    openai = catalog.fields_under(["gpt-4o"], ["openai"])
    assert openai["input_cost_per_token"] > 0, "an entry whose litellm_provider is the prefix"
    assert catalog.fields_under(["gpt-4o"], ["ollama"]) == {}
    found = catalog.fields_under(["no-such-model", "gpt-4o"], ["openai"])
    assert found == openai, "the names are tried in order"
    found["input_cost_per_token"] = 0
    assert catalog.fields_under(["gpt-4o"], ["openai"])["input_cost_per_token"] > 0, "a copy, not the shared fields"


async def test_a_provider_leaves_price_variants_out_of_its_catalog_fallback():
    from hub_core import ProviderInfo, hookimpl
    from hub_core.testing import make_hub

    class Cloud:
        def __init__(self, exclude: list[str]) -> None:
            self.exclude = exclude

        @hookimpl
        def provider_info(self) -> ProviderInfo:
            return ProviderInfo(display_name="Cloud", catalog_providers=["bedrock"], catalog_exclude=self.exclude)

    everything = await make_hub({"cloud": Cloud([])}).model_groups("cloud")
    models = await make_hub({"cloud": Cloud(["*/*/*"])}).model_groups("cloud")
    assert any(g.model_group.count("/") >= 2 for g in everything)
    assert models and all(g.model_group.count("/") < 2 for g in models)
    assert {g.model_group for g in models} < {g.model_group for g in everything}
