"""AWS's create-time rules (xacct_ops/aws_rules.py): every documented variant of both stacks, with
the longest and the shortest name prefix the config accepts, passes them; and every rule, fed a
value AWS refuses, reports it (so none can pass vacuously)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws_limits import AUTONAME_SUFFIX_LENGTH, ELB_NAME_MAX, NAME_PREFIX_MAX
from components.settings import NAME_MAX_LENGTH
from tests.support.variants import (
    CONSUMER_VARIANTS,
    LONGEST_NAME,
    PROVIDER_VARIANTS,
    VARIANT_PREFIX,
    accepting_provider,
    consumer_variant,
    provider_variant,
)
from xacct_ops import aws_rules
from xacct_ops.aws_rules import NAME_RULES, RULES, check
from xacct_ops.offline_engine import AUTONAMED, Registration


def breaches(run_registrations: list[Registration]) -> list[str]:
    return [str(b) for b in check(run_registrations)]


@pytest.mark.parametrize("variant", PROVIDER_VARIANTS)
def test_provider_variants_with_the_longest_prefix_meet_aws_rules(variant: str) -> None:
    assert VARIANT_PREFIX == "longest"
    assert breaches(provider_variant(variant, VARIANT_PREFIX).registrations) == []


@pytest.mark.parametrize("variant", CONSUMER_VARIANTS)
def test_consumer_variants_with_the_longest_prefix_meet_aws_rules(variant: str) -> None:
    assert breaches(consumer_variant(variant, VARIANT_PREFIX).registrations) == []


@pytest.mark.parametrize("prefix", ["default", "shortest"])
def test_default_stacks_with_other_prefixes_meet_aws_rules(prefix: str) -> None:
    assert breaches(provider_variant("default", prefix).registrations) == []
    assert breaches(consumer_variant("default", prefix).registrations) == []


def test_the_accepting_provider_run_meets_aws_rules() -> None:
    assert breaches(accepting_provider("longest").registrations) == []


def test_the_longest_prefix_is_what_elb_names_leave_room_for() -> None:
    assert NAME_MAX_LENGTH == NAME_PREFIX_MAX == len(LONGEST_NAME)
    nlb = next(
        r for r in provider_variant("default", "longest").registrations if r.type == aws_rules.LB
    )
    # The physical name is the logical name plus Pulumi's suffix, and just fits.
    assert len(nlb.outputs["name"]) == len(nlb.name) + AUTONAME_SUFFIX_LENGTH <= ELB_NAME_MAX


def test_every_autonamed_type_has_a_name_rule() -> None:
    assert set(AUTONAMED) - set(NAME_RULES) <= {
        "aws:apigateway/restApi:RestApi",  # no documented limit
        "aws:apigateway/apiKey:ApiKey",
        "aws:apigateway/usagePlan:UsagePlan",
        "aws:apigateway/vpcLink:VpcLink",
    }


# ---- each rule refuses what AWS refuses --------------------------------------------------


def dashboard(*graphs: list[list[str]]) -> str:
    widgets = [{"type": "metric", "properties": {"title": "w", "metrics": m}} for m in graphs]
    return json.dumps({"widgets": widgets})


def record(
    type_: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    *,
    name: str = "r",
    rid: str = "id-1",
    delete_before_replace: bool = False,
) -> Registration:
    return Registration(
        type=type_,
        name=name,
        urn=f"urn:pulumi:s::p::{type_}::{name}",
        id=rid,
        custom=True,
        inputs=inputs,
        outputs=outputs or {},
        parent="",
        dependencies=(),
        property_dependencies={},
        delete_before_replace=delete_before_replace,
    )


SUBNET_A = record(
    aws_rules.SUBNET,
    {"availabilityZoneId": "use1-az3", "cidrBlock": "10.0.0.0/24"},
    rid="subnet-a",
)
SUBNET_B = record(
    aws_rules.SUBNET,
    {"availabilityZoneId": "use1-az1", "cidrBlock": "10.0.1.0/24"},
    rid="subnet-b",
)
LONG_ELB = "x" * 25 + "-1a2b3c4"  # 33 characters
GOOD_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "eks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

# (rule, registrations, expected text in the one breach), each a value AWS refuses at create time.
VIOLATIONS: list[tuple[str, list[Registration], str]] = [
    (
        "name:LoadBalancer",
        [record(aws_rules.LB, {}, {"name": LONG_ELB})],
        "has 33 characters: AWS takes 1 to 32",
    ),
    (
        "name:LoadBalancer",
        [record(aws_rules.LB, {}, {"name": "internal-api-nlb-1a2b3c4"})],
        "begins with 'internal-'",
    ),
    (
        "name:TargetGroup",
        [record(aws_rules.TG, {}, {"name": "api_tg-1a2b3c4"})],
        "has characters AWS refuses",
    ),
    ("name:Role", [record(aws_rules.ROLE, {}, {"name": "r" * 65})], "AWS takes 1 to 64"),
    (
        "name:RolePolicy",
        [record(aws_rules.ROLE_POLICY, {}, {"name": "policy name"})],
        "has characters AWS refuses",
    ),
    ("name:Policy", [record(aws_rules.POLICY, {}, {"name": "p" * 129})], "AWS takes 1 to 128"),
    (
        "name:SecurityGroup",
        [record(aws_rules.SG, {}, {"name": "sg-endpoint-1a2b3c4"})],
        "begins with 'sg-'",
    ),
    (
        "name:NodeGroup",
        [record(aws_rules.NODE_GROUP, {}, {"nodeGroupName": "-nodes"})],
        "has characters AWS refuses",
    ),
    ("name:Cluster", [record(aws_rules.EKS_COMPONENT, {"name": "my.cluster"})], "refuses"),
    ("name:Cluster", [record(aws_rules.EKS_CLUSTER, {"name": "c" * 101})], "1 to 100"),
    ("name:Topic", [record(aws_rules.TOPIC, {}, {"name": "alarms.topic"})], "refuses"),
    ("name:MetricAlarm", [record(aws_rules.ALARM, {"name": "a\nb"})], "refuses"),
    ("name:Dashboard", [record(aws_rules.DASHBOARD, {"dashboardName": "my path"})], "refuses"),
    (
        "name:LogGroup",
        [record(aws_rules.LOG_GROUP, {"name": "aws/xacct/flow"})],
        "begins with 'aws/'",
    ),
    ("name:Bucket", [record(aws_rules.BUCKET, {}, {"bucket": "Trail-Bucket"})], "refuses"),
    ("name:Alias", [record(aws_rules.KMS_ALIAS, {"name": "alias/aws/logs"})], "'alias/aws/'"),
    ("name:Trail", [record(aws_rules.TRAIL, {"name": "my--trail"})], "refuses"),
    ("name:VpcLink", [record(aws_rules.VPC_LINK_V2, {"name": "l" * 129})], "1 to 128"),
    ("name:Stage", [record(aws_rules.STAGE, {"stageName": "v1.0"})], "refuses"),
    ("name:Api", [record(aws_rules.HTTP_API, {"name": "a" * 129})], "1 to 128"),
    ("name:WebAcl", [record(aws_rules.WEB_ACL, {"name": "my acl"})], "refuses"),
    ("name:Stage", [record(aws_rules.HTTP_STAGE, {"name": "$prod"})], "refuses"),
    ("name:HttpNamespace", [record(aws_rules.CLOUD_MAP_NAMESPACE, {"name": "my ns"})], "refuses"),
    (
        "name:Service",
        [record(aws_rules.CLOUD_MAP_SERVICE, {}, {"name": "x" * 64 + "-1a2b3c4"})],
        "refuses",
    ),
    (
        "name:Instance",
        [record(aws_rules.CLOUD_MAP_INSTANCE, {"instanceId": "10.0.0.1 "})],
        "refuses",
    ),
    (
        "ec2-description",
        [record(aws_rules.SG, {"description": "Endpoint's group"})],
        'description "Endpoint\'s group"',
    ),
    (
        "ec2-description",
        [record(aws_rules.SG, {"ingress": [{"description": "from the NLB & link"}]})],
        "has '&'",
    ),
    (
        "ec2-rule-description",
        [record(aws_rules.SG_INGRESS, {"description": "Nodes admit the workload's port"})],
        'has "\'"',
    ),
    (
        "ec2-rule-description",
        [record(aws_rules.SG_EGRESS, {"description": "NLB \u2192 endpoint"})],
        "has '\u2192'",
    ),
    (
        "iam-description",
        [record(aws_rules.ROLE, {"description": "Flow logs \u2014 this VPC"})],
        "printable ASCII or Latin-1",
    ),
    (
        "log-retention",
        [record(aws_rules.LOG_GROUP, {"retentionInDays": 45})],
        "retentionInDays 45 is not a value",
    ),
    (
        "tags",
        [record(aws_rules.KMS_KEY, {"tags": {"aws:owner": "me"}})],
        "the aws: prefix is reserved",
    ),
    (
        "tags",
        [record(aws_rules.KMS_KEY, {"tags": {f"k{i}": "v" for i in range(51)}})],
        "51 tags: AWS takes at most 50",
    ),
    (
        "tags",
        [record("aws:ec2/vpc:Vpc", {"tags": {"k" * 128: "v"}})],
        "has 128 characters: at most 127",
    ),
    ("tags", [record(aws_rules.KMS_KEY, {"tags": {"team": "v" * 257}})], "at most 256"),
    ("tags", [record(aws_rules.KMS_KEY, {"tags": {"team": "a&b"}})], "tags take letters"),
    (
        "eks-availability-zones",
        [
            SUBNET_A,
            SUBNET_B,
            record(aws_rules.EKS_COMPONENT, {"privateSubnetIds": ["subnet-a", "subnet-b"]}),
        ],
        "cluster subnets in use1-az3",
    ),
    (
        "eks-availability-zones",
        [SUBNET_B, record(aws_rules.EKS_CLUSTER, {"vpcConfig": {"subnetIds": ["subnet-b"]}})],
        "fewer than two availability zones",
    ),
    (
        "ports",
        [record(aws_rules.SG_INGRESS, {"ipProtocol": "tcp", "fromPort": 443, "toPort": 70000})],
        "toPort 70000 is not a port",
    ),
    (
        "ports",
        [record(aws_rules.SG_EGRESS, {"ipProtocol": "tcp", "fromPort": 8443, "toPort": 443})],
        "fromPort 8443 is above toPort 443",
    ),
    ("ports", [record(aws_rules.LISTENER, {"port": 0}, delete_before_replace=True)], "port 0"),
    (
        "health-check",
        [record(aws_rules.TG, {"protocol": "TCP", "healthCheck": {"interval": 400}})],
        "healthCheck.interval 400: expected 5 to 300",
    ),
    (
        "health-check",
        [record(aws_rules.TG, {"protocol": "TCP", "healthCheck": {"healthyThreshold": 1}})],
        "healthCheck.healthyThreshold 1: expected 2 to 10",
    ),
    (
        "health-check",
        [record(aws_rules.TG, {"protocol": "TCP", "healthCheck": {"protocol": "TLS"}})],
        "checks TCP, HTTP, HTTPS",
    ),
    (
        "health-check",
        [
            record(
                aws_rules.TG, {"protocol": "TCP", "healthCheck": {"protocol": "TCP", "path": "/"}}
            )
        ],
        "a path needs HTTP or HTTPS",
    ),
    (
        "health-check",
        [record(aws_rules.TG, {"protocol": "TCP", "deregistrationDelay": 4000})],
        "deregistrationDelay 4000",
    ),
    (
        "health-check",
        [record(aws_rules.TG, {"protocol": "TCP", "healthCheck": {"interval": 10}})],
        "healthCheck timeout 10 s is not below its interval 10 s",
    ),
    (
        "health-check",
        [record(aws_rules.TG, {"protocol": "TCP", "healthCheck": {"interval": 10, "timeout": 12}})],
        "healthCheck timeout 12 s is not below its interval 10 s",
    ),
    (
        "vpc-link-v2-availability-zones",
        [
            SUBNET_A,
            SUBNET_B,
            record(aws_rules.VPC_LINK_V2, {"subnetIds": ["subnet-a", "subnet-b"]}),
        ],
        "subnets in use1-az3, where VPC link v2 is not offered",
    ),
    (
        "integration-port",
        [record(aws_rules.INTEGRATION, {"uri": "https://api.example.com:8/{proxy}"})],
        "calls port 8: API Gateway calls 80, 443 or 1024-65535",
    ),
    (
        "listener",
        [record(aws_rules.LISTENER, {"protocol": "TLS", "port": 443}, delete_before_replace=True)],
        "a TLS listener needs certificateArn",
    ),
    (
        "listener",
        [
            record(
                aws_rules.LISTENER,
                {"protocol": "TCP", "port": 443, "alpnPolicy": "HTTP1"},
                delete_before_replace=True,
            )
        ],
        "alpnPolicy 'HTTP1'",
    ),
    (
        "kms-deletion-window",
        [record(aws_rules.KMS_KEY, {"deletionWindowInDays": 5})],
        "expected 7 to 30",
    ),
    ("alarm-period", [record(aws_rules.ALARM, {"period": 90})], "period 90"),
    (
        "cross-region-endpoint-azs",
        [
            record(aws_rules.SUBNET, {"availabilityZoneId": "use1-az3"}, rid="subnet-c"),
            record(
                aws_rules.VPC_ENDPOINT,
                {"serviceRegion": "eu-west-1", "subnetIds": ["subnet-c"]},
                name="e",
            ),
        ],
        "cross-region endpoint in use1-az3",
    ),
    (
        "dashboard-size",
        [record(aws_rules.DASHBOARD, {"dashboardBody": '{"widgets": [{}' + ", {}" * 500 + "]}"})],
        "501 widgets: at most 500",
    ),
    (
        "dashboard-size",
        [record(aws_rules.DASHBOARD, {"dashboardBody": dashboard([["AWS/X", "M"]] * 501)})],
        "widget 'w' has 501 metrics: at most 500",
    ),
    (
        "dashboard-size",
        [record(aws_rules.DASHBOARD, {"dashboardBody": dashboard(*[[["AWS/X", "M"]] * 500] * 6)})],
        "3000 metrics in all: at most 2500 per dashboard",
    ),
    ("dashboard-size", [record(aws_rules.DASHBOARD, {"dashboardBody": "{"})], "not JSON"),
    (
        "alarm-period",
        [record(aws_rules.ALARM, {"period": 300, "evaluationPeriods": 300})],
        "period × evaluationPeriods is 90000 s: at most 86400 s",
    ),
    (
        "alarm-period",
        [record(aws_rules.ALARM, {"period": 300, "evaluationPeriods": 3, "datapointsToAlarm": 4})],
        "datapointsToAlarm 4",
    ),
    (
        "policy-document",
        [record(aws_rules.ROLE, {"assumeRolePolicy": {**GOOD_TRUST, "Version": "2008-10-17"}})],
        "use 2012-10-17",
    ),
    (
        "policy-document",
        [
            record(
                aws_rules.ROLE_POLICY,
                {
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "my-bucket/*"}
                        ],
                    }
                },
            )
        ],
        "Resource 'my-bucket/*' is not an ARN",
    ),
    (
        "policy-document",
        [
            record(
                aws_rules.KMS_KEY,
                {
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::1111:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ],
                    }
                },
            )
        ],
        "Principal.AWS 'arn:aws:iam::1111:root' is not a AWS principal",
    ),
    (
        "policy-document",
        [
            record(
                aws_rules.ROLE,
                {
                    "assumeRolePolicy": {
                        **GOOD_TRUST,
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "eks"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            )
        ],
        "Principal.Service 'eks' is not a Service principal",
    ),
    (
        "policy-document",
        [
            record(
                aws_rules.ROLE_POLICY,
                {
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Permit", "Action": "logs:PutLogEvents", "Resource": "*"}
                        ],
                    }
                },
            )
        ],
        "Effect 'Permit'",
    ),
    (
        "policy-document",
        [
            record(
                aws_rules.POLICY,
                {
                    "policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "logs PutLogEvents", "Resource": "*"}
                        ],
                    }
                },
            )
        ],
        "Action 'logs PutLogEvents' is not service:Action",
    ),
    (
        "allowed-principals",
        [record(aws_rules.ENDPOINT_SERVICE, {"allowedPrincipals": ["111111111111:root"]})],
        "allowed principal '111111111111:root'",
    ),
    (
        "managed-policy-arn",
        [
            record(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                {"policyArn": "AmazonEKSClusterPolicy"},
            )
        ],
        "is not an IAM policy ARN",
    ),
    (
        "endpoint-addresses",
        [
            SUBNET_B,
            record(
                aws_rules.VPC_ENDPOINT,
                {"subnetConfigurations": [{"subnetId": "subnet-b", "ipv4": "10.0.1.2"}]},
                delete_before_replace=True,
            ),
        ],
        "10.0.1.2 is one of the addresses AWS reserves",
    ),
    (
        "endpoint-addresses",
        [
            SUBNET_B,
            record(
                aws_rules.VPC_ENDPOINT,
                {"subnetConfigurations": [{"subnetId": "subnet-b", "ipv4": "10.0.9.10"}]},
                delete_before_replace=True,
            ),
        ],
        "10.0.9.10 is not in its subnet 10.0.1.0/24",
    ),
    (
        "endpoint-addresses",
        [
            SUBNET_B,
            record(
                aws_rules.VPC_ENDPOINT,
                {"subnetConfigurations": [{"subnetId": "subnet-b", "ipv4": "10.0.1.10"}]},
            ),
        ],
        "it needs delete_before_replace",
    ),
    (
        "listener-replacement",
        [record(aws_rules.LISTENER, {"protocol": "TCP", "port": 443})],
        "it needs delete_before_replace",
    ),
]


@pytest.mark.parametrize(("rule", "registrations", "expected"), VIOLATIONS)
def test_each_rule_refuses_what_aws_refuses(
    rule: str, registrations: list[Registration], expected: str
) -> None:
    found = [b for b in check(registrations)]
    assert [b.rule for b in found] == [rule], found
    assert expected in found[0].message


def test_every_rule_has_a_violating_case() -> None:
    assert {r.name for r in RULES} == {rule for rule, _, _ in VIOLATIONS}


def test_every_rule_cites_an_aws_or_provider_page() -> None:
    assert all(r.source.startswith("https://") for r in RULES)


def test_values_aws_accepts_pass() -> None:
    accepted = [
        SUBNET_B,
        record(aws_rules.LB, {}, {"name": "x" * 24 + "-1a2b3c4"}),
        record(aws_rules.SG_INGRESS, {"description": "CIDR rule to (VPC) 10.0.0.0/16: HTTPS"}),
        record(aws_rules.SG, {"description": "A & B"}),
        record(aws_rules.LOG_GROUP, {"retentionInDays": 365, "name": "/xacct/flow-logs"}),
        record(aws_rules.ROLE, {"assumeRolePolicy": GOOD_TRUST}, {"name": "xacct-role-1a2b3c4"}),
        record(
            aws_rules.VPC_ENDPOINT,
            {"subnetConfigurations": [{"subnetId": "subnet-b", "ipv4": "10.0.1.4"}]},
            delete_before_replace=True,
        ),
        record(aws_rules.ALARM, {"period": 300, "evaluationPeriods": 24, "datapointsToAlarm": 24}),
        record(aws_rules.TG, {"protocol": "TCP", "healthCheck": {"interval": 10, "timeout": 5}}),
        record(aws_rules.INTEGRATION, {"uri": "https://api.example.com:8443/{proxy}"}),
        record(aws_rules.VPC_LINK_V2, {"subnetIds": ["subnet-b"]}),
        # Service prefixes are case-insensitive: SNS's own default policy says SNS:Publish.
        record(
            aws_rules.POLICY,
            {
                "policy": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "SNS:Publish", "Resource": "*"}],
                }
            },
        ),
    ]
    assert check(accepted) == []
