"""End to end on real AWS accounts: throw-away provider and consumer stacks with a unique prefix,
rolled out with `python -m xacct_ops up` (gates, provider, consumer, acceptance, verify: every
hop, then a SigV4-signed HTTPS call through the API), and always destroyed afterwards.

Skipped, with the reason, unless the Pulumi CLI is on PATH and these are set:

    XACCT_E2E_PROVIDER_PROFILE or XACCT_E2E_PROVIDER_ROLE_ARN   account B (the provider)
    XACCT_E2E_CONSUMER_PROFILE or XACCT_E2E_CONSUMER_ROLE_ARN   account A (the consumer)
    XACCT_E2E_PUBLIC_CIDR        this runner's egress CIDR (it deploys to the cluster's API)
    XACCT_E2E_DOMAIN and XACCT_E2E_ROUTE53_ZONE_ID              a public zone in account B, where
                                  the TLS server name and its certificate are made
    XACCT_E2E_REGION             optional, default us-east-1
    XACCT_E2E_FRONTEND           optional, rest (default) or http: the consumer's xacct:frontend

The accounts need the permissions in docs/iam/. A run takes about 40 minutes (the EKS cluster
and its node group are most of it, both ways) and costs about a dollar (README, "Running it
against real accounts")."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from xacct_ops import PROJECT_DIR

pytestmark = [pytest.mark.aws, pytest.mark.cli]

REQUIRED = {
    "account B": ("XACCT_E2E_PROVIDER_PROFILE", "XACCT_E2E_PROVIDER_ROLE_ARN"),
    "account A": ("XACCT_E2E_CONSUMER_PROFILE", "XACCT_E2E_CONSUMER_ROLE_ARN"),
    "the runner's egress CIDR": ("XACCT_E2E_PUBLIC_CIDR",),
    "a DNS domain": ("XACCT_E2E_DOMAIN",),
    "its Route 53 zone": ("XACCT_E2E_ROUTE53_ZONE_ID",),
}


def missing() -> list[str]:
    gaps = [
        f"{what} ({' or '.join(names)})"
        for what, names in REQUIRED.items()
        if not any(os.environ.get(n) for n in names)
    ]
    if shutil.which("pulumi") is None:
        gaps.append("the Pulumi CLI on PATH")
    return gaps


pytestmark.append(
    pytest.mark.skipif(
        bool(missing()), reason="needs real AWS accounts: set " + "; ".join(missing())
    )
)


def credentials(side: str) -> dict[str, Any]:
    """aws:profile and aws:assumeRoles for one side, as a stack file holds them."""
    config: dict[str, Any] = {}
    if profile := os.environ.get(f"XACCT_E2E_{side}_PROFILE"):
        config["aws:profile"] = profile
    if role := os.environ.get(f"XACCT_E2E_{side}_ROLE_ARN"):
        config["aws:assumeRoles"] = [{"roleArn": role, "sessionName": "xacct-e2e"}]
    return config


def account_id(config: dict[str, Any], region: str) -> str:
    from xacct_ops.verify import session_for

    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    session = session_for({**flat, "aws:region": region})
    return str(session.client("sts").get_caller_identity()["Account"])


@pytest.fixture
def throwaway_stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """Stack files for `e2e<hex>-provider` and `e2e<hex>-consumer`, a local state backend of
    their own, and whatever happens: destroy, stack removal, files removed."""

    prefix = f"e2e{secrets.token_hex(3)}"
    provider, consumer = f"{prefix}-provider", f"{prefix}-consumer"
    region = os.environ.get("XACCT_E2E_REGION", "us-east-1")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", secrets.token_hex(16))
    consumer_credentials = credentials("CONSUMER")
    files = {
        provider: {
            "aws:region": region,
            **credentials("PROVIDER"),
            "xacct:role": "provider",
            "xacct:name": prefix,
            "xacct:consumerAccountIds": [account_id(consumer_credentials, region)],
            "xacct:clusterPublicAccessCidrs": [os.environ["XACCT_E2E_PUBLIC_CIDR"]],
            "xacct:tlsServerName": f"{prefix}.{os.environ['XACCT_E2E_DOMAIN']}",
            "xacct:route53ZoneId": os.environ["XACCT_E2E_ROUTE53_ZONE_ID"],
        },
        consumer: {
            "aws:region": region,
            **consumer_credentials,
            "xacct:role": "consumer",
            "xacct:name": prefix,
            "xacct:providerStack": f"organization/xacct/{provider}",
            "xacct:frontend": os.environ.get("XACCT_E2E_FRONTEND", "rest"),
        },
    }
    paths = [PROJECT_DIR / f"Pulumi.{stack}.yaml" for stack in files]
    for path, config in zip(paths, files.values(), strict=True):
        path.write_text(yaml.safe_dump({"config": config}))
    try:
        yield provider, consumer
    finally:
        try:
            teardown(provider, consumer)
        finally:
            for path in paths:
                path.unlink(missing_ok=True)


def teardown(provider: str, consumer: str) -> None:
    """Destroy whatever the run created: both stacks through the rollout's destroy, or the
    provider alone when the consumer was never created."""
    from xacct_ops.automation import AutomationStacks
    from xacct_ops.cli import main

    out = io.StringIO()
    stacks = AutomationStacks(out)
    existing = stacks.names()
    if consumer in existing:
        args = ["--provider-stack", provider, "--consumer-stack", consumer, "destroy", "--yes"]
        code = main(args, out=out)
        assert code == 0, f"teardown failed; resources may remain:\n{out.getvalue()[-4000:]}"
    elif provider in existing:
        stacks.set_config(provider, "xacct:protectEndpointService", "false")
        stacks.remove_config(provider, "xacct:consumerStacks")
        stacks.up(provider, policy_pack="policy", policy_config=None)
        stacks.destroy(provider)


def test_a_request_crosses_both_accounts_over_privatelink(
    throwaway_stacks: tuple[str, str],
) -> None:
    from xacct_ops.cli import main

    provider, consumer = throwaway_stacks
    out = io.StringIO()
    code = main(
        ["--provider-stack", provider, "--consumer-stack", consumer, "up", "--timeout", "900"],
        out=out,
    )
    text = out.getvalue()
    assert code == 0, text[-6000:]
    assert "up: done" in text
    # verify printed each hop; the API call went through with a SigV4 signature.
    assert re.search(r"HTTPS through the API\s+PASS\s+GET https://", text)
    assert re.search(r"workload pods Ready \(B\)\s+PASS\s+2/2 Ready", text)
    assert not re.search(r"\s{2}FAIL\s{2}", text)
