"""The PrivateLink rules (policy/rules/privatelink.py): the endpoint service's acceptance and
principals, the internal NLB it publishes, the VPC link's target."""

from __future__ import annotations

from typing import Any

import pytest

from policy import rules
from tests.policy_rules.support import (
    LB,
    Case,
    resource,
    uncovered,
    validate,
    validate_stack,
)

# (policy, token, props, config, expected messages); [] means the props pass.
CASES: list[Case] = [
    (
        "endpoint-service-acceptance-required",
        rules.ENDPOINT_SERVICE,
        {"acceptanceRequired": True},
        {},
        [],
    ),
    (
        "endpoint-service-acceptance-required",
        rules.ENDPOINT_SERVICE,
        {"acceptanceRequired": False},
        {},
        [
            "aws:ec2/vpcEndpointService:VpcEndpointService 'r': acceptanceRequired is False; set "
            "acceptance_required=True so every endpoint connection is accepted"
        ],
    ),
    (
        "endpoint-service-principals-specific",
        rules.ENDPOINT_SERVICE,
        {
            "allowedPrincipals": [
                "arn:aws:iam::111111111111:root",
                "arn:aws:iam::222222222222:role/gw",
            ]
        },
        {},
        [],
    ),
    (
        "endpoint-service-principals-specific",
        rules.ENDPOINT_SERVICE,
        {"allowedPrincipals": ["*"]},
        {},
        [
            "aws:ec2/vpcEndpointService:VpcEndpointService 'r': allowedPrincipals[0] is '*' (this program sets it from xacct:consumerAccountIds, xacct:consumerRoleArns); name the "
            "consumer accounts (arn:aws:iam::<account>:root) or roles: `*` lets any AWS account "
            "connect"
        ],
    ),
    (
        "endpoint-service-principals-specific",
        rules.ALLOWED_PRINCIPLE,
        {"principalArn": "arn:aws:iam::333333333333:root"},
        {"allowedAccounts": ["111111111111"]},
        [
            "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple 'r': "
            "principalArn is 'arn:aws:iam::333333333333:root'; account 333333333333 is not in the "
            "pack's allowedAccounts (111111111111)"
        ],
    ),
    (
        "endpoint-service-principals-specific",
        rules.ALLOWED_PRINCIPLE,
        {"principalArn": "arn:aws:iam::111111111111:user/bob"},
        {},
        [
            "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple 'r': "
            "principalArn is 'arn:aws:iam::111111111111:user/bob'; use arn:aws:iam::<12-digit "
            "account>:root or a role ARN in that account"
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


def test_endpoint_service_behind_a_public_nlb_is_caught() -> None:
    public = resource(LB, "nlb", {"internal": False, "loadBalancerType": "network"})
    internal = resource(LB, "nlb2", {"internal": True, "loadBalancerType": "network"})
    bad = resource(rules.ENDPOINT_SERVICE, "svc", {}, {"networkLoadBalancerArns": [public]})
    good = resource(rules.ENDPOINT_SERVICE, "svc2", {}, {"networkLoadBalancerArns": [internal]})
    assert validate_stack("endpoint-service-nlb-internal", [public, internal, bad, good]) == [
        "aws:ec2/vpcEndpointService:VpcEndpointService 'svc': networkLoadBalancerArns includes "
        "aws:lb/loadBalancer:LoadBalancer 'nlb' with internal=False, loadBalancerType='network'; "
        "publish only an internal network load balancer"
    ]


def test_vpc_link_to_a_public_lb_is_caught_for_v1_and_v2() -> None:
    public = resource(LB, "nlb", {"internal": False})
    v1 = resource(rules.VPC_LINK, "link", {}, {"targetArn": [public]})
    v2 = resource(rules.INTEGRATION, "proxy", {}, {"integrationTarget": [public]})
    assert validate_stack("apigw-vpclink-internal-nlb", [public, v1, v2]) == [
        "aws:apigateway/vpcLink:VpcLink 'link': targetArn is aws:lb/loadBalancer:LoadBalancer "
        "'nlb' with internal=False; target an internal load balancer",
        "aws:apigateway/integration:Integration 'proxy': integrationTarget is "
        "aws:lb/loadBalancer:LoadBalancer 'nlb' with internal=False; target an internal load "
        "balancer",
    ]
    internal = resource(LB, "nlb", {"internal": True})
    ok = resource(rules.VPC_LINK, "link", {}, {"targetArn": [internal]})
    assert validate_stack("apigw-vpclink-internal-nlb", [internal, ok]) == []


def test_every_rule_here_has_a_passing_and_a_failing_case() -> None:
    assert uncovered(CASES, "privatelink") == []
