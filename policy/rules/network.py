"""Security groups, subnets and VPCs: interface endpoints' shape and groups, no ingress from or
egress to the internet, narrow ports, described rules, no public IPs on launch, a group's rules
managed one way, flow logs on every VPC."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    PolicyResource,
)

from .core import (
    FLOW_LOG,
    SG,
    SG_EGRESS,
    SG_INGRESS,
    SG_RULE,
    SG_TOKENS,
    SUBNET,
    VPC,
    VPC_ENDPOINT,
    A,
    Config,
    Finding,
    M,
    Props,
    _coverage,
    _deps,
    _list,
    _of,
    _unseen,
    _wide_open,
    resource_rule,
    stack_rule,
)

WIDE_PORT_RANGE = 1024
"""Ingress to this many ports or more is "every port" for review purposes: each hop listens on
one port (the listener, the node port, the pods')."""
PUBLIC_INGRESS_ADDRESSES = 2**8
"""Internet (globally routed) addresses an ingress may admit together: a few named hosts, not a
provider's ranges (3.0.0.0/8 "the AWS addresses" is 16 million strangers)."""


@resource_rule(
    "interface-endpoint-shape",
    M,
    [VPC_ENDPOINT],
    "arch",
    "Endpoints to a PrivateLink service are Interface endpoints with a security "
    "group, in 2+ subnets.",
)
def _interface_endpoint_shape(token: str, props: Props, _: Config) -> Iterator[Finding]:
    kind = props.get("vpcEndpointType")
    service = str(props.get("serviceName") or "")
    if kind != "Interface":
        if service.startswith("com.amazonaws.vpce."):
            yield Finding(
                "vpcEndpointType", kind, "connect to an endpoint service with an Interface endpoint"
            )
        return
    if not _list(props.get("securityGroupIds")):
        yield Finding(
            "securityGroupIds",
            props.get("securityGroupIds"),
            "attach a security group that admits only the listener port",
        )
    subnets = _list(props.get("subnetIds")) or _list(props.get("subnetConfigurations"))
    if len(subnets) < 2:
        yield Finding("subnetIds", subnets, "place the endpoint in subnets of 2+ AZs")


def _ingress_rules(token: str, props: Props) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, rule) for each ingress rule a resource declares, in one common shape."""
    if token == SG:
        return [(f"ingress[{i}]", r) for i, r in enumerate(_list(props.get("ingress")))]
    if token == SG_RULE:
        return [("", props)] if props.get("type") == "ingress" else []
    if token == SG_INGRESS:
        return [("", props)]
    return []


def _cidrs(rule: Mapping[str, Any]) -> list[str]:
    return [
        *(_list(rule.get("cidrBlocks"))),
        *(_list(rule.get("ipv6CidrBlocks"))),
        *([rule["cidrIpv4"]] if rule.get("cidrIpv4") else []),
        *([rule["cidrIpv6"]] if rule.get("cidrIpv6") else []),
    ]


def _prefix(where: str, prop: str) -> str:
    return f"{where}.{prop}" if where else prop


@resource_rule(
    "sg-no-world-ingress",
    M,
    SG_TOKENS,
    "EC2.18/19, CKV_AWS_24/25/260/277",
    "No ingress from the internet: 0.0.0.0/0, ::/0, CIDRs that cover it in pieces, or more "
    "than a /24 of public addresses.",
)
def _sg_no_world(token: str, props: Props, _: Config) -> Iterator[Finding]:
    rules = _ingress_rules(token, props)
    world = list(_world_findings(rules, "admit"))
    yield from world
    public = [c for _, rule in rules for c in _cidrs(rule) if _is_public(c)]
    covered = _coverage(public) or 0
    if not world and covered > PUBLIC_INGRESS_ADDRESSES:
        where = _prefix(rules[0][0], "cidrs") if len(rules) == 1 else "rules"
        yield Finding(
            where,
            public,
            f"these CIDRs are {covered:,} internet addresses, and nothing on this path is "
            "reached from the internet: admit a security group or a CIDR of the VPC",
        )


def _is_public(cidr: Any) -> bool:
    try:
        return ipaddress.ip_network(str(cidr), strict=False).is_global
    except ValueError:
        return False


def _world_findings(rules: list[tuple[str, Mapping[str, Any]]], verb: str) -> Iterator[Finding]:
    """Each rule open to the internet, then the rules of one group that are so together."""
    fix = f"{verb} a security group or a narrow CIDR, never the internet"
    alone = False
    for where, rule in rules:
        why = _wide_open(_cidrs(rule))
        if why and _cidrs(rule):
            alone = True
            yield Finding(_prefix(where, "cidrs"), _cidrs(rule), f"these CIDRs {why}: {fix}")
    together = [c for _, rule in rules for c in _cidrs(rule)]
    why = _wide_open(together)
    if not alone and len(rules) > 1 and together and why:
        yield Finding("rules", together, f"these CIDRs {why}: {fix}")


def _egress_rules(token: str, props: Props) -> list[tuple[str, Mapping[str, Any]]]:
    if token == SG:
        return [(f"egress[{i}]", r) for i, r in enumerate(_list(props.get("egress")))]
    if token == SG_RULE:
        return [("", props)] if props.get("type") == "egress" else []
    if token == SG_EGRESS:
        return [("", props)]
    return []


@resource_rule(
    "sg-no-world-egress",
    M,
    (SG, SG_RULE, SG_EGRESS),
    "arch (each hop sends to the next only), CKV_AWS_382",
    "No egress to the internet: every group here sends to the next hop's group or its VPC.",
)
def _sg_no_world_egress(token: str, props: Props, _: Config) -> Iterator[Finding]:
    yield from _world_findings(_egress_rules(token, props), "send to")


def _protocol_and_ports(rule: Mapping[str, Any]) -> tuple[str, Any, Any]:
    protocol = str(rule.get("ipProtocol", rule.get("protocol", "")))
    return protocol, rule.get("fromPort"), rule.get("toPort")


@resource_rule(
    "sg-no-all-ports",
    M,
    SG_TOKENS,
    "CKV_AWS_277",
    "Ingress names a protocol and a narrow port range (under 1024 ports), not all traffic.",
)
def _sg_no_all_ports(token: str, props: Props, _: Config) -> Iterator[Finding]:
    for where, rule in _ingress_rules(token, props):
        protocol, low, high = _protocol_and_ports(rule)
        if protocol in ("-1", "all"):
            yield Finding(_prefix(where, "protocol"), protocol, "admit tcp on the listener port")
        elif low is not None and high is not None and int(high) - int(low) >= WIDE_PORT_RANGE:
            yield Finding(
                _prefix(where, "fromPort-toPort"),
                f"{low}-{high}",
                "admit only the port the service listens on",
            )


@resource_rule(
    "sg-rule-description",
    A,
    (*SG_TOKENS, SG_EGRESS),
    "CKV_AWS_23",
    "Every security group rule says why it exists.",
)
def _sg_rule_description(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if token == SG:
        for kind in ("ingress", "egress"):
            for i, rule in enumerate(_list(props.get(kind))):
                if not rule.get("description"):
                    yield Finding(f"{kind}[{i}].description", None, "describe the rule")
    elif not props.get("description"):
        yield Finding("description", None, "describe what the rule admits and why")


@resource_rule(
    "subnet-no-public-ip",
    M,
    [SUBNET],
    "EC2.15, CKV_AWS_130",
    "No subnet assigns public IPs on launch: nothing of the path has a public address.",
)
def _subnet_public_ip(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("mapPublicIpOnLaunch") is True:
        yield Finding("mapPublicIpOnLaunch", True, "set map_public_ip_on_launch=False")


# ---- stack rules -------------------------------------------------------------------------


def _rules_of(resources: list[PolicyResource], sg: PolicyResource) -> list[PolicyResource]:
    standalone = _of(resources, SG_RULE, SG_INGRESS, SG_EGRESS)
    return [r for r in standalone if sg in _deps(r, "securityGroupId")]


@stack_rule(
    "endpoint-sg-scoped",
    M,
    [VPC_ENDPOINT, SG, SG_INGRESS, SG_RULE],
    "arch, EC2.18",
    "An interface endpoint's security groups are the stack's, and admit one TCP port, from a "
    "security group or a CIDR inside the VPC.",
)
def _endpoint_sg_scoped(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    for endpoint in _of(resources, VPC_ENDPOINT):
        if endpoint.props.get("vpcEndpointType") != "Interface":
            continue
        yield from _unseen(endpoint, "securityGroupIds", "a security group")
        vpcs = _deps(endpoint, "vpcId")
        vpc_cidr = str(vpcs[0].props.get("cidrBlock")) if vpcs else None
        for sg in _deps(endpoint, "securityGroupIds"):
            rules: list[tuple[str, Mapping[str, Any]]] = [
                (f"{SG} '{sg.name}' ingress[{i}]", rule)
                for i, rule in enumerate(_list(sg.props.get("ingress")))
            ]
            for standalone in _rules_of(resources, sg):
                props = standalone.props
                if standalone.resource_type == SG_INGRESS or props.get("type") == "ingress":
                    rules.append((f"{standalone.resource_type} '{standalone.name}'", props))
            for where, props in rules:
                problem = _endpoint_rule_problem(props, vpc_cidr)
                if problem:
                    yield (
                        endpoint,
                        (
                            f"{VPC_ENDPOINT} '{endpoint.name}': {where} {problem}; admit only TCP "
                            "on the listener port from the consumer NLB's or VPC link's security "
                            "group"
                        ),
                    )


def _endpoint_rule_problem(rule: Mapping[str, Any], vpc_cidr: str | None) -> str | None:
    protocol, low, high = _protocol_and_ports(rule)
    if protocol.lower() not in ("tcp", "6"):
        return f"admits protocol {protocol!r}"
    if low != high:
        return f"admits ports {low}-{high}"
    for cidr in _cidrs(rule):
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return f"admits {cidr!r}"
        inside = vpc_cidr is not None and network.subnet_of(  # type: ignore[arg-type]
            ipaddress.ip_network(vpc_cidr)  # type: ignore[arg-type]
        )
        if not inside:
            return f"admits {cidr} (wider than the VPC {vpc_cidr or '(unknown)'})"
    return None


@stack_rule(
    "sg-no-rule-conflicts",
    M,
    [SG, SG_RULE, SG_INGRESS, SG_EGRESS],
    "awsguard security-group-no-rule-management-conflicts",
    "A security group's rules are managed inline or as separate rules, not both.",
)
def _sg_conflicts(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    for sg in _of(resources, SG):
        standalone = _rules_of(resources, sg)
        inline = [
            (direction, entry)
            for direction in ("ingress", "egress")
            for entry in _list(sg.props.get(direction))
        ]
        if not (inline and standalone):
            continue
        # Stack policies see outputs: after any read the group lists every rule AWS has on it,
        # those of the separate rules too. Only what no separate rule accounts for is inline.
        managed = {g for r in standalone for g in _grants_of_rule(r.resource_type, r.props)}
        own = [e for d, e in inline if not (g := _grants_of_entry(d, e)) or not g <= managed]
        if own:
            names = ", ".join(f"'{r.name}'" for r in standalone)
            yield (
                sg,
                (
                    f"{SG} '{sg.name}': has {len(own)} inline rule(s) and separate rules "
                    f"{names}; manage its rules one way (separate rules), or each update undoes "
                    "the other"
                ),
            )


Grant = tuple[str, str, int, int, str]
"""(direction, protocol, from port, to port, peer): one thing a security group admits."""
_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "all": "-1", "58": "icmpv6"}


def _grant(direction: str, protocol: Any, low: Any, high: Any, peer: str) -> Grant:
    name = str(protocol).lower()
    name = _PROTOCOLS.get(name, name)
    ports = (0, 0) if name == "-1" else (int(low or 0), int(high or 0))
    return (direction, name, *ports, peer)


def _peers(rule: Mapping[str, Any], group_key: str) -> list[str]:
    return [
        *(f"cidr:{c}" for c in _cidrs(rule)),
        *(f"prefix:{p}" for p in _list(rule.get("prefixListIds"))),
        *([f"prefix:{rule['prefixListId']}"] if rule.get("prefixListId") else []),
        *(f"sg:{g}" for g in _list(rule.get(group_key))),
        *(["self"] if rule.get("self") is True else []),
    ]


def _grants_of_entry(direction: str, entry: Mapping[str, Any]) -> set[Grant]:
    """An inline (or reported) rule of the group: its protocol and ports, each of its peers."""
    protocol, low, high = _protocol_and_ports(entry)
    return {
        _grant(direction, protocol, low, high, peer) for peer in _peers(entry, "securityGroups")
    }


def _grants_of_rule(token: str, props: Mapping[str, Any]) -> set[Grant]:
    """A separate rule resource: aws.vpc.SecurityGroup{Ingress,Egress}Rule or the older
    aws.ec2.SecurityGroupRule (which says its direction in `type`)."""
    protocol, low, high = _protocol_and_ports(props)
    if token == SG_RULE:
        direction, key = str(props.get("type")), "sourceSecurityGroupId"
    else:
        direction, key = (
            ("egress" if token == SG_EGRESS else "ingress"),
            "referencedSecurityGroupId",
        )
    return {_grant(direction, protocol, low, high, peer) for peer in _peers(props, key)}


@stack_rule(
    "vpc-flow-logs",
    M,
    [VPC, FLOW_LOG],
    "EC2.6, CKV2_AWS_11",
    "Every VPC the stack creates has a flow log of all traffic (ACCEPT and REJECT).",
)
def _vpc_flow_logs(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    # A log of rejected (or accepted) traffic only misses half of what an incident needs.
    logged = {
        id(v)
        for log in _of(resources, FLOW_LOG)
        if log.props.get("trafficType") == "ALL"
        for v in _deps(log, "vpcId")
    }
    for vpc in _of(resources, VPC):
        if id(vpc) not in logged:
            yield (
                vpc,
                f"{VPC} '{vpc.name}': has no aws.ec2.FlowLog of all traffic; add one "
                "(traffic_type ALL)",
            )
