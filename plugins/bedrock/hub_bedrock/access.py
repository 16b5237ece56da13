"""Optional: whether the account may call each on-demand foundation model (``GetFoundationModelAvailability``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hub_bedrock.client import RegionClient

OPERATION = "GetFoundationModelAvailability"
WORKERS = 8


def why_not(reply: dict[str, Any]) -> str | None:
    """Why the account cannot call the model, from the availability reply; None when it can."""
    if reply.get("authorizationStatus") == "NOT_AUTHORIZED":
        return "model access has not been granted to this account; request it in the Bedrock console"
    if reply.get("entitlementAvailability") == "NOT_AVAILABLE":
        return "the account has no entitlement to this model (a Marketplace subscription is missing)"
    agreement = (reply.get("agreementAvailability") or {}).get("status")
    if agreement not in (None, "AVAILABLE"):
        return f"the model's end-user agreement is {agreement}; accept it in the Bedrock console"
    if reply.get("regionAvailability") == "NOT_AVAILABLE":
        return "the model is not available in this region"
    return None


def check(handle: RegionClient, model_ids: list[str]) -> tuple[dict[str, str], BaseException | None]:
    """The reason per model id the account cannot call, and the first error (the rest are left as they are)."""
    import botocore.exceptions

    def one(model_id: str) -> tuple[str, str | None, BaseException | None]:
        try:
            reply = handle.client.get_foundation_model_availability(modelId=model_id)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            return model_id, None, error
        return model_id, why_not(reply), None

    reasons: dict[str, str] = {}
    first: BaseException | None = None
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hub-bedrock-access") as pool:
        for model_id, reason, error in pool.map(one, model_ids):
            if reason:
                reasons[model_id] = reason
            first = first or error
    return reasons, first
