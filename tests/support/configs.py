"""The base stack config of each side the tests start from, and the project's root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xacct_ops.offline_engine import CONSUMER_ACCOUNT, PROVIDER_ACCOUNT

ROOT = Path(__file__).resolve().parents[2]

PROVIDER_CONFIG: dict[str, Any] = {
    "role": "provider",
    "consumerAccountIds": [CONSUMER_ACCOUNT],
    "clusterPublicAccessCidrs": ["203.0.113.0/24"],
    "clusterAdminArns": [f"arn:aws:iam::{PROVIDER_ACCOUNT}:role/platform-admin"],
    "tlsServerName": "api.provider.example.com",
    "route53ZoneId": "Z0123456789ABCDEFGHIJ",
}

CONSUMER_CONFIG: dict[str, Any] = {
    "role": "consumer",
    "providerStack": "organization/xacct/provider",
}
