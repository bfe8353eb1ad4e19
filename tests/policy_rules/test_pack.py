"""The pack as a whole: every resource rule has passing and failing cases (in the area modules'
tables), rules ignore other types, values unknown at preview, references the stack rules cannot
follow, the table in docs/SECURITY-RULES.md, the settings refusals name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pulumi_policy import (
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policy import rules
from policy.rules import RULES
from tests.policy_rules.support import (
    LB,
    POLICIES,
    resource,
    uncovered,
    validate,
    validate_stack,
)
from tests.support.configs import ROOT


def test_rules_ignore_other_types() -> None:
    assert validate("lb-internal", rules.SG, {"internal": False}) == []


def test_every_resource_rule_has_an_area_with_a_table_of_cases() -> None:
    # Each area's module checks its own rules have a passing and a failing case
    # (test_every_rule_here_has_a_passing_and_a_failing_case); every rule is in such an area.
    here = Path(__file__).parent
    tabled = {
        p.stem.removeprefix("test_") for p in here.glob("test_*.py") if "CASES" in p.read_text()
    }
    areas = {rules.area_of(r.name) for r in RULES if not r.stack}
    assert areas <= tabled, sorted(areas - tabled)
    # And an area's check fails without its cases.
    assert "iam-no-users: no failing case" in uncovered([], "iam")


def test_unknown_values_are_left_to_the_sdk_to_report() -> None:
    # At preview an NLB's `internal` may be unknown: the check must raise UnknownValueError
    # (the SDK turns it into "can't run policy during preview"), not pass and not crash.
    with pytest.raises(UnknownValueError):
        validate("lb-internal", LB, {"internal": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError):
        validate(
            "endpoint-service-principals-specific",
            rules.ENDPOINT_SERVICE,
            {"allowedPrincipals": ["arn:aws:iam::111111111111:root", UNKNOWN_STRING_VALUE]},
        )


def test_references_the_gate_cannot_follow_are_caught() -> None:
    service = resource(
        rules.ENDPOINT_SERVICE,
        "svc",
        {"networkLoadBalancerArns": ["arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/x"]},
    )
    endpoint = resource(
        rules.VPC_ENDPOINT,
        "vpce",
        {"vpcEndpointType": "Interface", "securityGroupIds": ["sg-0legacy"]},
    )
    link = resource(rules.VPC_LINK, "link", {"targetArn": "arn:aws:elasticloadbalancing:nlb"})
    assert validate_stack("endpoint-service-nlb-internal", [service]) == [
        "aws:ec2/vpcEndpointService:VpcEndpointService 'svc': networkLoadBalancerArns is "
        "['arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/x'], not a load balancer of "
        "this stack, so the gate cannot judge it; use one the stack creates"
    ]
    assert validate_stack("endpoint-sg-scoped", [endpoint]) == [
        "aws:ec2/vpcEndpoint:VpcEndpoint 'vpce': securityGroupIds is ['sg-0legacy'], not a "
        "security group of this stack, so the gate cannot judge it; use one the stack creates"
    ]
    assert validate_stack("apigw-vpclink-internal-nlb", [link]) == [
        "aws:apigateway/vpcLink:VpcLink 'link': targetArn is 'arn:aws:elasticloadbalancing:nlb', "
        "not a load balancer of this stack, so the gate cannot judge it; use one the stack "
        "creates"
    ]


def test_stack_rule_reports_what_it_can_then_says_what_was_unknown() -> None:
    known = resource(rules.SG, "known", {"ingress": [{"protocol": "tcp"}], "egress": []})
    unknown = resource(rules.SG, "unknown", {"ingress": UNKNOWN_STRING_VALUE, "egress": []})
    rule_a = resource(rules.SG_INGRESS, "ra", {}, {"securityGroupId": [known]})
    rule_b = resource(rules.SG_INGRESS, "rb", {}, {"securityGroupId": [unknown]})
    found: list[str] = []
    with pytest.raises(UnknownValueError):
        POLICIES["sg-no-rule-conflicts"].validate(
            StackValidationArgs([known, unknown, rule_a, rule_b], {}),
            lambda message, urn=None: found.append(message),
        )
    assert len(found) == 1 and "'known'" in found[0]


SECURITY_RULES = ROOT / "docs" / "SECURITY-RULES.md"


def test_every_row_of_the_security_rules_table_is_a_rule_at_its_level() -> None:
    rows = re.findall(
        r"^\| ([a-z0-9-]+)(?: \(stack\))? \|.*?\| ([MA])(?: if created)? \|",
        SECURITY_RULES.read_text(),
        flags=re.M,
    )
    assert len(rows) >= 30
    ours = {r.name: r for r in RULES}
    for name, level in rows:
        assert name in ours, f"{name} is not in the pack"
        # At its level, or stricter: some baselines are mandatory here where the table warns.
        if level == "M":
            assert ours[name].level.value == "mandatory", name


def test_every_advisory_rule_says_why_it_does_not_refuse() -> None:
    advisory = {r.name for r in RULES if r.level.value == "advisory"}
    assert advisory == set(rules.ADVISORY_BECAUSE)


def test_refusals_of_values_the_program_derives_from_config_name_the_setting() -> None:
    # Each (type, property) the program sets from a stack setting names that setting, and the
    # setting exists: the user changes the stack file, not a resource property.
    from components.settings import ALL_KEYS

    for (token, prop), keys in rules.SET_BY.items():
        for key in keys.split(", "):
            assert key.removeprefix("xacct:") in ALL_KEYS, (token, prop, key)
    assert validate("log-group-retention", rules.LOG_GROUP, {"retentionInDays": 7}) == [
        "aws:cloudwatch/logGroup:LogGroup 'r': retentionInDays is 7 (this program sets it from "
        "xacct:logRetentionDays); keep logs at least 30 days"
    ]
    # A property no setting decides gets no such pointer.
    assert validate("subnet-no-public-ip", rules.SUBNET, {"mapPublicIpOnLaunch": True}) == [
        "aws:ec2/subnet:Subnet 'r': mapPublicIpOnLaunch is True; set map_public_ip_on_launch=False"
    ]
