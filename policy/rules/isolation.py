"""The VPCs' isolation (stack rules): default security groups closed, and no way to the internet
for the path (no gateway, NAT, address or peering on the consumer side; the provider's internet
route only for its NAT's public subnets)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import (
    PolicyResource,
)

from .core import (
    CONSUMER_SIDE,
    DEFAULT_SG,
    EKS_COMPONENT,
    INTERNET_GATEWAY,
    INTERNET_PATHS,
    LB,
    NODE_GROUP,
    ROUTE,
    ROUTE_TABLE_ASSOCIATION,
    VPC,
    VPC_ENDPOINT,
    Config,
    M,
    _deps,
    _list,
    _of,
    stack_rule,
)


@stack_rule(
    "default-sg-closed",
    M,
    [VPC, DEFAULT_SG],
    "EC2.2, CKV2_AWS_12",
    "Every VPC the stack creates has its default security group closed (no rules).",
)
def _default_sg_closed(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    closers: dict[int, list[PolicyResource]] = {}
    for default in _of(resources, DEFAULT_SG):
        rules = _list(default.props.get("ingress")) + _list(default.props.get("egress"))
        if rules:
            yield (
                default,
                (
                    f"{DEFAULT_SG} '{default.name}': has {len(rules)} rule(s); the default "
                    "security group admits and sends nothing: remove them"
                ),
            )
        for vpc in _deps(default, "vpcId"):
            closers.setdefault(id(vpc), []).append(default)
    for vpc in _of(resources, VPC):
        if id(vpc) not in closers:
            yield (
                vpc,
                (
                    f"{VPC} '{vpc.name}': its default security group keeps AWS's rules; manage "
                    "it with an aws.ec2.DefaultSecurityGroup without rules"
                ),
            )


def _subnets_of_the_path(resources: list[PolicyResource]) -> set[int]:
    """The subnets load balancers, endpoints, the cluster and its nodes sit in."""
    holders = [
        (LB, "subnets"),
        ((VPC_ENDPOINT,), "subnetIds"),
        ((NODE_GROUP,), "subnetIds"),
        ((EKS_COMPONENT,), "privateSubnetIds"),
        ((EKS_COMPONENT,), "subnetIds"),
    ]
    found: set[int] = set()
    for tokens, prop in holders:
        for holder in _of(resources, *tokens):
            found |= {id(s) for s in _deps(holder, prop)}
    return found


@stack_rule(
    "no-internet-path",
    M,
    [*INTERNET_PATHS, ROUTE],
    "arch",
    "The consumer has no way to the internet (no gateway, NAT, address or peering); the "
    "provider's internet route serves only its NAT's public subnets, never the subnets of the "
    "path; neither side peers with another VPC.",
)
def _no_internet_path(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    if _of(resources, CONSUMER_SIDE):
        for found in _of(resources, *INTERNET_PATHS):
            yield (
                found,
                (
                    f"{found.resource_type} '{found.name}': the consumer side reaches the "
                    "provider over PrivateLink only; remove this way out of its VPC"
                ),
            )
        return
    path = _subnets_of_the_path(resources)
    tables: dict[int, list[PolicyResource]] = {}
    for association in _of(resources, ROUTE_TABLE_ASSOCIATION):
        for table in _deps(association, "routeTableId"):
            tables.setdefault(id(table), []).extend(_deps(association, "subnetId"))
    for route in _of(resources, ROUTE):
        if not any(g.resource_type == INTERNET_GATEWAY for g in _deps(route, "gatewayId")):
            continue
        for table in _deps(route, "routeTableId"):
            exposed = [s for s in tables.get(id(table), []) if id(s) in path]
            if exposed:
                names = ", ".join(f"'{s.name}'" for s in exposed)
                yield (
                    route,
                    (
                        f"{ROUTE} '{route.name}': routes the path's subnets {names} to an "
                        "internet gateway; only the NAT's public subnets may route there"
                    ),
                )
    for peering in _of(resources, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"):
        yield (
            peering,
            (
                f"{peering.resource_type} '{peering.name}': PrivateLink is the only way between "
                "the accounts; remove the peering"
            ),
        )
