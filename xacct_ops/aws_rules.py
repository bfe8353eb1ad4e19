"""AWS's create-time rules, checked on every resource a stack program registers.

The recording mocks (and `pulumi preview`) accept any value; AWS checks these when it creates the
resource, and a stack that breaks one fails halfway through its first real `pulumi up`. Each rule
below names the AWS page it comes from. `check(registrations)` returns every breach; the tests
run it on every documented variant of both stacks, and `python -m xacct_ops plan` prints it.

Physical names are judged after autonaming: the recording mocks name resources as Pulumi does
(`<logical name>-<7 hex>`), so a length here is the length AWS will see.
"""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from components.aws_limits import (
    API_GATEWAY_PORTS,
    CROSS_REGION_UNSUPPORTED_AZ_IDS,
    DASHBOARD_METRICS_MAX,
    DASHBOARD_WIDGETS_MAX,
    EC2_DESCRIPTION,
    EC2_RULE_DESCRIPTION,
    EKS_UNSUPPORTED_AZ_IDS,
    LOG_RETENTION_DAYS,
    VPC_LINK_V2_UNSUPPORTED_AZ_IDS,
    WIDGET_METRICS_MAX,
    api_gateway_port,
)
from xacct_ops.offline_engine import Registration

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
TG_ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SUBNET = "aws:ec2/subnet:Subnet"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TOPIC = "aws:sns/topic:Topic"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
TRAIL = "aws:cloudtrail/trail:Trail"
VPC_LINK_V2 = "aws:apigatewayv2/vpcLink:VpcLink"
STAGE = "aws:apigateway/stage:Stage"
INTEGRATION = "aws:apigateway/integration:Integration"
HTTP_API = "aws:apigatewayv2/api:Api"
HTTP_STAGE = "aws:apigatewayv2/stage:Stage"
CLOUD_MAP_NAMESPACE = "aws:servicediscovery/httpNamespace:HttpNamespace"
CLOUD_MAP_SERVICE = "aws:servicediscovery/service:Service"
CLOUD_MAP_INSTANCE = "aws:servicediscovery/instance:Instance"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
_DNS_LABEL = r"([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])"


Recorded = Registration
"""What the recording mocks keep of each registration (xacct_ops/offline_engine.py)."""


@dataclass(frozen=True)
class Breach:
    rule: str
    resource: str
    """`<type token> <logical name>`"""
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.resource}: {self.message}"


class Stack:
    """The registrations of one stack run, with what rules need to look across resources."""

    def __init__(
        self, records: Iterable[Recorded], subnet_az_ids: Mapping[str, str] | None = None
    ) -> None:
        self.records = list(records)
        self.subnets: dict[str, tuple[str, str]] = {}
        """subnet id → (AZ ID, CIDR), for subnets this stack creates."""
        for r in self.records:
            if r.type == SUBNET:
                self.subnets[r.id] = (
                    str(r.inputs.get("availabilityZoneId", "")),
                    str(r.inputs.get("cidrBlock", "")),
                )
        self.subnet_az_ids = {sid: az for sid, (az, _) in self.subnets.items()}
        self.subnet_az_ids.update(subnet_az_ids or {})


Check = Callable[[Recorded, Stack], Iterator[str]]


@dataclass(frozen=True)
class AwsRule:
    name: str
    types: frozenset[str]
    source: str
    """The AWS page the rule comes from."""
    check: Check


RULES: list[AwsRule] = []


def rule(name: str, types: Iterable[str], source: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(AwsRule(name, frozenset(types), source, check))
        return check

    return register


def _value(r: Recorded, prop: str) -> Any:
    """What AWS receives: the resolved output (autonamed names live there), else the input."""
    value = r.outputs.get(prop)
    return r.inputs.get(prop) if value is None else value


# ---- physical names, after autonaming -------------------------------------------------------


@dataclass(frozen=True)
class NameRule:
    prop: str
    max_length: int
    pattern: re.Pattern[str]
    expected: str
    source: str
    min_length: int = 1
    forbidden_prefixes: tuple[str, ...] = ()


_ELB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_IAM_NAME = re.compile(r"^[\w+=,.@-]+$")
_EKS_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]*$")
ELB_SOURCE = (
    "https://docs.aws.amazon.com/goto/cli2/elasticloadbalancingv2-2015-12-01/CreateTargetGroup"
)
IAM_SOURCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"

NAME_RULES: dict[str, NameRule] = {
    LB: NameRule(
        "name",
        32,
        _ELB_NAME,
        "letters, digits and -, not beginning or ending with -",
        ELB_SOURCE,
        forbidden_prefixes=("internal-",),
    ),
    TG: NameRule(
        "name", 32, _ELB_NAME, "letters, digits and -, not beginning or ending with -", ELB_SOURCE
    ),
    ROLE: NameRule("name", 64, _IAM_NAME, "letters, digits and _+=,.@-", IAM_SOURCE),
    ROLE_POLICY: NameRule("name", 128, _IAM_NAME, "letters, digits and _+=,.@-", IAM_SOURCE),
    POLICY: NameRule("name", 128, _IAM_NAME, "letters, digits and _+=,.@-", IAM_SOURCE),
    SG: NameRule(
        "name",
        255,
        re.compile(r"^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+$"),
        "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
        "https://docs.aws.amazon.com/goto/WebAPI/ec2/CreateSecurityGroup",
        forbidden_prefixes=("sg-",),
    ),
    NODE_GROUP: NameRule(
        "nodeGroupName",
        63,
        _EKS_NAME,
        "a letter or digit, then letters, digits, - and _",
        "https://www.pulumi.com/registry/packages/aws/api-docs/eks/nodegroup/",
    ),
    EKS_COMPONENT: NameRule(
        "name",
        100,
        _EKS_NAME,
        "a letter or digit, then letters, digits, - and _",
        "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html",
    ),
    EKS_CLUSTER: NameRule(
        "name",
        100,
        _EKS_NAME,
        "a letter or digit, then letters, digits, - and _",
        "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html",
    ),
    TOPIC: NameRule(
        "name",
        256,
        re.compile(r"^[A-Za-z0-9_-]+$"),
        "letters, digits, _ and -",
        "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sns/aws.sdk.kotlin.services.sns.model/-create-topic-request/name.html",
    ),
    ALARM: NameRule(
        "name",
        255,
        re.compile(r"^[^\x00-\x1f\x7f]+$"),
        "no control characters",
        "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Alarm.html",
    ),
    DASHBOARD: NameRule(
        "dashboardName",
        255,
        re.compile(r"^[A-Za-z0-9_-]+$"),
        "letters, digits, - and _",
        "https://aws-amplify.github.io/aws-sdk-ios/docs/reference/AWSCloudWatch/Classes/AWSCloudWatchPutDashboardInput.html",
    ),
    LOG_GROUP: NameRule(
        "name",
        512,
        re.compile(r"^[.\-_/#A-Za-z0-9]+$"),
        "letters, digits and ._-/#",
        "https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/CloudWatchLogs/MCloudWatchLogsCreateLogGroupCreateLogGroupRequest.html",
        forbidden_prefixes=("aws/",),
    ),
    BUCKET: NameRule(
        "bucket",
        63,
        re.compile(r"^[a-z0-9](?!.*\.\.)[a-z0-9.-]*[a-z0-9]$"),
        "lower-case letters, digits, . and -, beginning and ending with a letter or digit",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
        min_length=3,
        forbidden_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    ),
    KMS_ALIAS: NameRule(
        "name",
        256,
        re.compile(r"^alias/[A-Za-z0-9/_-]+$"),
        "alias/ then letters, digits, /, _ and -",
        "https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html",
        forbidden_prefixes=("alias/aws/",),
    ),
    TRAIL: NameRule(
        "name",
        128,
        re.compile(r"^[A-Za-z0-9](?!.*[._-]{2})[A-Za-z0-9._-]*[A-Za-z0-9]$"),
        "letters, digits, ., _ and -, no two in a row, beginning and ending with a letter or digit",
        "https://docs.amazonaws.cn/en_us/awscloudtrail/latest/userguide/cloudtrail-trail-naming-requirements.md",
        min_length=3,
    ),
    VPC_LINK_V2: NameRule(
        "name",
        128,
        re.compile(r"^.+$"),
        "1 to 128 characters",
        "https://docs.aws.amazon.com/cli/latest/reference/apigatewayv2/create-vpc-link.html",
    ),
    HTTP_API: NameRule(
        "name",
        128,
        re.compile(r"^.+$"),
        "1 to 128 characters",
        "https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html",
    ),
    HTTP_STAGE: NameRule(
        "name",
        128,
        re.compile(r"^(\$default|[A-Za-z0-9_-]+)$"),
        "$default, or letters, digits, - and _",
        "https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages.html",
    ),
    CLOUD_MAP_NAMESPACE: NameRule(
        "name",
        1024,
        re.compile(r"^[!-~]+$"),
        "printable ASCII without spaces",
        "https://docs.aws.amazon.com/cloud-map/latest/api/API_CreateHttpNamespace.html",
    ),
    CLOUD_MAP_SERVICE: NameRule(
        "name",
        127,
        re.compile(rf"^{_DNS_LABEL}(\.{_DNS_LABEL})*$"),
        "DNS labels of letters, digits, - and _ (at most 63 each)",
        "https://docs.aws.amazon.com/cloud-map/latest/api/API_CreateService.html",
    ),
    CLOUD_MAP_INSTANCE: NameRule(
        "instanceId",
        64,
        re.compile(r"^[0-9a-zA-Z_/:.@-]+$"),
        "letters, digits and _/:.@-",
        "https://docs.aws.amazon.com/cloud-map/latest/api/API_RegisterInstance.html",
    ),
    WEB_ACL: NameRule(
        "name",
        128,
        re.compile(r"^[\w-]+$"),
        "letters, digits, _ and -",
        "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html",
    ),
    STAGE: NameRule(
        "stageName",
        128,
        re.compile(r"^[A-Za-z0-9_-]+$"),
        "letters, digits, - and _",
        "https://docs.aws.amazon.com/apigateway/latest/api/API_Stage.html",
    ),
}


def name_problems(r: Recorded) -> Iterator[str]:
    spec = NAME_RULES[r.type]
    name = _value(r, spec.prop)
    if not isinstance(name, str):
        return
    if not spec.min_length <= len(name) <= spec.max_length:
        yield (
            f"{spec.prop} {name!r} has {len(name)} characters: AWS takes "
            f"{spec.min_length} to {spec.max_length}"
        )
    if not spec.pattern.match(name):
        yield f"{spec.prop} {name!r} has characters AWS refuses: expected {spec.expected}"
    for prefix in spec.forbidden_prefixes:
        if name.lower().startswith(prefix):
            yield f"{spec.prop} {name!r} begins with {prefix!r}, which AWS reserves or refuses"


def _name_check(r: Recorded, _: Stack) -> Iterator[str]:
    yield from name_problems(r)


for _type, _spec in NAME_RULES.items():
    RULES.append(
        AwsRule(f"name:{_type.rsplit(':', 1)[1]}", frozenset({_type}), _spec.source, _name_check)
    )


# ---- descriptions ---------------------------------------------------------------------------

SG_RULE_TYPES = (SG_INGRESS, SG_EGRESS, SG_RULE)
_IAM_DESCRIPTION = re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]{0,1000}$")


@rule("ec2-description", [SG], "https://docs.aws.amazon.com/goto/WebAPI/ec2/CreateSecurityGroup")
def _sg_description(r: Recorded, _: Stack) -> Iterator[str]:
    description = r.inputs.get("description")
    if isinstance(description, str) and not EC2_DESCRIPTION.match(description):
        yield (
            f"description {description!r}: up to 255 of a-z, A-Z, 0-9, spaces and "
            "._-:/()#,@[]+=&;{}!$*"
        )
    for direction in ("ingress", "egress"):
        for item in r.inputs.get(direction) or []:
            yield from _rule_description(item.get("description"))


def _rule_description(description: Any) -> Iterator[str]:
    if isinstance(description, str) and not EC2_RULE_DESCRIPTION.match(description):
        bad = sorted({c for c in description if not EC2_RULE_DESCRIPTION.match(c)})
        yield (
            f"rule description {description!r} has {''.join(bad)!r}: up to 255 of a-z, A-Z, "
            "0-9, spaces and ._-:/()#,@[]+=;{}!$*"
        )


@rule(
    "ec2-rule-description",
    SG_RULE_TYPES,
    "https://docs.aws.amazon.com/goto/WebAPI/ec2-2016-11-15/UserIdGroupPair",
)
def _sg_rule_description(r: Recorded, _: Stack) -> Iterator[str]:
    yield from _rule_description(r.inputs.get("description"))


@rule(
    "iam-description",
    [ROLE, POLICY],
    "https://docs.amazonaws.cn/goto/WebAPI/iam-2010-05-08/CreateRole",
)
def _iam_description(r: Recorded, _: Stack) -> Iterator[str]:
    description = r.inputs.get("description")
    if isinstance(description, str) and not _IAM_DESCRIPTION.match(description):
        yield (
            f"description {description!r}: up to 1000 printable ASCII or Latin-1 characters "
            "(no curly quotes, dashes or emoji)"
        )


# ---- values AWS accepts -------------------------------------------------------------------


@rule(
    "log-retention",
    [LOG_GROUP],
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
)
def _retention(r: Recorded, _: Stack) -> Iterator[str]:
    days = r.inputs.get("retentionInDays")
    if days is not None and int(days) != 0 and int(days) not in LOG_RETENTION_DAYS:
        yield f"retentionInDays {days} is not a value CloudWatch Logs accepts: {LOG_RETENTION_DAYS}"


_TAG_CHARACTERS = re.compile(r"^[\w .:/=+\-@]*$")


@rule(
    "tags",
    [],  # every aws: resource
    "https://docs.aws.amazon.com/goto/WebAPI/ec2-2016-11-15/Tag",
)
def _tags(r: Recorded, _: Stack) -> Iterator[str]:
    tags = r.inputs.get("tags")
    if not isinstance(tags, dict):
        return
    if len(tags) > 50:
        yield f"{len(tags)} tags: AWS takes at most 50 per resource"
    key_max = 127 if r.type.startswith("aws:ec2/") else 128  # EC2: 127, most others: 128
    for key, value in tags.items():
        if not 1 <= len(key) <= key_max:
            yield f"tag key {key!r} has {len(key)} characters: at most {key_max}"
        if key.lower().startswith("aws:"):
            yield f"tag key {key!r}: the aws: prefix is reserved for AWS"
        if isinstance(value, str) and len(value) > 256:
            yield f"tag {key!r} has a value of {len(value)} characters: at most 256"
        for text in (key, value):
            if isinstance(text, str) and not _TAG_CHARACTERS.match(text):
                yield (
                    f"tag {key!r}={value!r}: tags take letters, digits, spaces and + - = . _ : / @ "
                    "(the set every tagging service accepts)"
                )


@rule(
    "cross-region-endpoint-azs",
    [VPC_ENDPOINT],
    "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html",
)
def _cross_region_azs(r: Recorded, stack: Stack) -> Iterator[str]:
    if not r.inputs.get("serviceRegion"):
        return
    az_ids = {stack.subnet_az_ids.get(s) for s in r.inputs.get("subnetIds") or []}
    refused = sorted(a for a in az_ids & CROSS_REGION_UNSUPPORTED_AZ_IDS if a)
    if refused:
        yield f"cross-region endpoint in {', '.join(refused)}, where AWS does not offer one"


@rule(
    "eks-availability-zones",
    [EKS_COMPONENT, EKS_CLUSTER],
    "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html",
)
def _eks_azs(r: Recorded, stack: Stack) -> Iterator[str]:
    subnet_ids: list[str] = []
    for prop in ("subnetIds", "privateSubnetIds", "publicSubnetIds"):
        subnet_ids += list(r.inputs.get(prop) or [])
    subnet_ids += list((r.inputs.get("vpcConfig") or {}).get("subnetIds") or [])
    az_ids = {stack.subnet_az_ids[s] for s in subnet_ids if s in stack.subnet_az_ids}
    refused = sorted(az_ids & EKS_UNSUPPORTED_AZ_IDS)
    if refused:
        yield f"cluster subnets in {', '.join(refused)}, where EKS does not create clusters"
    known = all(s in stack.subnet_az_ids for s in subnet_ids)
    if subnet_ids and known and len(az_ids) < 2:
        yield "cluster subnets in fewer than two availability zones: EKS needs two"


def _port(value: Any, low: int, what: str) -> Iterator[str]:
    if value is not None and not low <= int(value) <= 65535:
        yield f"{what} {value} is not a port: expected {low} to 65535"


@rule(
    "ports",
    [SG_INGRESS, SG_EGRESS, SG_RULE, SG, LISTENER, TG, TG_ATTACHMENT],
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html",
)
def _ports(r: Recorded, _: Stack) -> Iterator[str]:
    if r.type in (LISTENER, TG, TG_ATTACHMENT):
        yield from _port(r.inputs.get("port"), 1, "port")
        return
    rules = (
        [r.inputs]
        if r.type != SG
        else [*(r.inputs.get("ingress") or []), *(r.inputs.get("egress") or [])]
    )
    for item in rules:
        protocol = str(item.get("ipProtocol", item.get("protocol", "tcp")))
        if protocol in ("-1", "all", "icmp", "icmpv6", "1", "58"):
            continue  # no ports, or ICMP type/code
        low, high = item.get("fromPort"), item.get("toPort")
        yield from _port(low, 0, "fromPort")
        yield from _port(high, 0, "toPort")
        if low is not None and high is not None and int(low) > int(high):
            yield f"fromPort {low} is above toPort {high}"


@rule(
    "health-check",
    [TG],
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html",
)
def _health_check(r: Recorded, _: Stack) -> Iterator[str]:
    # Ranges from ELBv2 CreateTargetGroup (interval 5-300, timeout 2-120, thresholds 2-10) and
    # TargetGroupAttribute (deregistration delay 0-3600).
    check = r.inputs.get("healthCheck") or {}
    ranges = {
        "interval": (5, 300),
        "timeout": (2, 120),
        "healthyThreshold": (2, 10),
        "unhealthyThreshold": (2, 10),
    }
    for key, (low, high) in ranges.items():
        value = check.get(key)
        if value is not None and not low <= int(value) <= high:
            yield f"healthCheck.{key} {value}: expected {low} to {high}"
    protocol = check.get("protocol")
    network = r.inputs.get("protocol") in ("TCP", "TLS", "UDP", "TCP_UDP")
    if network and protocol is not None and protocol not in ("TCP", "HTTP", "HTTPS"):
        yield f"healthCheck.protocol {protocol}: a network target group checks TCP, HTTP, HTTPS"
    path = check.get("path")
    if path is not None:
        if protocol not in ("HTTP", "HTTPS"):
            yield f"healthCheck.path {path!r} with protocol {protocol}: a path needs HTTP or HTTPS"
        elif not str(path).startswith("/") or len(str(path)) > 1024:
            yield f"healthCheck.path {path!r}: expected /... of at most 1024 characters"
    delay = r.inputs.get("deregistrationDelay")
    if delay is not None and not 0 <= int(delay) <= 3600:
        yield f"deregistrationDelay {delay}: expected 0 to 3600 seconds"
    # A timeout must be shorter than the interval: ELB refuses it for ALBs, and the CDK
    # (aws-cdk#26031) and the Terraform provider (#48071) refuse it for NLBs. Unset, the
    # timeout is AWS's default: 6 s for HTTP checks, 10 s otherwise; the interval's is 30 s.
    interval = int(check.get("interval") or 30)
    timeout = int(check.get("timeout") or (6 if protocol == "HTTP" else 10))
    if timeout >= interval:
        yield f"healthCheck timeout {timeout} s is not below its interval {interval} s"


@rule(
    "vpc-link-v2-availability-zones",
    [VPC_LINK_V2],
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-vpc-links-v2.html",
)
def _vpc_link_azs(r: Recorded, stack: Stack) -> Iterator[str]:
    az_ids = {stack.subnet_az_ids.get(s) for s in r.inputs.get("subnetIds") or []}
    refused = sorted(az for az in az_ids if az in VPC_LINK_V2_UNSUPPORTED_AZ_IDS)
    if refused:
        yield f"subnets in {', '.join(refused)}, where VPC link v2 is not offered"


@rule(
    "integration-port",
    [INTEGRATION],
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html",
)
def _integration_port(r: Recorded, _: Stack) -> Iterator[str]:
    uri = r.inputs.get("uri")
    if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
        return
    port = urllib.parse.urlsplit(uri).port
    if port is not None and not api_gateway_port(port):
        yield f"uri {uri!r} calls port {port}: API Gateway calls {API_GATEWAY_PORTS}"


@rule(
    "listener",
    [LISTENER],
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html",
)
def _listener(r: Recorded, _: Stack) -> Iterator[str]:
    protocol = r.inputs.get("protocol")
    if protocol in ("TLS", "HTTPS"):
        if not r.inputs.get("certificateArn"):
            yield f"a {protocol} listener needs certificateArn"
    elif r.inputs.get("certificateArn") or r.inputs.get("sslPolicy"):
        yield f"a {protocol} listener takes no certificate or sslPolicy"
    alpn = r.inputs.get("alpnPolicy")
    if alpn is not None and alpn not in (
        "HTTP1Only",
        "HTTP2Only",
        "HTTP2Optional",
        "HTTP2Preferred",
        "None",
    ):
        yield f"alpnPolicy {alpn!r} is not an ALPN policy ELB knows"


@rule(
    "kms-deletion-window",
    [KMS_KEY],
    "https://docs.aws.amazon.com/kms/latest/cryptographic-details/key-deletion.html",
)
def _kms_window(r: Recorded, _: Stack) -> Iterator[str]:
    days = r.inputs.get("deletionWindowInDays")
    if days is not None and not 7 <= int(days) <= 30:
        yield f"deletionWindowInDays {days}: expected 7 to 30"


@rule(
    "alarm-period",
    [ALARM],
    "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/aws.sdk.kotlin.services.cloudwatch.model/-put-metric-alarm-request/period.html",
)
def _alarm_period(r: Recorded, _: Stack) -> Iterator[str]:
    period = r.inputs.get("period")
    periods = r.inputs.get("evaluationPeriods")
    datapoints = r.inputs.get("datapointsToAlarm")
    if period is None:
        return
    period = int(period)
    if period not in (10, 20, 30) and period % 60:
        yield f"period {period}: expected 10, 20, 30 or a multiple of 60"
    if periods is not None:
        window = period * int(periods)
        limit = 86_400 if period < 3600 else 604_800
        if window > limit:
            yield f"period × evaluationPeriods is {window} s: at most {limit} s"
        if datapoints is not None and not 1 <= int(datapoints) <= int(periods):
            yield f"datapointsToAlarm {datapoints}: expected 1 to evaluationPeriods ({periods})"


@rule(
    "dashboard-size",
    [DASHBOARD],
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html",
)
def _dashboard_size(r: Recorded, _: Stack) -> Iterator[str]:
    body = r.inputs.get("dashboardBody")
    try:
        widgets = json.loads(body)["widgets"] if isinstance(body, str) else []
    except (ValueError, KeyError, TypeError):
        yield "dashboardBody is not JSON with a widgets array"
        return
    if len(widgets) > DASHBOARD_WIDGETS_MAX:
        yield f"{len(widgets)} widgets: at most {DASHBOARD_WIDGETS_MAX}"
    total = 0
    for widget in widgets:
        metrics = widget.get("properties", {}).get("metrics", [])
        total += len(metrics)
        if len(metrics) > WIDGET_METRICS_MAX:
            title = widget.get("properties", {}).get("title", "")
            yield f"widget {title!r} has {len(metrics)} metrics: at most {WIDGET_METRICS_MAX}"
    if total > DASHBOARD_METRICS_MAX:
        yield f"{total} metrics in all: at most {DASHBOARD_METRICS_MAX} per dashboard"


# ---- ARNs and principals in policy documents ------------------------------------------------

ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:[a-z0-9-]+:([a-z0-9-]*|\*):(\d{12}|aws|\*)?:\S+$")
_ACCOUNT_PRINCIPAL = re.compile(
    r"^(\d{12}|arn:aws(-cn|-us-gov)?:(iam::\d{12}:(root|role/\S+|user/\S+)|sts::\d{12}:assumed-role/\S+))$"
)
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")
_FEDERATED_PRINCIPAL = re.compile(
    r"^(arn:aws(-cn|-us-gov)?:iam::\d{12}:(oidc-provider|saml-provider)/\S+|[a-z0-9.-]+\.amazonaws\.com)$"
)
_ACTION = re.compile(r"^([A-Za-z0-9-]+:[A-Za-z0-9*?]+|\*)$")
"""`service:Action`: "the service prefix and action name are case insensitive" (IAM User Guide,
IAM JSON policy elements: Action), so SNS's own default `SNS:Publish` is one too."""
POLICY_PROPS = {
    ROLE: "assumeRolePolicy",
    ROLE_POLICY: "policy",
    POLICY: "policy",
    KMS_KEY: "policy",
    BUCKET_POLICY: "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    TOPIC: "policy",
}
IAM_GRAMMAR = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"


def _strings(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def document_problems(document: Any) -> Iterator[str]:
    """What IAM's policy grammar refuses in a document: malformed ARNs, principals, actions."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            yield "policy is not JSON"
            return
    if not isinstance(document, dict):
        return
    if document.get("Version") != "2012-10-17":
        yield f"policy Version {document.get('Version')!r}: use 2012-10-17"
    for index, statement in enumerate(_strings(document.get("Statement"))):
        where = f"Statement[{index}]"
        if statement.get("Effect") not in ("Allow", "Deny"):
            yield f"{where}.Effect {statement.get('Effect')!r}: Allow or Deny"
        for key in ("Action", "NotAction"):
            for action in _strings(statement.get(key, [])):
                if isinstance(action, str) and not _ACTION.match(action):
                    yield f"{where}.{key} {action!r} is not service:Action"
        for key in ("Resource", "NotResource"):
            for resource in _strings(statement.get(key, [])):
                if isinstance(resource, str) and resource != "*" and not ARN.match(resource):
                    yield f"{where}.{key} {resource!r} is not an ARN"
        principal = statement.get("Principal")
        if principal is None or principal == "*":
            continue
        if not isinstance(principal, dict):
            yield f"{where}.Principal {principal!r}: * or an object of AWS/Service/Federated"
            continue
        shapes = {
            "AWS": _ACCOUNT_PRINCIPAL,
            "Service": _SERVICE_PRINCIPAL,
            "Federated": _FEDERATED_PRINCIPAL,
        }
        for kind, values in principal.items():
            pattern = shapes.get(kind)
            if pattern is None:
                yield f"{where}.Principal.{kind}: not a principal type"
                continue
            for value in _strings(values):
                if isinstance(value, str) and value != "*" and not pattern.match(value):
                    yield f"{where}.Principal.{kind} {value!r} is not a {kind} principal"


@rule("policy-document", list(POLICY_PROPS), IAM_GRAMMAR)
def _documents(r: Recorded, _: Stack) -> Iterator[str]:
    document = r.inputs.get(POLICY_PROPS[r.type])
    if document is not None:
        yield from document_problems(document)


@rule(
    "allowed-principals",
    [
        ENDPOINT_SERVICE,
        "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple",
    ],
    "https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html",
)
def _allowed_principals(r: Recorded, _: Stack) -> Iterator[str]:
    values = _strings(r.inputs.get("allowedPrincipals", r.inputs.get("principalArn")) or [])
    for value in values:
        if isinstance(value, str) and value != "*" and not _ACCOUNT_PRINCIPAL.match(value):
            yield f"allowed principal {value!r} is not an account, role or user ARN"


@rule(
    "managed-policy-arn",
    ["aws:iam/rolePolicyAttachment:RolePolicyAttachment"],
    IAM_GRAMMAR,
)
def _attachment_arn(r: Recorded, _: Stack) -> Iterator[str]:
    arn = r.inputs.get("policyArn")
    if isinstance(arn, str) and not re.match(
        r"^arn:aws(-cn|-us-gov)?:iam::(\d{12}|aws):policy/\S+$", arn
    ):
        yield f"policyArn {arn!r} is not an IAM policy ARN"


# ---- addresses and replacement order -------------------------------------------------------


@rule(
    "endpoint-addresses",
    [VPC_ENDPOINT],
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SubnetConfiguration.html",
)
def _endpoint_addresses(r: Recorded, stack: Stack) -> Iterator[str]:
    configs = r.inputs.get("subnetConfigurations") or []
    for config in configs:
        ip, subnet_id = config.get("ipv4"), config.get("subnetId")
        if not ip or subnet_id not in stack.subnets:
            continue
        network = ipaddress.ip_network(stack.subnets[subnet_id][1])
        address = ipaddress.ip_address(ip)
        if address not in network:
            yield f"{ip} is not in its subnet {network}"
            continue
        first_four = int(address) - int(network.network_address) < 4
        if first_four or address == network.broadcast_address:
            yield f"{ip} is one of the addresses AWS reserves in {network} (first four, last)"
    if any(c.get("ipv4") for c in configs) and not r.delete_before_replace:
        yield (
            "holds fixed IPs: a replacement created before the old endpoint is deleted cannot "
            "take them; it needs delete_before_replace"
        )


@rule(
    "listener-replacement",
    [LISTENER],
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-target-groups.html",
)
def _listener_replacement(r: Recorded, _: Stack) -> Iterator[str]:
    if not r.delete_before_replace:
        yield (
            "forwards to a target group that serves one load balancer only: when its NLB is "
            "replaced, the new listener cannot take the target group until the old one is "
            "deleted; it needs delete_before_replace"
        )


def check(
    records: Iterable[Recorded], subnet_az_ids: Mapping[str, str] | None = None
) -> list[Breach]:
    """Every breach of AWS's create-time rules in one stack's registrations."""
    stack = Stack(records, subnet_az_ids)
    found: list[Breach] = []
    for r in stack.records:
        for aws_rule in RULES:
            applies = r.type in aws_rule.types or (not aws_rule.types and r.type.startswith("aws:"))
            if applies:
                found += [
                    Breach(aws_rule.name, f"{r.type} {r.name}", message)
                    for message in aws_rule.check(r, stack)
                ]
    return found
