"""Load balancers and listeners: internal, protected, logged, in two AZs or more, NLB security
groups chosen at creation, listeners on TLS with a TLS 1.2+ security policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .core import (
    CLASSIC_ELB,
    LB,
    LISTENER,
    A,
    Config,
    Finding,
    M,
    Props,
    _list,
    resource_rule,
)

SECURE_LISTENER_PROTOCOLS = ("TLS", "HTTPS")
# The lowest TLS version an ELB security policy negotiates. Names that carry it follow AWS's
# pattern (ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.2 and 1.3; -TLS13-1-0-2021-06: from 1.0);
# the older names that do not are listed. Source: "Security policies for your Network Load
# Balancer", https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html
_NAMED_MINIMUM = re.compile(r"^ELBSecurityPolicy-(?:TLS13|TLS|FS)-1-(\d)(?:-|$)")
TLS_MINIMUM_OF_OLDER_POLICIES = {
    "ELBSecurityPolicy-2016-08": "1.0",
    "ELBSecurityPolicy-2015-05": "1.0",
    "ELBSecurityPolicy-FS-2018-06": "1.0",
    "ELBSecurityPolicy-TLS-1-0-2015-04": "1.0",
    "ELBSecurityPolicy-TLS-1-1-2017-01": "1.1",
    "ELBSecurityPolicy-FS-1-1-2019-08": "1.1",
}


def tls_minimum(policy: Any) -> str | None:
    """The lowest TLS version an ELB security policy negotiates ("1.2"), None if unknown."""
    name = str(policy or "")
    if name in TLS_MINIMUM_OF_OLDER_POLICIES:
        return TLS_MINIMUM_OF_OLDER_POLICIES[name]
    match = _NAMED_MINIMUM.match(name)
    return f"1.{match.group(1)}" if match else None


@resource_rule(
    "lb-internal",
    M,
    (*LB, CLASSIC_ELB),
    "arch, ELB.3",
    "Load balancers in this architecture are internal (a Classic ELB's listeners use TLS too).",
)
def _lb_internal(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("internal") is not True:
        yield Finding(
            "internal",
            props.get("internal"),
            "set internal=True: the path never touches the internet",
        )
    if token == CLASSIC_ELB:
        for i, listener in enumerate(_list(props.get("listeners"))):
            protocol = str(listener.get("lbProtocol", "")).upper()
            if protocol not in ("HTTPS", "SSL"):
                yield Finding(f"listeners[{i}].lbProtocol", protocol, "use HTTPS or SSL")


@resource_rule(
    "lb-deletion-protection",
    A,
    LB,
    "ELB.6, CKV_AWS_150",
    "Load balancers have deletion protection.",
)
def _lb_deletion_protection(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("enableDeletionProtection") is not True:
        yield Finding(
            "enableDeletionProtection",
            props.get("enableDeletionProtection"),
            "set enable_deletion_protection=True for long-lived load balancers",
        )


@resource_rule(
    "lb-access-logs",
    A,
    LB,
    "awsguard elb-logging-enabled, CKV_AWS_91",
    "Load balancers write access logs (NLBs log TLS listeners only).",
)
def _lb_access_logs(token: str, props: Props, _: Config) -> Iterator[Finding]:
    logs = props.get("accessLogs") or {}
    if logs.get("enabled") is not True:
        yield Finding(
            "accessLogs.enabled",
            logs.get("enabled"),
            "set access_logs with an S3 bucket and enabled=True",
        )


@resource_rule(
    "lb-multi-az",
    A,
    LB,
    "ELB.13, CKV_AWS_152",
    "Load balancers span 2+ subnets; NLBs balance across zones.",
)
def _lb_multi_az(token: str, props: Props, _: Config) -> Iterator[Finding]:
    subnets = _list(props.get("subnets")) or _list(props.get("subnetMappings"))
    if len(subnets) < 2:
        yield Finding("subnets", subnets, "use subnets in at least two availability zones")
    if (
        props.get("loadBalancerType") == "network"
        and props.get("enableCrossZoneLoadBalancing") is not True
    ):
        yield Finding(
            "enableCrossZoneLoadBalancing",
            props.get("enableCrossZoneLoadBalancing"),
            "turn cross-zone on, or keep healthy targets in every enabled AZ",
        )


@resource_rule(
    "nlb-security-groups",
    A,
    LB,
    "arch",
    "NLBs have security groups (only settable at creation) and choose PrivateLink "
    "inbound enforcement explicitly.",
)
def _nlb_security_groups(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("loadBalancerType") != "network":
        return
    if not _list(props.get("securityGroups")):
        yield Finding(
            "securityGroups",
            props.get("securityGroups"),
            "attach a security group now: an NLB cannot get one later",
        )
    if props.get("enforceSecurityGroupInboundRulesOnPrivateLinkTraffic") not in ("on", "off"):
        yield Finding(
            "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic",
            props.get("enforceSecurityGroupInboundRulesOnPrivateLinkTraffic"),
            "choose on or off deliberately and document why",
        )


@resource_rule(
    "listener-tls-policy",
    M,
    LISTENER,
    "ELB.17, CKV_AWS_103",
    "TLS/HTTPS listeners use a TLS 1.2+ (or 1.3) security policy.",
)
def _listener_tls_policy(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("protocol") not in SECURE_LISTENER_PROTOCOLS:
        return
    policy = props.get("sslPolicy")
    minimum = tls_minimum(policy)
    if minimum is None:
        yield Finding(
            "sslPolicy",
            policy,
            "name a security policy whose lowest TLS version is known to be 1.2 or 1.3, "
            "such as ELBSecurityPolicy-TLS13-1-2-2021-06",
        )
    elif minimum < "1.2":
        yield Finding(
            "sslPolicy",
            policy,
            f"it still negotiates TLS {minimum}: use ELBSecurityPolicy-TLS13-1-2-2021-06 or "
            "another policy from TLS 1.2",
        )


PASSTHROUGH_CONFIG = {
    "allowTcpPassthrough": {
        "type": "boolean",
        "default": False,
        "description": "Allow TCP listeners (TLS passthrough to a backend that terminates TLS).",
    }
}


@resource_rule(
    "listener-secure-protocol",
    M,
    LISTENER,
    "ELB.18",
    "Listeners speak TLS; TCP passthrough only where the backend terminates TLS "
    "and the pack's config allows it.",
    config=PASSTHROUGH_CONFIG,
)
def _listener_secure_protocol(token: str, props: Props, config: Config) -> Iterator[Finding]:
    protocol = props.get("protocol")
    if protocol in SECURE_LISTENER_PROTOCOLS:
        return
    if protocol == "TCP" and config.get("allowTcpPassthrough", False):
        return
    yield Finding(
        "protocol",
        protocol,
        "use TLS (or set allowTcpPassthrough in the pack's "
        "config where the backend terminates TLS itself)",
    )
