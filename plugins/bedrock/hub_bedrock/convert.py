"""Bedrock list items (foundation models, inference profiles, provisioned throughputs, ...) as Endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub_bedrock.config import PROVIDER
from hub_core import Endpoint, ServedEntity

MODES = (("EMBEDDING", "embedding"), ("TEXT", "chat"), ("IMAGE", "image_generation"))
LEGACY_REASON = "AWS has scheduled this model's end of life; move to a newer version"
PROVISIONED_REASONS = {
    "Creating": "the provisioned throughput is being created",
    "Updating": "the provisioned throughput is being updated",
    "Failed": "the provisioned throughput failed; see it in the Bedrock console and recreate it",
}


def arn_account(arn: Any) -> str | None:
    """The account id of an ARN (``arn:aws:bedrock:us-east-1:123456789012:...``); foundation models have none."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    return parts[4] or None if len(parts) == 6 and parts[0] == "arn" else None


def arn_resource(arn: Any) -> str | None:
    """The id after the resource type: ``anthropic.claude-v2`` of ``...:foundation-model/anthropic.claude-v2``."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    resource = arn.split(":", 5)[-1]
    return resource.split("/", 1)[1] if "/" in resource else None


def mode_of(modalities: Any) -> str | None:
    outputs = set(modalities) if isinstance(modalities, list) else set()
    return next((mode for modality, mode in MODES if modality in outputs), None)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


class Converter:
    """Builds one region's endpoints; knows the region's foundation models for profiles and throughputs."""

    def __init__(
        self,
        region: str,
        target: str,
        target_url: str | None,
        foundation: list[dict[str, Any]],
        denied: dict[str, str] | None = None,
        account: str | None = None,
    ) -> None:
        self.account = account  # the target's account, for items whose ARN names none (foundation models)
        self.region, self.target, self.target_url = region, target, target_url
        self.denied = denied or {}  # model id -> why this account cannot call it
        self.runtime_url = f"https://bedrock-runtime.{region}.amazonaws.com"
        self.models = {m["modelId"]: m for m in foundation if isinstance(m.get("modelId"), str)}

    def _endpoint(self, kind: str, name: str, item: dict[str, Any], model: str | None, **fields: Any) -> Endpoint:
        base = self.models.get(model or "", {})
        streaming = base.get("responseStreamingSupported")
        fields.setdefault("mode", mode_of(base.get("outputModalities")))
        fields["account"] = fields.get("account") or self.account
        return Endpoint(
            provider=PROVIDER,
            name=name,
            target=self.target,
            target_url=self.target_url,
            endpoint_url=self.runtime_url,
            served_by=kind,
            region=self.region,
            model=model,
            capabilities={"streaming": streaming} if isinstance(streaming, bool) else {},
            raw={**item, "kind": kind},
            **fields,
        )

    def foundation(self, item: dict[str, Any]) -> Endpoint | None:
        """On-demand foundation models only: the rest are reached through profiles or throughputs."""
        if "ON_DEMAND" not in (item.get("inferenceTypesSupported") or []):
            return None
        model_id = str(item["modelId"])
        status = (item.get("modelLifecycle") or {}).get("status")
        available = status in (None, "ACTIVE", "LEGACY")
        reason = LEGACY_REASON if status == "LEGACY" else None if available else f"model lifecycle is {status}"
        if available and model_id in self.denied:
            available, reason = False, self.denied[model_id]
        return self._endpoint(
            "foundation_model",
            model_id,
            item,
            model_id,
            entities=[
                ServedEntity(name=model_id, type="FOUNDATION_MODEL", external_provider=_text(item.get("providerName")))
            ],
            state=_text(status),
            available=available,
            state_reason=reason,
            display_name=_text(item.get("modelName")),
            creator=_text(item.get("providerName")),
        )

    def profile(self, item: dict[str, Any]) -> Endpoint:
        models = [arn_resource(m.get("modelArn")) for m in item.get("models") or [] if isinstance(m, dict)]
        model = next((m for m in models if m), None)
        status = _text(item.get("status"))
        return self._endpoint(
            "inference_profile",
            str(item["inferenceProfileId"]),
            item,
            model,
            entities=[ServedEntity(name=m, type="FOUNDATION_MODEL") for m in dict.fromkeys(models) if m],
            account=arn_account(item.get("inferenceProfileArn")),
            state=status,
            available=status == "ACTIVE",
            state_reason=None if status == "ACTIVE" else f"inference profile is {status or 'in an unknown state'}",
            display_name=_text(item.get("inferenceProfileName")),
            description=_text(item.get("description")),
            created_at=_time(item.get("createdAt")),
            updated_at=_time(item.get("updatedAt")),
        )

    def provisioned(self, item: dict[str, Any]) -> Endpoint:
        model = arn_resource(item.get("foundationModelArn"))
        status = _text(item.get("status"))
        units, desired = item.get("modelUnits"), item.get("desiredModelUnits")
        reason = PROVISIONED_REASONS.get(
            status or "", f"the provisioned throughput is {status or 'in an unknown state'}"
        )
        if status == "Updating" and isinstance(desired, int):
            reason += f" to {desired} model units"
        return self._endpoint(
            "provisioned_throughput",
            str(item["provisionedModelName"]),
            item,
            model,
            entities=[ServedEntity(name=arn_resource(item.get("modelArn")) or str(model), type="MODEL")],
            account=arn_account(item.get("provisionedModelArn")),
            sku=f"ProvisionedThroughput/{item.get('commitmentDuration') or 'NoCommitment'}",
            capacity=units if isinstance(units, int) else None,
            state=status,
            available=status == "InService",
            state_reason=None if status == "InService" else reason,
            created_at=_time(item.get("creationTime")),
            updated_at=_time(item.get("lastModifiedTime")),
        )

    def custom(self, item: dict[str, Any]) -> Endpoint:
        model = arn_resource(item.get("baseModelArn"))
        status = _text(item.get("modelStatus"))
        return self._endpoint(
            "custom_model",
            str(item["modelName"]),
            item,
            model,
            entities=[ServedEntity(name=str(item["modelName"]), type=_text(item.get("customizationType")))],
            account=_text(item.get("ownerAccountId")) or arn_account(item.get("modelArn")),
            state=status,
            available=status in (None, "Active"),
            state_reason=None if status in (None, "Active") else f"custom model is {status}",
            created_at=_time(item.get("creationTime")),
        )

    def imported(self, item: dict[str, Any]) -> Endpoint:
        return self._endpoint(
            "imported_model",
            str(item["modelName"]),
            item,
            None,
            mode="chat" if item.get("instructSupported") else "completion",
            entities=[ServedEntity(name=str(item["modelName"]), type=_text(item.get("modelArchitecture")))],
            account=arn_account(item.get("modelArn")),
            created_at=_time(item.get("creationTime")),
        )
