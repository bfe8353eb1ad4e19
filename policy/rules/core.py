"""What every area of the pack shares: the rule registry (`Rule`, `resource_rule`,
`stack_rule`, `RULES`), `Finding` and its message (`SET_BY`), the resource type tokens, and the
small readers of props, policy documents, principals and stack wiring the areas use.

Area modules import from here only, never from one another: importing an area registers its
rules, so an area imported by another would register them out of the pack's order.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
)

M = EnforcementLevel.MANDATORY
A = EnforcementLevel.ADVISORY

LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
ENDPOINT_SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
ALLOWED_PRINCIPLE = "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_TOKENS = (SG, SG_RULE, SG_INGRESS)
INTEGRATION = "aws:apigateway/integration:Integration"
INTEGRATION_V2 = "aws:apigatewayv2/integration:Integration"
VPC_LINK = "aws:apigateway/vpcLink:VpcLink"
STAGE = "aws:apigateway/stage:Stage"
STAGE_V2 = "aws:apigatewayv2/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
METHOD = "aws:apigateway/method:Method"
ROUTE_V2 = "aws:apigatewayv2/route:Route"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_COMPONENT = "eks:index:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TRAIL = "aws:cloudtrail/trail:Trail"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_ROLE = "aws:iam/role:Role"
IAM_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_ATTACHMENTS = (
    IAM_ATTACHMENT,
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
IAM_EXCLUSIVE_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
IAM_INLINE = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
CLASSIC_ELB = "aws:elb/loadBalancer:LoadBalancer"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
INTERNET_PATHS = (
    INTERNET_GATEWAY,
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
)
CONSUMER_SIDE = "xacct:consumer:ConsumerSide"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
KMS_GRANT = "aws:kms/grant:Grant"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
REST_API = "aws:apigateway/restApi:RestApi"
REST_API_POLICY = "aws:apigateway/restApiPolicy:RestApiPolicy"
DOMAIN_NAME = "aws:apigateway/domainName:DomainName"
IAM_USERS = (
    "aws:iam/user:User",
    "aws:iam/accessKey:AccessKey",
    "aws:iam/userLoginProfile:UserLoginProfile",
)
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:core/v1:Pod",
)
KMS_KEY = "aws:kms/key:Key"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SNS_TOPIC = "aws:sns/topic:Topic"

WIDE_OPEN_ADDRESSES = 2**24
"""More IPv4 addresses than this, together, is the internet (whole or in pieces), not a list
of networks someone named (the stack config's bound for the EKS endpoint too)."""


SET_BY: dict[tuple[str, str], str] = {
    ("eks:index:Cluster", "publicAccessCidrs"): "xacct:clusterPublicAccessCidrs",
    ("eks:index:Cluster", "endpointPublicAccess"): "xacct:clusterPublicAccessCidrs",
    ("aws:eks/cluster:Cluster", "publicAccessCidrs"): "xacct:clusterPublicAccessCidrs",
    ("aws:eks/cluster:Cluster", "version"): "xacct:kubernetesVersion",
    ("eks:index:Cluster", "principalArn"): "xacct:clusterAdminArns",
    ("aws:eks/accessEntry:AccessEntry", "principalArn"): "xacct:clusterAdminArns",
    ("aws:ec2/vpcEndpointService:VpcEndpointService", "allowedPrincipals"): (
        "xacct:consumerAccountIds, xacct:consumerRoleArns"
    ),
    ("aws:cloudwatch/logGroup:LogGroup", "retentionInDays"): "xacct:logRetentionDays",
    ("aws:apigateway/method:Method", "authorization"): "xacct:apiAuthorization",
    ("aws:lb/listener:Listener", "protocol"): "xacct:tlsMode",
    ("aws:lb/listener:Listener", "sslPolicy"): "xacct:tlsPolicy",
}
"""(resource type, property) → the stack setting this program derives it from, so a refusal
names what to change in the stack file, not only the resource property."""


@dataclass(frozen=True)
class Finding:
    """One bad property: where, what it is, and how to fix it."""

    prop: str
    value: Any
    fix: str

    def message(self, token: str, name: str) -> str:
        key = SET_BY.get((token, self.prop.split("[")[0]))
        where = f" (this program sets it from {key})" if key else ""
        return f"{token} '{name}': {self.prop} is {_show(self.value)}{where}; {self.fix}"


def _show(value: Any) -> str:
    return "not set" if value is None else repr(_plain(value))


def _is_list(value: Any) -> bool:
    """A list, tuple, or the SDK's list proxy (a Sequence), but not a string."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _plain(value: Any) -> Any:
    """The proxy's containers shown as plain lists/dicts."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if _is_list(value):
        return [_plain(v) for v in value]
    return value


Props = Mapping[str, Any]
Config = Mapping[str, Any]
ResourceCheck = Callable[[str, Props, Config], Iterable[Finding]]
"""(type token, props, the rule's config) → findings."""
StackCheck = Callable[[list[PolicyResource], Config], Iterable[tuple[PolicyResource, str]]]


@dataclass(frozen=True)
class Rule:
    """A row of the rules table: the metadata that docs and tests read."""

    name: str
    description: str
    level: EnforcementLevel
    tokens: tuple[str, ...]
    anchors: str
    stack: bool = False
    config: dict[str, dict[str, Any]] = field(default_factory=dict)


RULES: list[Rule] = []
"""The resource rules, then the stack rules, each in the order they register: the order of the
area modules in `policy/rules/__init__.py`, then of each file. The README's table is this list."""
_RESOURCE_CHECKS: dict[str, ResourceCheck] = {}
_STACK_CHECKS: dict[str, StackCheck] = {}


def area_of(rule_name: str) -> str:
    """The module of policy/rules/ a rule's check lives in ("iam", "network", ...)."""
    check = _RESOURCE_CHECKS.get(rule_name) or _STACK_CHECKS[rule_name]
    return check.__module__.rsplit(".", 1)[1]


def _register(rule: Rule) -> None:
    """Append a stack rule; insert a resource rule after the last resource rule."""
    if rule.stack:
        RULES.append(rule)
    else:
        RULES.insert(sum(not r.stack for r in RULES), rule)


def resource_rule(
    name: str,
    level: EnforcementLevel,
    tokens: Sequence[str],
    anchors: str,
    description: str,
    config: dict[str, dict[str, Any]] | None = None,
) -> Callable[[ResourceCheck], ResourceCheck]:
    def register(check: ResourceCheck) -> ResourceCheck:
        _register(Rule(name, description, level, tuple(tokens), anchors, False, config or {}))
        _RESOURCE_CHECKS[name] = check
        return check

    return register


def stack_rule(
    name: str,
    level: EnforcementLevel,
    tokens: Sequence[str],
    anchors: str,
    description: str,
) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        _register(Rule(name, description, level, tuple(tokens), anchors, True))
        _STACK_CHECKS[name] = check
        return check

    return register


# ---- small readers -----------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if _is_list(value):
        return list(value)
    return [value]


def _document(value: Any) -> Mapping[str, Any] | None:
    """An IAM policy document given as JSON text or as an object."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return value
    try:
        parsed = json.loads(str(value))
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, Mapping) else None


def _coverage(cidrs: Sequence[Any]) -> int | None:
    """How many IPv4 addresses the CIDRs cover together (overlaps once); None if one is not a
    CIDR. An IPv6 block counts as the whole IPv4 internet: no runner or peer is named by it."""
    networks: list[ipaddress.IPv4Network] = []
    total = 0
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            return None
        if isinstance(network, ipaddress.IPv6Network):
            total = 2**32
        else:
            networks.append(network)
    return max(total, sum(n.num_addresses for n in ipaddress.collapse_addresses(networks)))


def _wide_open(cidrs: Sequence[Any]) -> str | None:
    """Why these CIDRs together are the internet, or None."""
    covered = _coverage(cidrs)
    if covered is None:
        return "are not all CIDR blocks"
    if covered > WIDE_OPEN_ADDRESSES:
        return (
            f"together cover {covered:,} addresses (more than a /8: the internet, whole or "
            "in pieces)"
        )
    return None


def _statements(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not document:
        return []
    return [s for s in _list(document.get("Statement")) if isinstance(s, Mapping)]


_ACCOUNT_OF = re.compile(r"^(?:arn:aws[\w-]*:(?:iam|sts)::)?(\d{12})(?::|$)")

TRUST_CONFIG = {
    "trustedAccounts": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Accounts whose principals may appear (the stack's own; the rollout "
        "sets it). Empty: every document names principals of one account only.",
    }
}


def _account(principal: str) -> str | None:
    match = _ACCOUNT_OF.match(principal)
    return match.group(1) if match else None


def _foreign(accounts: set[str], config: Config) -> list[str]:
    """The accounts among `accounts` that are not trusted: outside `trustedAccounts` when the
    rollout set it, or all of them when one document names several accounts."""
    trusted = {str(a) for a in _list(config.get("trustedAccounts"))}
    if trusted:
        return sorted(accounts - trusted)
    return sorted(accounts) if len(accounts) > 1 else []


# ---- the wiring stack rules follow -------------------------------------------------------


def _deps(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    return list((resource.property_dependencies or {}).get(prop, []))


def _of(resources: Iterable[PolicyResource], *tokens: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in tokens]


def _unseen(owner: PolicyResource, prop: str, what: str) -> Iterator[tuple[PolicyResource, str]]:
    """A reference the stack rules cannot follow: a literal id or ARN instead of a resource of
    this stack. Read only when nothing of the stack flows in (then the value is known)."""
    if _deps(owner, prop) or not _list(owner.props.get(prop)):
        return
    yield (
        owner,
        (
            f"{owner.resource_type} '{owner.name}': {prop} is {_show(owner.props.get(prop))}, "
            f"not {what} of this stack, so the gate cannot judge it; use one the stack creates"
        ),
    )
