"""The security group, subnet and VPC rules (policy/rules/network.py): interface endpoints,
ingress and egress, ports, flow logs."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    PolicyResource,
)

from policy import rules
from tests.policy_rules.support import (
    WORLD,
    Case,
    resource,
    uncovered,
    validate,
    validate_stack,
)

# (policy, token, props, config, expected messages); [] means the props pass.
CASES: list[Case] = [
    (
        "interface-endpoint-shape",
        rules.VPC_ENDPOINT,
        {
            "vpcEndpointType": "Interface",
            "securityGroupIds": ["sg-1"],
            "subnetIds": ["a", "b"],
            "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-1",
        },
        {},
        [],
    ),
    (
        "interface-endpoint-shape",
        rules.VPC_ENDPOINT,
        {"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.us-east-1.s3"},
        {},
        [],
    ),
    (
        "interface-endpoint-shape",
        rules.VPC_ENDPOINT,
        {
            "vpcEndpointType": "Interface",
            "securityGroupIds": [],
            "subnetIds": ["a"],
            "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-1",
        },
        {},
        [
            "aws:ec2/vpcEndpoint:VpcEndpoint 'r': securityGroupIds is []; attach a security group "
            "that admits only the listener port",
            "aws:ec2/vpcEndpoint:VpcEndpoint 'r': subnetIds is ['a']; place the endpoint in subnets "
            "of 2+ AZs",
        ],
    ),
    (
        "interface-endpoint-shape",
        rules.VPC_ENDPOINT,
        {"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-1"},
        {},
        [
            "aws:ec2/vpcEndpoint:VpcEndpoint 'r': vpcEndpointType is 'Gateway'; connect to an "
            "endpoint service with an Interface endpoint"
        ],
    ),
    (
        "sg-no-world-ingress",
        rules.SG_INGRESS,
        {"cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        {},
        [],
    ),
    (
        "sg-no-world-ingress",
        rules.SG_INGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        {},
        [
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule 'r': cidrs is "
            f"['0.0.0.0/0']; {WORLD}: admit a security group or a narrow CIDR, never the internet"
        ],
    ),
    (
        "sg-no-world-ingress",
        rules.SG,
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 22,
                    "toPort": 22,
                    "cidrBlocks": [],
                    "ipv6CidrBlocks": ["::/0"],
                }
            ]
        },
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': ingress[0].cidrs is ['::/0']; "
            f"{WORLD}: admit a security group or a narrow CIDR, never the internet"
        ],
    ),
    (
        "sg-no-world-ingress",
        rules.SG_RULE,
        {"type": "egress", "cidrBlocks": ["0.0.0.0/0"], "protocol": "-1"},
        {},
        [],
    ),
    (
        "sg-no-all-ports",
        rules.SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443},
        {},
        [],
    ),
    (
        "sg-no-all-ports",
        rules.SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 0, "toPort": 65535},
        {},
        [
            "aws:ec2/securityGroupRule:SecurityGroupRule 'r': fromPort-toPort is '0-65535'; admit "
            "only the port the service listens on"
        ],
    ),
    (
        "sg-no-all-ports",
        rules.SG_INGRESS,
        {"ipProtocol": "-1"},
        {},
        [
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule 'r': protocol is '-1'; admit "
            "tcp on the listener port"
        ],
    ),
    ("sg-rule-description", rules.SG_EGRESS, {"description": "to the nodes"}, {}, []),
    (
        "sg-rule-description",
        rules.SG_INGRESS,
        {"ipProtocol": "tcp"},
        {},
        [
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule 'r': description is not set; "
            "describe what the rule admits and why"
        ],
    ),
    (
        "sg-rule-description",
        rules.SG,
        {"egress": [{"protocol": "-1"}]},
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': egress[0].description is not set; describe "
            "the rule"
        ],
    ),
    (
        "sg-no-world-ingress",
        rules.SG,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/2"]},
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["64.0.0.0/2"]},
            ]
        },
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': ingress[0].cidrs is ['0.0.0.0/2']; "
            f"{WORLD.replace('4,294,967,296', '1,073,741,824')}: admit a security group or a "
            "narrow CIDR, never the internet",
            "aws:ec2/securityGroup:SecurityGroup 'r': ingress[1].cidrs is ['64.0.0.0/2']; "
            f"{WORLD.replace('4,294,967,296', '1,073,741,824')}: admit a security group or a "
            "narrow CIDR, never the internet",
        ],
    ),
    (
        # Each rule is narrow; together they are the internet.
        "sg-no-world-ingress",
        rules.SG,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["8.0.0.0/9"]},
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["8.128.0.0/9"]},
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["9.0.0.0/9"]},
            ]
        },
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': rules is ['8.0.0.0/9', '8.128.0.0/9', "
            f"'9.0.0.0/9']; {WORLD.replace('4,294,967,296', '25,165,824')}: admit a security "
            "group or a narrow CIDR, never the internet"
        ],
    ),
    (
        # Far from the internet as a whole, and still 16 million strangers.
        "sg-no-world-ingress",
        rules.SG_RULE,
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["3.0.0.0/8"],
        },
        {},
        [
            "aws:ec2/securityGroupRule:SecurityGroupRule 'r': cidrs is ['3.0.0.0/8']; these "
            "CIDRs are 16,777,216 internet addresses, and nothing on this path is reached from "
            "the internet: admit a security group or a CIDR of the VPC"
        ],
    ),
    (
        # A few named public hosts (a /24 at most), and any private range.
        "sg-no-world-ingress",
        rules.SG,
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": ["52.94.76.0/24", "10.0.0.0/9", "100.64.0.0/16"],
                },
            ]
        },
        {},
        [],
    ),
    (
        "sg-no-world-egress",
        rules.SG_EGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"},
        {},
        [
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule 'r': cidrs is ['0.0.0.0/0']; "
            f"{WORLD}: send to a security group or a narrow CIDR, never the internet"
        ],
    ),
    (
        "sg-no-world-egress",
        rules.SG,
        {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': egress[0].cidrs is ['0.0.0.0/0']; "
            f"{WORLD}: send to a security group or a narrow CIDR, never the internet"
        ],
    ),
    (
        "sg-no-world-egress",
        rules.SG_EGRESS,
        {"referencedSecurityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        {},
        [],
    ),
    ("subnet-no-public-ip", rules.SUBNET, {"mapPublicIpOnLaunch": False}, {}, []),
    (
        "subnet-no-public-ip",
        rules.SUBNET,
        {"mapPublicIpOnLaunch": True},
        {},
        [
            "aws:ec2/subnet:Subnet 'r': mapPublicIpOnLaunch is True; set map_public_ip_on_launch=False"
        ],
    ),
    (
        "sg-no-all-ports",
        rules.SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 1024, "toPort": 65535},
        {},
        [
            "aws:ec2/securityGroupRule:SecurityGroupRule 'r': fromPort-toPort is '1024-65535'; admit only the port the service listens on"
        ],
    ),
    (
        "sg-no-all-ports",
        rules.SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 30000, "toPort": 32767},
        {},
        [
            "aws:ec2/securityGroupRule:SecurityGroupRule 'r': fromPort-toPort is '30000-32767'; admit only the port the service listens on"
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


def endpoint_fixture(*rules_props: dict[str, Any]) -> list[PolicyResource]:
    vpc = resource(rules.VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
    sg = resource(rules.SG, "sg", {"ingress": [], "egress": []})
    endpoint = resource(
        rules.VPC_ENDPOINT,
        "vpce",
        {"vpcEndpointType": "Interface"},
        {"vpcId": [vpc], "securityGroupIds": [sg]},
    )
    standalone = [
        resource(rules.SG_INGRESS, f"rule{i}", props, {"securityGroupId": [sg]})
        for i, props in enumerate(rules_props)
    ]
    return [vpc, sg, endpoint, *standalone]


def test_endpoint_security_group_admitting_one_port_from_a_group_passes() -> None:
    found = validate_stack(
        "endpoint-sg-scoped",
        endpoint_fixture(
            {
                "ipProtocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "referencedSecurityGroupId": "sg-n",
            },
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.0.4.0/24"},
        ),
    )
    assert found == []


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        ({"ipProtocol": "-1"}, "admits protocol '-1'"),
        (
            {"ipProtocol": "tcp", "fromPort": 0, "toPort": 65535, "referencedSecurityGroupId": "s"},
            "admits ports 0-65535",
        ),
        (
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
            "admits 0.0.0.0/0 (wider than the VPC 10.0.0.0/16)",
        ),
        (
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "172.16.0.0/12"},
            "admits 172.16.0.0/12 (wider than the VPC 10.0.0.0/16)",
        ),
    ],
)
def test_endpoint_security_group_wider_than_one_port_from_inside_is_caught(
    props: dict[str, Any], problem: str
) -> None:
    assert validate_stack("endpoint-sg-scoped", endpoint_fixture(props)) == [
        f"aws:ec2/vpcEndpoint:VpcEndpoint 'vpce': "
        f"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule 'rule0' {problem}; admit only "
        "TCP on the listener port from the consumer NLB's or VPC link's security group"
    ]


def test_security_group_managed_inline_and_by_rules_is_caught() -> None:
    sg = resource(rules.SG, "sg", {"ingress": [{"protocol": "tcp"}], "egress": []})
    clean = resource(rules.SG, "clean", {"ingress": [], "egress": []})
    rule = resource(rules.SG_INGRESS, "extra", {}, {"securityGroupId": [sg]})
    rule2 = resource(rules.SG_EGRESS, "out", {}, {"securityGroupId": [clean]})
    assert validate_stack("sg-no-rule-conflicts", [sg, clean, rule, rule2]) == [
        "aws:ec2/securityGroup:SecurityGroup 'sg': has 1 inline rule(s) and separate rules "
        "'extra'; manage its rules one way (separate rules), or each update undoes the other"
    ]


def test_rules_a_group_reports_for_its_separate_rules_are_not_inline() -> None:
    # After a refresh (or any read) AWS reports every rule of the group in its outputs, those of
    # the separate rule resources too; stack policies see outputs. They are not inline rules.
    sg = resource(
        rules.SG,
        "nlb",
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "securityGroups": ["sg-0link", "sg-0api"],
                    "cidrBlocks": [],
                    "self": False,
                }
            ],
            "egress": [
                {"protocol": "6", "fromPort": 443, "toPort": 443, "securityGroups": ["sg-0ep"]}
            ],
        },
    )
    link = {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443}
    standalone = [
        resource(
            rules.SG_INGRESS,
            "from-link",
            {**link, "referencedSecurityGroupId": "sg-0link"},
            {"securityGroupId": [sg]},
        ),
        resource(
            rules.SG_RULE,
            "from-api",
            {**link, "type": "ingress", "protocol": "tcp", "sourceSecurityGroupId": "sg-0api"},
            {"securityGroupId": [sg]},
        ),
        resource(
            rules.SG_EGRESS,
            "to-endpoint",
            {**link, "referencedSecurityGroupId": "sg-0ep"},
            {"securityGroupId": [sg]},
        ),
    ]
    assert validate_stack("sg-no-rule-conflicts", [sg, *standalone]) == []
    # One rule no separate resource manages (or the same peer on another port) is inline.
    for extra in (
        {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]},
        {"protocol": "tcp", "fromPort": 8443, "toPort": 8443, "securityGroups": ["sg-0link"]},
    ):
        widened = resource(rules.SG, "nlb", {**sg.props, "ingress": [*sg.props["ingress"], extra]})
        rebound = [
            resource(r.resource_type, r.name, dict(r.props), {"securityGroupId": [widened]})
            for r in standalone
        ]
        assert validate_stack("sg-no-rule-conflicts", [widened, *rebound]) == [
            "aws:ec2/securityGroup:SecurityGroup 'nlb': has 1 inline rule(s) and separate rules "
            "'from-link', 'from-api', 'to-endpoint'; manage its rules one way (separate rules), "
            "or each update undoes the other"
        ]


def test_vpc_without_a_flow_log_of_all_traffic_is_caught() -> None:
    logged = resource(rules.VPC, "a", {})
    bare = resource(rules.VPC, "b", {})
    half = resource(rules.VPC, "c", {})
    log = resource(rules.FLOW_LOG, "fl", {"trafficType": "ALL"}, {"vpcId": [logged]})
    rejects = resource(rules.FLOW_LOG, "fl2", {"trafficType": "REJECT"}, {"vpcId": [half]})
    assert validate_stack("vpc-flow-logs", [logged, bare, half, log, rejects]) == [
        "aws:ec2/vpc:Vpc 'b': has no aws.ec2.FlowLog of all traffic; add one (traffic_type ALL)",
        "aws:ec2/vpc:Vpc 'c': has no aws.ec2.FlowLog of all traffic; add one (traffic_type ALL)",
    ]


def test_every_rule_here_has_a_passing_and_a_failing_case() -> None:
    assert uncovered(CASES, "network") == []
