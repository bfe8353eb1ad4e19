"""The deployer policies in docs/iam/: valid, within IAM's size limit, no wildcard writes, and
allowing the create call of every named resource each stack registers, in every variant with
the longest name prefix (so a renamed resource that the policy's name patterns no longer cover
fails here, not halfway through a real `pulumi up`)."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.configs import ROOT
from tests.support.variants import (
    CONSUMER_VARIANTS,
    PROVIDER_VARIANTS,
    VARIANT_PREFIX,
    accepting_provider,
    consumer_variant,
    provider_variant,
)
from xacct_ops.offline_engine import Registration

IAM = ROOT / "docs" / "iam"
FILES = {
    "provider": [IAM / "provider-deployer-policy-1.json", IAM / "provider-deployer-policy-2.json"],
    "consumer": [
        IAM / "consumer-deployer-policy.json",
        IAM / "consumer-deployer-policy-http.json",
        IAM / "consumer-deployer-policy-domain.json",
        IAM / "consumer-deployer-policy-cross-region.json",
    ],
}
MANAGED_POLICY_MAX = 6144  # characters without whitespace (IAM quotas)


def statements(side: str) -> list[dict[str, Any]]:
    return [s for path in FILES[side] for s in json.loads(path.read_text())["Statement"]]


def as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def allows(side: str, action: str, arn: str) -> bool:
    """Some Allow statement names the action (or a wildcard of it) on a matching resource."""
    return any(
        s["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase(action, a) for a in as_list(s["Action"]))
        and any(fnmatch.fnmatchcase(arn, r) for r in as_list(s["Resource"]))
        for s in statements(side)
    )


@pytest.mark.parametrize(
    "path", [p for paths in FILES.values() for p in paths], ids=lambda p: p.name
)
def test_each_policy_is_a_valid_managed_policy(path: Path) -> None:
    document = json.loads(path.read_text())
    assert document["Version"] == "2012-10-17"
    assert len(json.dumps(document, separators=(",", ":"))) <= MANAGED_POLICY_MAX
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)
    for statement in document["Statement"]:
        for action in as_list(statement["Action"]):
            _, _, name = action.partition(":")
            assert action != "*" and name != "*", f"{statement['Sid']}: {action}"
            if "*" in name:  # wildcards only for reads
                assert re.fullmatch(r"(Describe|Get|List)\w*\*", name), action


def arns(r: Registration, region: str, account: str) -> Iterator[tuple[str, str]]:
    """(create action, ARN) of each named resource type the policies scope by name."""
    named: dict[str, Callable[[], tuple[str, str]]] = {
        "aws:cloudwatch/logGroup:LogGroup": lambda: (
            "logs:CreateLogGroup",
            f"arn:aws:logs:{region}:{account}:log-group:{r.inputs['name']}",
        ),
        "aws:kms/alias:Alias": lambda: (
            "kms:CreateAlias",
            f"arn:aws:kms:{region}:{account}:{r.inputs['name']}",
        ),
        "aws:cloudtrail/trail:Trail": lambda: (
            "cloudtrail:CreateTrail",
            f"arn:aws:cloudtrail:{region}:{account}:trail/{r.inputs['name']}",
        ),
        "aws:s3/bucket:Bucket": lambda: ("s3:CreateBucket", f"arn:aws:s3:::{r.outputs['bucket']}"),
        "aws:s3/bucketObjectv2:BucketObjectv2": lambda: (
            "s3:PutObject",
            f"arn:aws:s3:::{r.inputs['bucket']}/{r.inputs['key']}",
        ),
        "aws:cloudwatch/metricAlarm:MetricAlarm": lambda: (
            "cloudwatch:PutMetricAlarm",
            f"arn:aws:cloudwatch:{region}:{account}:alarm:{r.inputs['name']}",
        ),
        "aws:cloudwatch/dashboard:Dashboard": lambda: (
            "cloudwatch:PutDashboard",
            f"arn:aws:cloudwatch::{account}:dashboard/{r.inputs['dashboardName']}",
        ),
        "aws:sns/topic:Topic": lambda: (
            "sns:CreateTopic",
            f"arn:aws:sns:{region}:{account}:{r.outputs['name']}",
        ),
        "aws:iam/role:Role": lambda: (
            "iam:CreateRole",
            f"arn:aws:iam::{account}:role/{r.outputs['name']}",
        ),
        "aws:lb/loadBalancer:LoadBalancer": lambda: (
            "elasticloadbalancing:CreateLoadBalancer",
            r.outputs["arn"],
        ),
        "aws:lb/targetGroup:TargetGroup": lambda: (
            "elasticloadbalancing:CreateTargetGroup",
            r.outputs["arn"],
        ),
        "aws:apigateway/domainName:DomainName": lambda: (
            "apigateway:POST",
            # A private domain's ARN names the account; a regional one's collection does not.
            str(r.outputs["arn"])
            if (r.inputs.get("endpointConfiguration") or {}).get("types") == "PRIVATE"
            else f"arn:aws:apigateway:{region}::/domainnames",
        ),
        "aws:apigateway/domainNameAccessAssociation:DomainNameAccessAssociation": lambda: (
            "apigateway:POST",
            f"arn:aws:apigateway:{region}:{account}:/domainnameaccessassociations",
        ),
        "aws:ec2/vpcEndpointService:VpcEndpointService": lambda: (
            "ec2:CreateVpcEndpointServiceConfiguration",
            f"arn:aws:ec2:{region}:{account}:vpc-endpoint-service/{r.id}",
        ),
    }
    if r.type in named:
        yield named[r.type]()


def runs(side: str) -> list[tuple[str, list[Registration]]]:
    if side == "provider":
        found = [(v, provider_variant(v, VARIANT_PREFIX).registrations) for v in PROVIDER_VARIANTS]
        return [*found, ("accepting", accepting_provider(VARIANT_PREFIX).registrations)]
    return [(v, consumer_variant(v, VARIANT_PREFIX).registrations) for v in CONSUMER_VARIANTS]


@pytest.mark.parametrize("side", ["provider", "consumer"])
def test_the_policies_allow_creating_every_named_resource_of_every_variant(side: str) -> None:
    refused = set()
    checked = 0
    for variant, registrations in runs(side):
        for r in registrations:
            for action, arn in arns(r, "us-east-1", "222222222222"):
                checked += 1
                if not allows(side, action, arn):
                    refused.add(f"{variant}: {action} on {arn}")
    assert checked > 20
    assert sorted(refused) == []


SERVICE_OF_TYPE = {
    "aws:cloudwatch/logGroup:LogGroup": "logs",
}
"""Types whose module is not named for their IAM service."""
SERVICE_OF_MODULE = {
    "acm": "acm",
    "autoscaling": "autoscaling",
    "apigateway": "apigateway",
    "apigatewayv2": "apigateway",
    "cloudtrail": "cloudtrail",
    "cloudwatch": "cloudwatch",
    "ec2": "ec2",
    "eks": "eks",
    "iam": "iam",
    "kms": "kms",
    "lb": "elasticloadbalancing",
    "route53": "route53",
    "s3": "s3",
    "servicediscovery": "servicediscovery",
    "sns": "sns",
    "vpc": "ec2",
    "wafv2": "wafv2",
}


@pytest.mark.parametrize("side", ["provider", "consumer"])
def test_the_policies_reach_the_service_of_every_aws_resource_type_registered(side: str) -> None:
    # Coarser than the named check above, for every type: a service the policies never mention
    # (a new resource type in a variant) fails here, not at its first real `pulumi up`.
    mentioned = {
        action.split(":", 1)[0] for s in statements(side) for action in as_list(s["Action"])
    }
    needed = set()
    for variant, registrations in runs(side):
        for r in registrations:
            if r.type.startswith("aws:"):
                module = r.type.split(":")[1].split("/")[0]
                service = SERVICE_OF_TYPE.get(r.type) or SERVICE_OF_MODULE.get(module)
                needed.add((service or f"unmapped module {module}", variant))
    assert sorted((svc, v) for svc, v in needed if svc not in mentioned) == []


def test_a_name_outside_the_patterns_would_be_refused() -> None:
    # The check above can fail: a log group outside /xacct/ or /aws/eks/ is not allowed.
    assert allows("provider", "logs:CreateLogGroup", "arn:aws:logs:us-east-1:1:log-group:/xacct/a")
    assert not allows("provider", "logs:CreateLogGroup", "arn:aws:logs:us-east-1:1:log-group:/b")
    assert not allows(
        "consumer", "cloudtrail:CreateTrail", "arn:aws:cloudtrail:us-east-1:1:trail/t"
    )
