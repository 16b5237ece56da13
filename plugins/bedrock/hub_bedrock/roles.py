"""A botocore session whose credentials come from assuming a role in another account (refreshed before expiry)."""

from __future__ import annotations

from typing import Any

from hub_bedrock.config import Account, Settings, discovery_timeout

SESSION_NAME = "hub-bedrock"


def assumed_session(base: Any, source: Any, account: Account, settings: Settings, region: str) -> Any:
    """A session for ``account``: botocore's AssumeRole fetcher on the hub's own credentials, called lazily
    (on the first Bedrock call, on the provider's threads) and again before the role session expires. STS is
    asked in ``region`` (regional STS endpoints), the first of the account's regions."""
    import botocore.session
    from botocore.config import Config
    from botocore.credentials import (
        AssumeRoleCredentialFetcher,
        CredentialProvider,
        CredentialResolver,
        DeferredRefreshableCredentials,
    )

    if source is None:
        return base  # no credentials to assume it with: the first call fails with NoCredentialsError

    deadline = discovery_timeout()
    sts_config = Config(
        connect_timeout=max(0.5, min(3.0, deadline / 5)),
        read_timeout=max(1.0, min(10.0, deadline / 4)),
        retries={"max_attempts": 1, "mode": "standard"},
    )

    def sts_client(service: str, **kwargs: Any) -> Any:
        extra = {"endpoint_url": settings.sts_endpoint_url} if settings.sts_endpoint_url else {}
        return base.create_client(service, region_name=region, config=sts_config, **extra, **kwargs)

    extra_args = {
        "RoleSessionName": SESSION_NAME,
        **({"ExternalId": account.external_id} if account.external_id else {}),
    }
    fetcher = AssumeRoleCredentialFetcher(sts_client, source, account.role_arn, extra_args=extra_args)
    credentials = DeferredRefreshableCredentials(refresh_using=fetcher.fetch_credentials, method="assume-role")

    class Assumed(CredentialProvider):  # type: ignore[misc]
        METHOD = "assume-role"

        def load(self) -> Any:
            return credentials

    session = botocore.session.Session()
    session.register_component("credential_provider", CredentialResolver(providers=[Assumed()]))
    return session
