"""PrivateLink's provider side: the endpoint service requires acceptance and names its
principals, and publishes only internal NLBs of the stack; a VPC link (API Gateway's private
integration) targets an internal load balancer too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    PolicyResource,
)

from .core import (
    ALLOWED_PRINCIPLE,
    ENDPOINT_SERVICE,
    INTEGRATION,
    LB,
    VPC_LINK,
    Config,
    Finding,
    M,
    Props,
    _deps,
    _is_list,
    _list,
    _of,
    _unseen,
    resource_rule,
    stack_rule,
)

_PRINCIPAL = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::(\d{12}):(root|role/[\w+=,.@/-]+)$")


@resource_rule(
    "endpoint-service-acceptance-required",
    M,
    [ENDPOINT_SERVICE],
    "CKV_AWS_123",
    "A VPC endpoint service requires manual acceptance of each connection.",
)
def _acceptance_required(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("acceptanceRequired") is not True:
        yield Finding(
            "acceptanceRequired",
            props.get("acceptanceRequired"),
            "set acceptance_required=True so every endpoint connection is accepted",
        )


PRINCIPALS_CONFIG = {
    "allowedAccounts": {
        "type": "array",
        "items": {"type": "string", "pattern": "^[0-9]{12}$"},
        "default": [],
        "description": "Accounts an endpoint service may allow (empty: any named account).",
    }
}


def _principal_findings(prop: str, principals: Any, config: Config) -> Iterator[Finding]:
    """`principals`: the list of allowedPrincipals, or the one principalArn."""
    allowed = set(config.get("allowedAccounts") or [])
    listed = _is_list(principals)
    for index, principal in enumerate(_list(principals)):
        where = f"{prop}[{index}]" if listed else prop
        if principal == "*":
            yield Finding(
                where,
                principal,
                "name the consumer accounts (arn:aws:iam::<account>:"
                "root) or roles: `*` lets any AWS account connect",
            )
            continue
        match = _PRINCIPAL.match(str(principal))
        if not match:
            yield Finding(
                where,
                principal,
                "use arn:aws:iam::<12-digit account>:root or a role ARN in that account",
            )
        elif allowed and match.group(2) not in allowed:
            yield Finding(
                where,
                principal,
                f"account {match.group(2)} is not in the pack's "
                f"allowedAccounts ({', '.join(sorted(allowed))})",
            )


@resource_rule(
    "endpoint-service-principals-specific",
    M,
    [ENDPOINT_SERVICE, ALLOWED_PRINCIPLE],
    "arch (AWS: `*` with auto-accept makes the NLB public in effect)",
    "Allowed principals are named accounts or roles (from the allowlist), never `*`.",
    config=PRINCIPALS_CONFIG,
)
def _principals_specific(token: str, props: Props, config: Config) -> Iterator[Finding]:
    if "principalArn" in props:
        yield from _principal_findings("principalArn", props["principalArn"], config)
    else:
        yield from _principal_findings("allowedPrincipals", props.get("allowedPrincipals"), config)


# ---- stack rules -------------------------------------------------------------------------


@stack_rule(
    "endpoint-service-nlb-internal",
    M,
    [ENDPOINT_SERVICE],
    "arch",
    "The load balancers behind an endpoint service are internal NLBs of the stack.",
)
def _service_nlb_internal(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    for service in _of(resources, ENDPOINT_SERVICE):
        yield from _unseen(service, "networkLoadBalancerArns", "a load balancer")
        for lb in _deps(service, "networkLoadBalancerArns"):
            if (
                lb.props.get("internal") is not True
                or lb.props.get("loadBalancerType") != "network"
            ):
                yield (
                    service,
                    (
                        f"{ENDPOINT_SERVICE} '{service.name}': networkLoadBalancerArns "
                        f"includes {lb.resource_type} '{lb.name}' with "
                        f"internal={lb.props.get('internal')!r}, "
                        f"loadBalancerType={lb.props.get('loadBalancerType')!r}; publish only an "
                        "internal network load balancer"
                    ),
                )


@stack_rule(
    "apigw-vpclink-internal-nlb",
    M,
    [VPC_LINK, INTEGRATION],
    "arch",
    "A VPC link (v1 target, or a v2 integration's target) is an internal load balancer of the "
    "stack.",
)
def _vpclink_internal(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    pairs = [(r, "targetArn") for r in _of(resources, VPC_LINK)]
    for link in _of(resources, VPC_LINK):
        yield from _unseen(link, "targetArn", "a load balancer")
    pairs += [(r, "integrationTarget") for r in _of(resources, INTEGRATION)]
    for owner, prop in pairs:
        for lb in _deps(owner, prop):
            if lb.resource_type in LB and lb.props.get("internal") is not True:
                yield (
                    owner,
                    (
                        f"{owner.resource_type} '{owner.name}': {prop} is {lb.resource_type} "
                        f"'{lb.name}' with internal={lb.props.get('internal')!r}; target an "
                        "internal load balancer"
                    ),
                )
