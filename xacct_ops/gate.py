"""The policy pack's config for one stack: its role's file (policy/config.<role>.json) and what
the stack itself declares, so one list is the truth. The provider's gate allows exactly the
accounts the stack allows (`consumerAccountIds`, and the accounts of `consumerRoleArns`), and
admits a TCP listener only where the stack asks for TLS passthrough. Every stack trusts its own
account's principals in roles' trusts, key, bucket, topic and API policies and cluster access
(`trustedAccounts`), and no other account's.

The rollout writes it for each `preview` and `up`; `plan` and the tests evaluate with it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xacct_ops import PROJECT_DIR, policy_config_file

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):")


TRUSTING_RULES = (
    "iam-trust-specific",
    "kms-key-policy-principals",
    "resource-policy-principals",
    "eks-access-scoped",
)
"""The pack's rules with a `trustedAccounts` setting (policy/rules/core.py TRUST_CONFIG)."""


def gate_config(
    role: str,
    settings: Mapping[str, Any],
    project_dir: Path = PROJECT_DIR,
    account: str | None = None,
    pack_dir: Path | None = None,
) -> dict[str, Any]:
    """`settings`: the stack's `xacct:` values without their namespace, lists as lists;
    `account`: the stack's account, when known; `pack_dir`: the pack whose config.<role>.json
    is the base (default: the project's policy/)."""
    path = pack_dir / f"config.{role}.json" if pack_dir else project_dir / policy_config_file(role)
    config: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if account:
        for rule in TRUSTING_RULES:
            config.setdefault(rule, {})["trustedAccounts"] = [account]
    if role != "provider":
        return config
    accounts = {str(a) for a in settings.get("consumerAccountIds") or []}
    for arn in settings.get("consumerRoleArns") or []:
        if match := _ACCOUNT_IN_ARN.match(str(arn)):
            accounts.add(match.group(1))
    config.setdefault("endpoint-service-principals-specific", {})["allowedAccounts"] = sorted(
        accounts
    )
    if settings.get("tlsMode") == "passthrough":
        config.setdefault("listener-secure-protocol", {})["allowTcpPassthrough"] = True
    return config


def settings_of(config: Mapping[str, str]) -> dict[str, Any]:
    """Stack config as the backend gives it (`xacct:key` → string, lists as JSON) → settings."""
    settings: dict[str, Any] = {}
    for key, value in config.items():
        if not key.startswith("xacct:"):
            continue
        try:
            settings[key.removeprefix("xacct:")] = json.loads(value)
        except (json.JSONDecodeError, TypeError):
            settings[key.removeprefix("xacct:")] = value
    return settings
