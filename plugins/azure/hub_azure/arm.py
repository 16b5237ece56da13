"""A target's handle: an ARM client (bearer tokens, bounded GETs, ``nextLink`` paging) and its discovery."""

from __future__ import annotations

import asyncio
import re
import ssl
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from hub_azure.auth import auth_method, bearer, make_credential
from hub_azure.config import PROVIDER, Account, Settings
from hub_azure.convert import endpoint
from hub_core import Discovery, Endpoint, ProviderAuthError, ProviderError, Redactor, get_json

NAMESPACE = "providers/Microsoft.CognitiveServices/accounts"
KINDS = frozenset({"openai", "aiservices"})  # the account kinds that host OpenAI deployments
ACCOUNT_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}/providers/Microsoft\.CognitiveServices/"
    r"accounts/[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$",
    re.I,
)
MAX_PAGES = 200  # a nextLink loop (an upstream bug) ends here


class ArmTarget:
    """One subscription (every OpenAI/AIServices account in it) or one listed account."""

    def __init__(self, settings: Settings, name: str, subscription: str, account: Account | None = None) -> None:
        self.settings, self.name, self.subscription, self.account = settings, name, subscription, account
        self.arm = settings.arm_endpoint
        self.scope = f"{self.arm}/.default"
        self.auth_method = auth_method(settings)
        self.redactor = Redactor()
        self.credential = make_credential(settings, self.redactor)  # reused: its token cache lives here
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=settings.ca_bundle) if settings.ca_bundle else True
        )
        # No redirects: the bearer token goes to the ARM endpoint only.
        self.http = httpx.AsyncClient(timeout=settings.timeout, follow_redirects=False, verify=verify)
        sub = f"{self.arm}/subscriptions/{subscription}"
        self.url = f"{sub}/resourceGroups/{account.resource_group}/{NAMESPACE}/{account.account}" if account else sub
        self.what = f"Azure {'account' if account else 'subscription'} {name!r}"

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.credential.close()

    def __repr__(self) -> str:
        return f"ArmTarget({self.name!r}, {self.auth_method})"

    # -- HTTP ---------------------------------------------------------------
    async def get(self, url: str, what: str) -> Any:
        token = await bearer(self.credential, self.scope, self.redactor, self.what)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            body = await get_json(self.http, url, provider=PROVIDER, what=what, headers=headers, redactor=self.redactor)
        except ProviderAuthError as error:
            if "(403" not in error.message:
                raise
            raise ProviderAuthError(
                f"{error.message} The identity needs Microsoft.CognitiveServices/accounts/read and "
                ".../accounts/deployments/read (e.g. the Reader role) there.",
                provider=PROVIDER,
            ) from None
        return self.redactor.redact_data(body) if self.redactor.found_in_data(body) else body

    async def pages(self, url: str, what: str) -> list[dict[str, Any]]:
        """Every item of a list, following ``nextLink`` (only ever to the same ARM host)."""
        items: list[dict[str, Any]] = []
        origin = urlsplit(self.arm)[:2]
        for _ in range(MAX_PAGES):
            body = await self.get(url, what)
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise ProviderError(f"{what} answered without a 'value' list.", provider=PROVIDER)
            items += [item for item in body["value"] if isinstance(item, dict) and isinstance(item.get("name"), str)]
            link = body.get("nextLink")
            if not link:
                return items
            if not isinstance(link, str) or urlsplit(link)[:2] != origin:
                raise ProviderError(f"{what} sent a nextLink to another host; not followed.", provider=PROVIDER)
            url = link
        raise ProviderError(f"{what} sent more than {MAX_PAGES} pages.", provider=PROVIDER)

    def _query(self) -> str:
        return f"api-version={quote(self.settings.api_version)}"

    # -- discovery ----------------------------------------------------------
    async def discover(self) -> Discovery:
        if self.account:
            account = await self.get(f"{self.url}?{self._query()}", f"{self.what} (GET account)")
            if not isinstance(account, dict) or str(account.get("kind", "")).lower() not in KINDS:
                raise ProviderError(
                    f"{self.what} is not an OpenAI or AIServices account; it has no OpenAI deployments.",
                    provider=PROVIDER,
                )
            return Discovery(endpoints=await self.deployments(account))
        accounts = await self.pages(f"{self.url}/{NAMESPACE}?{self._query()}", f"{self.what} (list accounts)")
        accounts = [a for a in accounts if str(a.get("kind", "")).lower() in KINDS]
        limit = asyncio.Semaphore(self.settings.max_concurrency)

        async def one(account: dict[str, Any]) -> list[Endpoint] | ProviderError:
            async with limit:
                try:
                    return await self.deployments(account)
                except ProviderError as error:
                    return error

        results = await asyncio.gather(*(one(a) for a in accounts))
        failures = [(a["name"], r) for a, r in zip(accounts, results) if isinstance(r, ProviderError)]  # noqa: B905
        if failures and len(failures) == len(accounts):
            # Nothing to show: the target fails, with a transient error first so that the hub retries it.
            raise min((error for _, error in failures), key=lambda error: not error.retryable)
        return Discovery(
            endpoints=[e for r in results if not isinstance(r, ProviderError) for e in r],
            warnings=[f"account {name!r}: {error.message}"[:300] for name, error in failures],
        )

    async def deployments(self, account: dict[str, Any]) -> list[Endpoint]:
        account_id = str(account.get("id", ""))
        if not ACCOUNT_ID.match(account_id):
            raise ProviderError(f"{self.what}: account {account.get('name')!r} has no usable id.", provider=PROVIDER)
        what = f"{self.what} (deployments of {account['name']!r})"
        items = await self.pages(f"{self.arm}{account_id}/deployments?{self._query()}", what)
        return [endpoint(d, account, target=self.name, target_url=self.url, settings=self.settings) for d in items]
