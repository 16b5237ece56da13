"""One region's discovery: the five list calls (the first alone, then four at once), a partial answer when some
of them fail."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hub_bedrock.client import CREDENTIAL_CODES, OPERATIONS, RegionClient, as_hub_error, error_code, is_transient
from hub_bedrock.convert import Converter
from hub_core import Discovery, Endpoint, Target

logger = logging.getLogger("hub_bedrock")
FIRST = "ListFoundationModels"
REST = [operation for operation in OPERATIONS if operation != FIRST]


def _fatal(answer: list[dict[str, Any]] | BaseException, operation: str) -> bool:
    return isinstance(answer, BaseException) and _fails_the_region(answer, operation)


def _fails_the_region(error: BaseException, operation: str) -> bool:
    """Bad credentials fail every call; throttling or a 5xx on the first call means the region is down now."""
    import botocore.exceptions

    if not isinstance(error, botocore.exceptions.ClientError):
        return not is_transient(error) or operation == FIRST
    if error.operation_name == "AssumeRole":  # STS refused the role: no Bedrock call can be made
        return True
    return error_code(error) in CREDENTIAL_CODES or (operation == FIRST and is_transient(error))


def discover(target: Target) -> Discovery:
    """Endpoints of every list call that answered, and a warning naming each one that did not."""
    import botocore.exceptions

    handle: RegionClient = target.handle

    def attempt(operation: str) -> list[dict[str, Any]] | BaseException:
        try:
            return handle.list_all(operation)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            fault: BaseException = error
            return fault

    # The first call alone (bad credentials or throttling end the region there), then the rest side by side.
    first = attempt(FIRST)
    with ThreadPoolExecutor(max_workers=len(OPERATIONS) - 1, thread_name_prefix="hub-bedrock-list") as pool:
        rest = dict(zip(REST, pool.map(attempt, REST), strict=True)) if not _fatal(first, FIRST) else {}
    lists: dict[str, list[dict[str, Any]]] = {}
    failures: dict[str, BaseException] = {}
    for operation, answer in {FIRST: first, **rest}.items():
        if not isinstance(answer, BaseException):
            lists[operation] = answer
        elif _fails_the_region(answer, operation):
            raise as_hub_error(answer, handle, operation) from None
        else:
            failures[operation] = answer
    if not lists:  # nothing answered: the first failure speaks for the region
        failed, fault = next(iter(failures.items()))
        raise as_hub_error(fault, handle, failed) from None
    denied: dict[str, str] = {}
    if handle.check_access and "ListFoundationModels" in lists:
        from hub_bedrock.access import OPERATION, check

        ids = [m["modelId"] for m in lists["ListFoundationModels"] if isinstance(m.get("modelId"), str)
               and "ON_DEMAND" in (m.get("inferenceTypesSupported") or [])]  # fmt: skip
        denied, trouble = check(handle, ids)
        if trouble is not None:
            failures[OPERATION] = trouble
    warnings = []
    for failed, fault in failures.items():
        warnings.append(f"{failed}: {error_code(fault)}")  # the hub adds the region
        logger.warning("Amazon Bedrock region %r: %s failed (%s)", target.name, failed, handle.describe(fault))
    return Discovery(endpoints=endpoints(target, lists, denied), warnings=warnings)


def endpoints(target: Target, lists: dict[str, list[dict[str, Any]]], denied: dict[str, str]) -> list[Endpoint]:
    handle: RegionClient = target.handle
    foundation = [m for m in lists.get("ListFoundationModels", []) if isinstance(m.get("modelId"), str)]
    convert = Converter(handle.region, target.name, target.url, foundation, denied, handle.account)
    found: list[Endpoint | None] = [convert.foundation(m) for m in foundation]
    found += [convert.profile(p) for p in lists.get("ListInferenceProfiles", []) if p.get("inferenceProfileId")]
    found += [convert.provisioned(p) for p in lists.get("ListProvisionedModelThroughputs", [])
              if p.get("provisionedModelName")]  # fmt: skip
    found += [convert.custom(m) for m in lists.get("ListCustomModels", []) if m.get("modelName")]
    found += [convert.imported(m) for m in lists.get("ListImportedModels", []) if m.get("modelName")]
    return [e for e in found if e is not None]
