"""The load balancer and listener rules (policy/rules/load_balancing.py)."""

from __future__ import annotations

from typing import Any

import pytest

from policy import rules
from tests.policy_rules.support import (
    LB,
    Case,
    uncovered,
    validate,
)

NLB_OK = {
    "internal": True,
    "loadBalancerType": "network",
    "subnets": ["a", "b"],
    "securityGroups": ["sg-1"],
    "enableCrossZoneLoadBalancing": True,
    "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic": "off",
    "enableDeletionProtection": True,
    "accessLogs": {"enabled": True, "bucket": "b"},
}
ALB = rules.LB[1]
LISTENER = rules.LISTENER[0]


# (policy, token, props, config, expected messages); [] means the props pass.
CASES: list[Case] = [
    ("lb-internal", LB, NLB_OK, {}, []),
    (
        "lb-internal",
        ALB,
        {**NLB_OK, "internal": False},
        {},
        [
            "aws:alb/loadBalancer:LoadBalancer 'r': internal is False; set internal=True: the path "
            "never touches the internet"
        ],
    ),
    ("lb-deletion-protection", LB, NLB_OK, {}, []),
    (
        "lb-deletion-protection",
        LB,
        {**NLB_OK, "enableDeletionProtection": False},
        {},
        [
            "aws:lb/loadBalancer:LoadBalancer 'r': enableDeletionProtection is False; set "
            "enable_deletion_protection=True for long-lived load balancers"
        ],
    ),
    ("lb-access-logs", LB, NLB_OK, {}, []),
    (
        "lb-access-logs",
        LB,
        {**NLB_OK, "accessLogs": None},
        {},
        [
            "aws:lb/loadBalancer:LoadBalancer 'r': accessLogs.enabled is not set; set access_logs "
            "with an S3 bucket and enabled=True"
        ],
    ),
    ("lb-multi-az", LB, NLB_OK, {}, []),
    (
        "lb-multi-az",
        LB,
        {**NLB_OK, "subnets": ["a"], "enableCrossZoneLoadBalancing": False},
        {},
        [
            "aws:lb/loadBalancer:LoadBalancer 'r': subnets is ['a']; use subnets in at least two "
            "availability zones",
            "aws:lb/loadBalancer:LoadBalancer 'r': enableCrossZoneLoadBalancing is False; turn "
            "cross-zone on, or keep healthy targets in every enabled AZ",
        ],
    ),
    ("nlb-security-groups", LB, NLB_OK, {}, []),
    (
        "nlb-security-groups",
        LB,
        {
            **NLB_OK,
            "securityGroups": [],
            "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic": None,
        },
        {},
        [
            "aws:lb/loadBalancer:LoadBalancer 'r': securityGroups is []; attach a security group "
            "now: an NLB cannot get one later",
            "aws:lb/loadBalancer:LoadBalancer 'r': enforceSecurityGroupInboundRulesOnPrivateLinkTraffic"
            " is not set; choose on or off deliberately and document why",
        ],
    ),
    (
        "listener-tls-policy",
        LISTENER,
        {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {},
        [],
    ),
    ("listener-tls-policy", LISTENER, {"protocol": "TCP"}, {}, []),
    (
        "listener-tls-policy",
        rules.LISTENER[1],
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
        {},
        [
            "aws:alb/listener:Listener 'r': sslPolicy is 'ELBSecurityPolicy-2016-08'; it still "
            "negotiates TLS 1.0: use ELBSecurityPolicy-TLS13-1-2-2021-06 or another policy from "
            "TLS 1.2"
        ],
    ),
    (
        # TLS13 in the name, TLS 1.0 in fact.
        "listener-tls-policy",
        LISTENER,
        {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-0-2021-06"},
        {},
        [
            "aws:lb/listener:Listener 'r': sslPolicy is 'ELBSecurityPolicy-TLS13-1-0-2021-06' (this program sets it from xacct:tlsPolicy); it "
            "still negotiates TLS 1.0: use ELBSecurityPolicy-TLS13-1-2-2021-06 or another policy "
            "from TLS 1.2"
        ],
    ),
    (
        "listener-tls-policy",
        LISTENER,
        {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04"},
        {},
        [],
    ),
    (
        "listener-tls-policy",
        LISTENER,
        {"protocol": "TLS", "sslPolicy": "MyPolicy"},
        {},
        [
            "aws:lb/listener:Listener 'r': sslPolicy is 'MyPolicy' (this program sets it from xacct:tlsPolicy); name a security policy whose "
            "lowest TLS version is known to be 1.2 or 1.3, such as "
            "ELBSecurityPolicy-TLS13-1-2-2021-06"
        ],
    ),
    ("listener-secure-protocol", LISTENER, {"protocol": "TLS"}, {}, []),
    ("listener-secure-protocol", LISTENER, {"protocol": "TCP"}, {"allowTcpPassthrough": True}, []),
    (
        "listener-secure-protocol",
        LISTENER,
        {"protocol": "TCP"},
        {},
        [
            "aws:lb/listener:Listener 'r': protocol is 'TCP' (this program sets it from xacct:tlsMode); use TLS (or set allowTcpPassthrough in "
            "the pack's config where the backend terminates TLS itself)"
        ],
    ),
    (
        "lb-internal",
        rules.CLASSIC_ELB,
        {"internal": True, "listeners": [{"lbProtocol": "https", "lbPort": 443}]},
        {},
        [],
    ),
    (
        "lb-internal",
        rules.CLASSIC_ELB,
        {"internal": True, "listeners": [{"lbProtocol": "tcp", "lbPort": 80}]},
        {},
        [
            "aws:elb/loadBalancer:LoadBalancer 'r': listeners[0].lbProtocol is 'TCP'; use HTTPS or SSL"
        ],
    ),
]


@pytest.mark.parametrize(
    ("policy", "token", "props", "config", "expected"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_table(
    policy: str, token: str, props: dict[str, Any], config: dict[str, Any], expected: list[str]
) -> None:
    assert validate(policy, token, props, config) == expected


def test_every_rule_here_has_a_passing_and_a_failing_case() -> None:
    assert uncovered(CASES, "load_balancing") == []
