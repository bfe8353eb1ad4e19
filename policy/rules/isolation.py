"""The VPCs' isolation (stack rules): default security groups closed, and no way to the internet
for the path (no gateway, NAT, address or peering on the consumer side; the provider's internet
route only for its NAT's public subnets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    SUBNET,
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


ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
MAIN_ROUTE_TABLE_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"


def _to_internet(holder: PolicyResource, prop: str, gateway: Any) -> bool:
    """A route to an internet gateway: of the stack (a dependency), or given by id."""
    if any(g.resource_type == INTERNET_GATEWAY for g in _deps(holder, prop)):
        return True
    return str(gateway or "").startswith("igw-")


def _internet_routes(
    resources: list[PolicyResource], path: set[int]
) -> Iterator[tuple[PolicyResource, str]]:
    """Each route (separate, or inline in a route table) that sends a subnet of the path to an
    internet gateway: through its table's association, or through the VPC's main table, which
    every subnet without an association of its own uses."""
    routed: dict[int, list[PolicyResource]] = {}
    for association in _of(resources, ROUTE_TABLE_ASSOCIATION):
        for table in _deps(association, "routeTableId"):
            routed.setdefault(id(table), []).extend(_deps(association, "subnetId"))
    associated = {id(s) for subnets in routed.values() for s in subnets}
    main = {id(t) for t in _of(resources, DEFAULT_ROUTE_TABLE, VPC)}  # vpc.main_route_table_id
    for association in _of(resources, MAIN_ROUTE_TABLE_ASSOCIATION):
        main |= {id(t) for t in _deps(association, "routeTableId")}
    unassociated = [s for s in _of(resources, SUBNET) if id(s) in path and id(s) not in associated]
    internet: list[tuple[PolicyResource, list[PolicyResource]]] = []
    for route in _of(resources, ROUTE):
        literal = None if _deps(route, "gatewayId") else route.props.get("gatewayId")
        if _to_internet(route, "gatewayId", literal):
            internet.append((route, _deps(route, "routeTableId")))
    for table in _of(resources, ROUTE_TABLE, DEFAULT_ROUTE_TABLE):
        entries = [] if _deps(table, "routes") else _list(table.props.get("routes"))
        if _to_internet(table, "routes", None) or any(
            str(e.get("gatewayId") or "").startswith("igw-") for e in entries
        ):
            internet.append((table, [table]))
    for holder, tables in internet:
        exposed = [s for t in tables for s in routed.get(id(t), []) if id(s) in path]
        if any(id(t) in main for t in tables):
            exposed += unassociated
        if exposed:
            names = ", ".join(f"'{s.name}'" for s in exposed)
            yield (
                holder,
                (
                    f"{holder.resource_type} '{holder.name}': routes the path's subnets {names} "
                    "to an internet gateway; only the NAT's public subnets may route there"
                ),
            )


@stack_rule(
    "no-internet-path",
    M,
    [*INTERNET_PATHS, ROUTE, ROUTE_TABLE, DEFAULT_ROUTE_TABLE],
    "arch",
    "The consumer has no way to the internet (no gateway, NAT, address or peering); the "
    "provider's internet routes (separate, inline, or on the main table) serve only its NAT's "
    "public subnets, never the subnets of the path; neither side peers with another VPC.",
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
    yield from _internet_routes(resources, path)
    for peering in _of(resources, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"):
        yield (
            peering,
            (
                f"{peering.resource_type} '{peering.name}': PrivateLink is the only way between "
                "the accounts; remove the peering"
            ),
        )
