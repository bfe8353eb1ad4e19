"""What the rule tests of every area share: running one policy of the pack on props
(`validate`) or on a stack (`resource`, `validate_stack`), values several tables use, and
`uncovered`, what an area's table of cases lacks."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy import rules
from policy.rules import build_policies

Case = tuple[str, str, dict[str, Any], dict[str, Any], list[str]]
"""(policy, token, props, config, expected messages); [] means the props pass."""

POLICIES = {p.name: p for p in build_policies()}
WORLD = (
    "these CIDRs together cover 4,294,967,296 addresses (more than a /8: the internet, whole or "
    "in pieces)"
)
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def validate(
    policy: str,
    token: str,
    props: dict[str, Any],
    config: dict[str, Any] | None = None,
    name: str = "r",
) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(
        token, unknown_checking_proxy(props), f"urn:{name}", name, OPTS, None, config or {}
    )
    POLICIES[policy].validate(args, lambda message, urn=None: found.append(message))
    return found


def resource(
    token: str,
    name: str,
    props: dict[str, Any],
    deps: dict[str, list[PolicyResource]] | None = None,
) -> PolicyResource:
    return PolicyResource(
        token,
        unknown_checking_proxy(props),
        f"urn:{name}",
        name,
        OPTS,
        None,
        None,
        [d for ds in (deps or {}).values() for d in ds],
        deps or {},
    )


def validate_stack(policy: str, resources: list[PolicyResource]) -> list[str]:
    found: list[str] = []
    POLICIES[policy].validate(
        StackValidationArgs(resources, {}), lambda message, urn=None: found.append(message)
    )
    return found


LB = rules.LB[0]
ME, OTHER = "111111111111", "222222222222"
TRUSTED = {"trustedAccounts": [ME]}


def uncovered(cases: list[Case], area: str) -> list[str]:
    """The resource rules of policy/rules/<area>.py that `cases` lacks a passing or a failing
    case for."""
    missing = []
    for rule in rules.RULES:
        if rule.stack or rules.area_of(rule.name) != area:
            continue
        mine = [c for c in cases if c[0] == rule.name]
        if not any(not c[4] for c in mine):
            missing.append(f"{rule.name}: no passing case")
        if not any(c[4] for c in mine):
            missing.append(f"{rule.name}: no failing case")
    return missing
