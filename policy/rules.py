"""The rules of the xacct CrossGuard pack, importable without starting a policy server.

Each rule is a row of shared/SECURITY-RULES.md: a name, an enforcement level, the type tokens it
applies to, its anchors (FSBP, AWSGuard, Checkov ids) and a check. Resource checks return
`Finding`s (property, bad value, fix); `resource_policy` turns them into messages that name the
resource, the property, the value and the fix. Stack checks get every resource with its property
dependencies, to follow wiring across resources (the NLB behind the endpoint service, ...).

Values unknown at preview: props come wrapped by the SDK's unknown-checking proxy, and reading an
unknown value raises `UnknownValueError`, which the SDK reports as "can't run policy ... during
preview" (advisory) instead of a violation. Checks read props directly and never swallow it;
stack checks report what they could evaluate, then re-raise the first unknown they met.
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
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

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
ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")
"""AWS managed policies that make their holder an administrator, or able to become one."""
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
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

# Config defaults: the schema declares them and the checks fall back to the same constants.
DEFAULT_MIN_RETENTION_DAYS = 30
DEFAULT_SUPPORTED_EKS_VERSIONS = ("1.31", "1.32", "1.33", "1.34")
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
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
_PRINCIPAL = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::(\d{12}):(root|role/[\w+=,.@/-]+)$")
WIDE_PORT_RANGE = 1024
"""Ingress to this many ports or more is "every port" for review purposes: each hop listens on
one port (the listener, the node port, the pods')."""
PUBLIC_INGRESS_ADDRESSES = 2**8
"""Internet (globally routed) addresses an ingress may admit together: a few named hosts, not a
provider's ranges (3.0.0.0/8 "the AWS addresses" is 16 million strangers)."""
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
_RESOURCE_CHECKS: dict[str, ResourceCheck] = {}
_STACK_CHECKS: dict[str, StackCheck] = {}


def resource_rule(
    name: str,
    level: EnforcementLevel,
    tokens: Sequence[str],
    anchors: str,
    description: str,
    config: dict[str, dict[str, Any]] | None = None,
) -> Callable[[ResourceCheck], ResourceCheck]:
    def register(check: ResourceCheck) -> ResourceCheck:
        RULES.append(Rule(name, description, level, tuple(tokens), anchors, False, config or {}))
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
        RULES.append(Rule(name, description, level, tuple(tokens), anchors, True))
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


def tls_minimum(policy: Any) -> str | None:
    """The lowest TLS version an ELB security policy negotiates ("1.2"), None if unknown."""
    name = str(policy or "")
    if name in TLS_MINIMUM_OF_OLDER_POLICIES:
        return TLS_MINIMUM_OF_OLDER_POLICIES[name]
    match = _NAMED_MINIMUM.match(name)
    return f"1.{match.group(1)}" if match else None


def _statements(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not document:
        return []
    return [s for s in _list(document.get("Statement")) if isinstance(s, Mapping)]


_ACCOUNT_OF = re.compile(r"^(?:arn:aws[\w-]*:(?:iam|sts)::)?(\d{12})(?::|$)")
NARROWING_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "kms:calleraccount",
    }
)
"""Condition keys that bind a `*` principal to a known account, organization, source or
network; any other condition (aws:SecureTransport, ...) leaves it open to everyone."""

TRUST_CONFIG = {
    "trustedAccounts": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Accounts whose principals may appear (the stack's own; the rollout "
        "sets it). Empty: every document names principals of one account only.",
    }
}


def _principals(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, value) of each principal of a statement: ("*", "*") for a bare `*`."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [("*", principal)]
    return [(str(kind), str(v)) for kind, values in principal.items() for v in _list(values)]


def _narrowed(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    keys = {str(k).lower() for block in condition.values() for k in (block or {})}
    return bool(keys & NARROWING_KEYS)


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


def _open_principals(
    document: Mapping[str, Any] | None, config: Config, where: str
) -> Iterator[Finding]:
    """What an Allow statement of a resource policy opens to strangers: `*` not bound by a
    narrowing condition, and principals of accounts the stack does not trust."""
    accounts: set[str] = set()
    for i, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        for kind, value in _principals(statement):
            if value == "*" and not _narrowed(statement):
                yield Finding(
                    f"{where}.Statement[{i}].Principal",
                    statement.get("Principal"),
                    "name the principals, or bind `*` to this account or source with a "
                    "condition (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, ...)",
                )
            elif kind == "AWS" and (account := _account(value)):
                accounts.add(account)
    foreign = _foreign(accounts, config)
    if foreign:
        yield Finding(
            f"{where}.Principal",
            foreign,
            "principals of accounts this stack does not trust: grant only its own account "
            "(or list the account in trustedAccounts on purpose)",
        )


# ---- endpoint service --------------------------------------------------------------------


@resource_rule(
    "endpoint-service-acceptance-required",
    M,
    [ENDPOINT_SERVICE],
    "CKV_AWS_123",
    "A VPC endpoint service requires manual acceptance of each connection.",
)
def _acceptance_required(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("acceptanceRequired") is not True:
        yield Finding(
            "acceptanceRequired",
            props.get("acceptanceRequired"),
            "set acceptance_required=True so every endpoint connection is accepted",
        )


PRINCIPALS_CONFIG = {
    "allowedAccounts": {
        "type": "array",
        "items": {"type": "string", "pattern": "^[0-9]{12}$"},
        "default": [],
        "description": "Accounts an endpoint service may allow (empty: any named account).",
    }
}


def _principal_findings(prop: str, principals: Any, config: Config) -> Iterator[Finding]:
    """`principals`: the list of allowedPrincipals, or the one principalArn."""
    allowed = set(config.get("allowedAccounts") or [])
    listed = _is_list(principals)
    for index, principal in enumerate(_list(principals)):
        where = f"{prop}[{index}]" if listed else prop
        if principal == "*":
            yield Finding(
                where,
                principal,
                "name the consumer accounts (arn:aws:iam::<account>:"
                "root) or roles: `*` lets any AWS account connect",
            )
            continue
        match = _PRINCIPAL.match(str(principal))
        if not match:
            yield Finding(
                where,
                principal,
                "use arn:aws:iam::<12-digit account>:root or a role ARN in that account",
            )
        elif allowed and match.group(2) not in allowed:
            yield Finding(
                where,
                principal,
                f"account {match.group(2)} is not in the pack's "
                f"allowedAccounts ({', '.join(sorted(allowed))})",
            )


@resource_rule(
    "endpoint-service-principals-specific",
    M,
    [ENDPOINT_SERVICE, ALLOWED_PRINCIPLE],
    "arch (AWS: `*` with auto-accept makes the NLB public in effect)",
    "Allowed principals are named accounts or roles (from the allowlist), never `*`.",
    config=PRINCIPALS_CONFIG,
)
def _principals_specific(token: str, props: Props, config: Config) -> Iterator[Finding]:
    if "principalArn" in props:
        yield from _principal_findings("principalArn", props["principalArn"], config)
    else:
        yield from _principal_findings("allowedPrincipals", props.get("allowedPrincipals"), config)


# ---- load balancers and listeners --------------------------------------------------------


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


# ---- interface endpoints and security groups ---------------------------------------------


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


# ---- API Gateway -------------------------------------------------------------------------


@resource_rule(
    "apigw-private-integration",
    M,
    [INTEGRATION, INTEGRATION_V2],
    "arch",
    "HTTP integrations go over a VPC link, to an https:// URI, verifying TLS.",
)
def _apigw_private_integration(token: str, props: Props, _: Config) -> Iterator[Finding]:
    kind = str(props.get("type") or props.get("integrationType") or "")
    if kind not in ("HTTP", "HTTP_PROXY"):
        return
    if props.get("connectionType") != "VPC_LINK":
        yield Finding(
            "connectionType",
            props.get("connectionType"),
            "use connection_type VPC_LINK: the backend is private",
        )
    if not props.get("connectionId"):
        yield Finding("connectionId", props.get("connectionId"), "set the VPC link's id")
    uri = props.get("uri") if "uri" in props else props.get("integrationUri")
    if token == INTEGRATION and not str(uri or "").startswith("https://"):
        yield Finding(
            "uri", uri, "call the backend with https://<TLS server name>/ so TLS runs end to end"
        )
    tls = props.get("tlsConfig") or {}
    if tls.get("insecureSkipVerification") is True:
        yield Finding(
            "tlsConfig.insecureSkipVerification",
            True,
            "verify the backend's certificate (remove insecure_skip_verification)",
        )


@resource_rule(
    "apigw-access-logging",
    M,
    [STAGE, STAGE_V2],
    "APIGateway.9, CKV_AWS_76",
    "Stages write access logs.",
)
def _apigw_access_logging(token: str, props: Props, _: Config) -> Iterator[Finding]:
    settings = props.get("accessLogSettings") or {}
    if not settings.get("destinationArn"):
        yield Finding(
            "accessLogSettings.destinationArn",
            settings.get("destinationArn"),
            "send access logs to a log group",
        )


@resource_rule(
    "apigw-execution-logging",
    M,
    [METHOD_SETTINGS],
    "APIGateway.1, CKV2_AWS_4, CKV_AWS_276",
    "Execution logging is ERROR or INFO, without request/response bodies.",
)
def _apigw_execution_logging(token: str, props: Props, _: Config) -> Iterator[Finding]:
    settings = props.get("settings") or {}
    if settings.get("loggingLevel") not in ("ERROR", "INFO"):
        yield Finding("settings.loggingLevel", settings.get("loggingLevel"), "set ERROR or INFO")
    if settings.get("dataTraceEnabled") is True:
        yield Finding(
            "settings.dataTraceEnabled",
            True,
            "turn data tracing off: it logs request and response bodies",
        )


@resource_rule(
    "apigw-domain-tls",
    M,
    [DOMAIN_NAME, "aws:apigatewayv2/domainName:DomainName"],
    "CKV_AWS_206",
    "Custom domains accept TLS 1.2 or newer only.",
)
def _apigw_domain_tls(token: str, props: Props, _: Config) -> Iterator[Finding]:
    policy = props.get("securityPolicy")
    if token != DOMAIN_NAME:
        policy = (props.get("domainNameConfiguration") or {}).get("securityPolicy")
    if policy is None or str(policy) == "TLS_1_0":
        yield Finding("securityPolicy", policy, "use TLS_1_2 (or a TLS 1.3 policy)")


@resource_rule(
    "apigw-xray", A, [STAGE], "APIGateway.3, CKV_AWS_73", "REST API stages trace with X-Ray."
)
def _apigw_xray(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("xrayTracingEnabled") is not True:
        yield Finding(
            "xrayTracingEnabled", props.get("xrayTracingEnabled"), "set xray_tracing_enabled=True"
        )


@resource_rule(
    "apigw-cache-encrypted",
    M,
    [METHOD_SETTINGS],
    "APIGateway.5, CKV_AWS_308",
    "A stage cache, when on, is encrypted.",
)
def _apigw_cache_encrypted(token: str, props: Props, _: Config) -> Iterator[Finding]:
    settings = props.get("settings") or {}
    if settings.get("cachingEnabled") is True and settings.get("cacheDataEncrypted") is not True:
        yield Finding(
            "settings.cacheDataEncrypted",
            settings.get("cacheDataEncrypted"),
            "encrypt cached responses (cache_data_encrypted=True)",
        )


@resource_rule(
    "apigw-authorization",
    M,
    [METHOD, ROUTE_V2],
    "APIGateway.8, CKV_AWS_59, CKV2_AWS_70",
    "Methods require authorization (IAM, an authorizer) or an API key.",
)
def _apigw_authorization(token: str, props: Props, _: Config) -> Iterator[Finding]:
    prop = "authorization" if "authorization" in props else "authorizationType"
    value = props.get(prop)
    if value in (None, "NONE") and props.get("apiKeyRequired") is not True:
        yield Finding(
            prop,
            value,
            "use AWS_IAM (xacct:apiAuthorization iam) or require an API "
            "key; NONE only with this rule's enforcement lowered on purpose",
        )


# ---- EKS ---------------------------------------------------------------------------------


def _eks_view(token: str, props: Props) -> tuple[Any, Any, Any, Any, Any]:
    """(public access, public CIDRs, secrets key, log types, version) of either cluster token."""
    if token == EKS_COMPONENT:
        return (
            props.get("endpointPublicAccess", True),
            props.get("publicAccessCidrs"),
            props.get("encryptionConfigKeyArn"),
            props.get("enabledClusterLogTypes"),
            props.get("version"),
        )
    vpc = props.get("vpcConfig") or {}
    key = None
    config = props.get("encryptionConfig") or {}
    if "secrets" in _list(config.get("resources")):
        key = (config.get("provider") or {}).get("keyArn")
    return (
        vpc.get("endpointPublicAccess", True),
        vpc.get("publicAccessCidrs"),
        key,
        props.get("enabledClusterLogTypes"),
        props.get("version"),
    )


EKS_TOKENS = (EKS_CLUSTER, EKS_COMPONENT)


@resource_rule(
    "eks-endpoint-restricted",
    M,
    EKS_TOKENS,
    "EKS.1, CKV_AWS_38/39",
    "The public API endpoint is off, or limited to named CIDRs covering at most a /8 together.",
)
def _eks_endpoint(token: str, props: Props, _: Config) -> Iterator[Finding]:
    public, cidrs, _key, _logs, _version = _eks_view(token, props)
    if public is False:
        return
    if not _list(cidrs):
        yield Finding(
            "publicAccessCidrs",
            cidrs,
            "list the CIDRs that may reach the public "
            "endpoint (EKS opens it to 0.0.0.0/0 otherwise), or turn it off",
        )
    why = _wide_open(_list(cidrs))
    if why:
        yield Finding("publicAccessCidrs", cidrs, f"these CIDRs {why}: name your runners' CIDRs")


@resource_rule(
    "eks-access-scoped",
    M,
    (*EKS_TOKENS, ACCESS_ENTRY),
    "arch, EKS access entries",
    "Cluster access goes through access entries (authentication mode API) for roles or users "
    "of this account, never an account root.",
    config=TRUST_CONFIG,
)
def _eks_access(token: str, props: Props, config: Config) -> Iterator[Finding]:
    if token == EKS_COMPONENT:
        mode = props.get("authenticationMode")
        entries = [e.get("principalArn") for e in (props.get("accessEntries") or {}).values()]
    elif token == EKS_CLUSTER:
        mode = (props.get("accessConfig") or {}).get("authenticationMode")
        entries = []
    else:
        mode, entries = "API", [props.get("principalArn")]
    if mode is not None and mode != "API":
        yield Finding("authenticationMode", mode, "use API: access entries, no aws-auth ConfigMap")
    for arn in (str(e) for e in entries if e):
        account = _account(arn)
        if arn.endswith(":root"):
            yield Finding("principalArn", arn, "name a role or user, not a whole account")
        elif account and _foreign({account}, config):
            yield Finding("principalArn", arn, "grant cluster access to this account only")


@resource_rule(
    "eks-nodes-private",
    M,
    (EKS_COMPONENT, NODE_GROUP, LAUNCH_TEMPLATE),
    "EC2.8, CKV_AWS_79/100",
    "Nodes get no public IP, no SSH open to the world, and IMDSv2 only.",
)
def _eks_nodes(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if token == EKS_COMPONENT and props.get("nodeAssociatePublicIpAddress") is True:
        yield Finding("nodeAssociatePublicIpAddress", True, "keep nodes on private addresses")
    if token == NODE_GROUP:
        remote = props.get("remoteAccess") or {}
        if remote and not _list(remote.get("sourceSecurityGroupIds")):
            yield Finding(
                "remoteAccess",
                remote,
                "no SSH to nodes (or from named security groups only: without them EKS opens "
                "port 22 to 0.0.0.0/0)",
            )
    if token == LAUNCH_TEMPLATE:
        metadata = props.get("metadataOptions") or {}
        if metadata.get("httpTokens") != "required":
            yield Finding(
                "metadataOptions.httpTokens", metadata.get("httpTokens"), "require IMDSv2"
            )


@resource_rule(
    "k8s-workload-private",
    M,
    (K8S_SERVICE, *K8S_WORKLOADS),
    "arch, Pod Security Standard restricted",
    "The workload is reached through the provider NLB only (no Service of type LoadBalancer), "
    "and its pods run unprivileged, off the host's network.",
)
def _k8s_workload(token: str, props: Props, _: Config) -> Iterator[Finding]:
    spec = props.get("spec") or {}
    if token == K8S_SERVICE:
        if spec.get("type") == "LoadBalancer":
            yield Finding(
                "spec.type",
                "LoadBalancer",
                "use NodePort or ClusterIP: a LoadBalancer Service makes an ELB outside "
                "PrivateLink",
            )
        return
    pod = spec if token.endswith(":Pod") else (spec.get("template") or {}).get("spec") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag) is True:
            yield Finding(f"spec.{flag}", True, "keep the pod off the node's namespaces")
    for container in _list(pod.get("containers")) + _list(pod.get("initContainers")):
        context = container.get("securityContext") or {}
        for flag in ("privileged", "allowPrivilegeEscalation"):
            if context.get(flag) is True:
                yield Finding(
                    f"containers[{container.get('name')}].securityContext.{flag}",
                    True,
                    "run the container unprivileged",
                )


@resource_rule(
    "eks-secrets-encryption",
    M,
    EKS_TOKENS,
    "EKS.3, CKV_AWS_58",
    "Kubernetes secrets are envelope-encrypted with a KMS key.",
)
def _eks_secrets(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if not _eks_view(token, props)[2]:
        yield Finding("encryptionConfig", None, "encrypt the `secrets` resource with a KMS key")


@resource_rule(
    "eks-audit-logging", M, EKS_TOKENS, "EKS.8, CKV_AWS_37", "The control plane writes audit logs."
)
def _eks_audit(token: str, props: Props, _: Config) -> Iterator[Finding]:
    types = _list(_eks_view(token, props)[3])
    if "audit" not in types:
        yield Finding("enabledClusterLogTypes", types, "add `audit`")


@resource_rule(
    "eks-all-control-plane-logs",
    A,
    EKS_TOKENS,
    "EKS.8",
    "The control plane writes all five log types.",
)
def _eks_all_logs(token: str, props: Props, _: Config) -> Iterator[Finding]:
    types = _list(_eks_view(token, props)[3])
    missing = [t for t in CONTROL_PLANE_LOG_TYPES if t not in types]
    if missing:
        yield Finding("enabledClusterLogTypes", types, f"add {', '.join(missing)}")


VERSIONS_CONFIG = {
    "supportedVersions": {
        "type": "array",
        "items": {"type": "string"},
        "default": list(DEFAULT_SUPPORTED_EKS_VERSIONS),
        "description": "Kubernetes versions in standard support.",
    }
}


@resource_rule(
    "eks-supported-version",
    A,
    EKS_TOKENS,
    "EKS.2, CKV_AWS_339",
    "The cluster runs a Kubernetes version in standard support.",
    config=VERSIONS_CONFIG,
)
def _eks_version(token: str, props: Props, config: Config) -> Iterator[Finding]:
    version = _eks_view(token, props)[4]
    supported = list(config.get("supportedVersions") or DEFAULT_SUPPORTED_EKS_VERSIONS)
    if version is not None and version not in supported:
        yield Finding("version", version, f"use one of {', '.join(supported)}")


# ---- logs, trail, IAM, KMS ---------------------------------------------------------------

RETENTION_CONFIG = {
    "minimumRetentionDays": {
        "type": "integer",
        "default": DEFAULT_MIN_RETENTION_DAYS,
        "description": "The least retention a log group may have.",
    }
}


@resource_rule(
    "log-group-retention",
    M,
    [LOG_GROUP],
    "CKV_AWS_66/338",
    "Log groups expire, after at least the configured minimum.",
    config=RETENTION_CONFIG,
)
def _log_retention(token: str, props: Props, config: Config) -> Iterator[Finding]:
    days = props.get("retentionInDays")
    minimum = int(config.get("minimumRetentionDays", DEFAULT_MIN_RETENTION_DAYS))
    if not days:
        yield Finding("retentionInDays", days, f"set a retention of at least {minimum} days")
    elif int(days) < minimum:
        yield Finding("retentionInDays", days, f"keep logs at least {minimum} days")


@resource_rule(
    "log-group-kms",
    M,
    [LOG_GROUP],
    "CKV_AWS_158",
    "Log groups are encrypted with a customer-managed KMS key.",
)
def _log_kms(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if not props.get("kmsKeyId"):
        yield Finding("kmsKeyId", None, "encrypt the log group with a KMS key")


@resource_rule(
    "cloudtrail-baseline",
    M,
    [TRAIL],
    "CloudTrail.1/2/4/5",
    "A trail, when created, is multi-region, validated, encrypted and sent to CloudWatch Logs.",
)
def _trail(token: str, props: Props, _: Config) -> Iterator[Finding]:
    wanted = {
        "isMultiRegionTrail": "set is_multi_region_trail=True",
        "enableLogFileValidation": "set enable_log_file_validation=True",
    }
    for prop, fix in wanted.items():
        if props.get(prop) is not True:
            yield Finding(prop, props.get(prop), fix)
    if not props.get("kmsKeyId"):
        yield Finding("kmsKeyId", None, "encrypt log files with a KMS key")
    if not props.get("cloudWatchLogsGroupArn"):
        yield Finding("cloudWatchLogsGroupArn", None, "deliver to a CloudWatch log group too")
    if props.get("enableLogging") is False:
        yield Finding("enableLogging", False, "keep the trail logging")
    for i, selector in enumerate(_list(props.get("eventSelectors"))):
        if selector.get("includeManagementEvents") is False:
            yield Finding(
                f"eventSelectors[{i}].includeManagementEvents", False, "record management events"
            )
        if selector.get("readWriteType", "All") != "All":
            yield Finding(
                f"eventSelectors[{i}].readWriteType",
                selector.get("readWriteType"),
                "record reads and writes (All)",
            )


def _admin_statements(document: Mapping[str, Any] | None) -> Iterator[str]:
    """What a document grants too widely: everything, a whole service, or all but a few."""
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _list(statement.get("Action"))]
        resources = [str(r) for r in _list(statement.get("Resource"))]
        everywhere = any(_everywhere(r) for r in resources) or statement.get("NotResource")
        if "*" in actions and everywhere:
            yield "Allow * on *"
        for action in actions:
            if action.endswith(":*"):
                yield f"Allow {action}"
        if statement.get("NotAction") is not None:
            yield f"Allow everything but {_show(statement.get('NotAction'))}"


def _everywhere(resource: str) -> bool:
    """`*`, or an ARN pattern whose service is a wildcard (arn:aws:*:*:<account>:*)."""
    parts = resource.split(":")
    return resource == "*" or (len(parts) > 2 and parts[0] == "arn" and "*" in parts[2])


ESCALATION_ACTIONS = frozenset(
    {
        "iam:passrole",
        "sts:assumerole",
        "iam:attachrolepolicy",
        "iam:attachuserpolicy",
        "iam:attachgrouppolicy",
        "iam:putrolepolicy",
        "iam:putuserpolicy",
        "iam:putgrouppolicy",
        "iam:createpolicyversion",
        "iam:setdefaultpolicyversion",
        "iam:updateassumerolepolicy",
        "iam:createaccesskey",
        "iam:createloginprofile",
        "iam:updateloginprofile",
        "iam:addusertogroup",
    }
)
"""Actions that let a principal grant itself more (the well-known IAM escalation paths)."""
DATA_READS = frozenset(
    {"kms:decrypt", "kms:reencryptfrom", "s3:getobject", "secretsmanager:getsecretvalue"}
)
"""Reads of any key, object or secret when granted on every resource (KMS.1/KMS.2)."""


def _escalations(document: Mapping[str, Any] | None) -> Iterator[str]:
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        resources = [str(r) for r in _list(statement.get("Resource"))]
        if not (statement.get("NotResource") or any(_everywhere(r) for r in resources)):
            continue
        for action in (str(a) for a in _list(statement.get("Action"))):
            lowered = action.lower()
            _, _, name = lowered.partition(":")
            if lowered in ESCALATION_ACTIONS or lowered in DATA_READS:
                yield f"Allow {action} on every resource"
            elif "*" in name and name != "*" and not name.startswith(("describe", "get", "list")):
                yield f"Allow {action} (a wildcard of writes) on every resource"


def _policy_documents(token: str, props: Props) -> list[tuple[str, Any]]:
    """(property, document) of each policy a resource writes: a policy's or an inline policy's
    own, a role's inline policies."""
    if token == IAM_POLICY or token in IAM_INLINE:
        return [("policy", props.get("policy"))]
    if token == IAM_ROLE:
        return [
            (f"inlinePolicies[{i}].policy", inline.get("policy"))
            for i, inline in enumerate(_list(props.get("inlinePolicies")))
        ]
    return []


def _admin_arn(arn: Any) -> bool:
    return any(str(arn).endswith(f":policy/{name}") for name in ADMIN_POLICIES)


@resource_rule(
    "iam-no-wildcard-admin",
    M,
    [IAM_POLICY, *IAM_INLINE, IAM_ROLE, *IAM_ATTACHMENTS, *IAM_EXCLUSIVE_ATTACHMENTS],
    "IAM.1/21, CKV_AWS_62/63/274",
    "No Allow * on *, no service:* actions, no Allow with NotAction, and no administrator "
    "policy, however it reaches a role, user or group (inline, attachment of any kind, "
    "managed list).",
)
def _iam_no_admin(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if token == IAM_ROLE:
        for arn in _list(props.get("managedPolicyArns")):
            if _admin_arn(arn):
                yield Finding("managedPolicyArns", arn, "grant the actions the role needs")
    if token in IAM_ATTACHMENTS and _admin_arn(props.get("policyArn", "")):
        yield Finding("policyArn", props.get("policyArn"), "grant the actions the principal needs")
    if token in IAM_EXCLUSIVE_ATTACHMENTS:
        for arn in _list(props.get("policyArns")):
            if _admin_arn(arn):
                yield Finding("policyArns", arn, "grant the actions the principal needs")
    for prop, text in _policy_documents(token, props):
        for grant in _admin_statements(_document(text)):
            yield Finding(prop, grant, "name the actions and resources the principal needs")


@resource_rule(
    "iam-no-privilege-escalation",
    M,
    [IAM_POLICY, *IAM_INLINE, IAM_ROLE],
    "IAM.1, KMS.1/2, CKV_AWS_107/108/110/111/286/287/288",
    "No action that lets a principal grant itself more (iam:PassRole, sts:AssumeRole, "
    "iam:Put*/Attach* policies, ...), and no read of every key, object or secret, on every "
    "resource.",
)
def _iam_escalation(token: str, props: Props, _: Config) -> Iterator[Finding]:
    for prop, text in _policy_documents(token, props):
        for grant in _escalations(_document(text)):
            yield Finding(prop, grant, "name the resources (roles, keys, buckets) it may act on")


@resource_rule(
    "iam-no-users",
    M,
    IAM_USERS,
    "IAM.2/IAM.3, CKV_AWS_273",
    "No IAM users, access keys or passwords: people and pipelines assume roles.",
)
def _iam_no_users(token: str, props: Props, _: Config) -> Iterator[Finding]:
    yield Finding("type", token.rsplit(":", 1)[1], "use a role (SSO, or OIDC for a pipeline)")


@resource_rule(
    "iam-trust-specific",
    M,
    [IAM_ROLE],
    "CKV_AWS_60/61/358",
    "Role trusts name services or federated identities bound to one subject; never `*`, and "
    "an account only when trustedAccounts lists it.",
    config=TRUST_CONFIG,
)
def _iam_trust(token: str, props: Props, config: Config) -> Iterator[Finding]:
    document = _document(props.get("assumeRolePolicy"))
    accounts: set[str] = set()
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        principals = _principals(statement)
        if any(value == "*" for _, value in principals):
            yield Finding(
                "assumeRolePolicy.Principal",
                statement.get("Principal"),
                "name the service, account or role that may assume it",
            )
        accounts |= {a for kind, v in principals if kind == "AWS" if (a := _account(v))}
        for kind, value in principals:
            if (
                kind == "Federated"
                and not value.endswith(".amazonaws.com")
                and ":saml-provider/" not in value
            ):
                yield from _federated_subject(statement, value)
    if _foreign(accounts, config) or (accounts and not _list(config.get("trustedAccounts"))):
        yield Finding(
            "assumeRolePolicy.Principal",
            sorted(accounts),
            "an account's principals may assume this role: trust a service or a federated "
            "identity, or list the account in trustedAccounts on purpose",
        )


def _federated_subject(statement: Mapping[str, Any], provider: str) -> Iterator[Finding]:
    """A web identity trust names its subject: the service account, the repository."""
    condition = statement.get("Condition") or {}
    subjects = [
        str(v)
        for operator, block in condition.items()
        # StringNotEquals on :sub would admit every other subject.
        if operator in ("StringEquals", "StringLike")
        for key, values in (block or {}).items()
        if str(key).endswith(":sub")
        for v in _list(values)
    ]
    # A wildcard may pick branches (repo:<org>/<repo>:ref:refs/heads/release-*), never
    # which repository, service account or environment the token belongs to.
    if not subjects or any(c in s.split(":ref:")[0] for s in subjects for c in "*?"):
        yield Finding(
            "assumeRolePolicy.Condition",
            subjects or None,
            f"bind {provider}'s tokens to one subject (...:sub: "
            "system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:ref:<ref>)",
        )


@resource_rule(
    "kms-key-policy-principals",
    M,
    [KMS_KEY, "aws:kms/keyPolicy:KeyPolicy", KMS_GRANT],
    "CKV_AWS_33",
    "A key policy (or grant) never opens the key to `*` without a condition that binds it to "
    "an account or source, nor to another account.",
    config=TRUST_CONFIG,
)
def _kms_principals(token: str, props: Props, config: Config) -> Iterator[Finding]:
    if token == KMS_GRANT:
        for prop in ("granteePrincipal", "retiringPrincipal"):
            account = _account(str(props.get(prop) or ""))
            if account and _foreign({account}, config):
                yield Finding(prop, props.get(prop), "grant the key to this stack's account only")
        return
    yield from _open_principals(_document(props.get("policy")), config, "policy")


@resource_rule(
    "resource-policy-principals",
    M,
    [BUCKET_POLICY, TOPIC_POLICY, SNS_TOPIC, REST_API_POLICY, REST_API],
    "S3.6, CKV_AWS_70/169/283",
    "Bucket, topic and API resource policies open nothing to `*` without a binding "
    "condition, nor to an account the stack does not trust.",
    config=TRUST_CONFIG,
)
def _resource_policy_principals(token: str, props: Props, config: Config) -> Iterator[Finding]:
    yield from _open_principals(_document(props.get("policy")), config, "policy")


@resource_rule(
    "kms-key-rotation",
    M,
    [KMS_KEY],
    "awsguard cmk-backing-key-rotation-enabled, CKV_AWS_7",
    "Symmetric customer-managed keys rotate.",
)
def _kms_rotation(token: str, props: Props, _: Config) -> Iterator[Finding]:
    spec = props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and props.get("enableKeyRotation") is not True:
        yield Finding(
            "enableKeyRotation", props.get("enableKeyRotation"), "set enable_key_rotation=True"
        )


@resource_rule(
    "sns-topic-encrypted",
    M,
    [SNS_TOPIC],
    "SNS.1, CKV_AWS_26",
    "Alarm topics are encrypted with KMS.",
)
def _sns_encrypted(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if not props.get("kmsMasterKeyId"):
        yield Finding("kmsMasterKeyId", None, "encrypt the topic with a KMS key")


# ---- stack rules -------------------------------------------------------------------------


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


@stack_rule(
    "endpoint-service-nlb-internal",
    M,
    [ENDPOINT_SERVICE],
    "arch",
    "The load balancers behind an endpoint service are internal NLBs of the stack.",
)
def _service_nlb_internal(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    for service in _of(resources, ENDPOINT_SERVICE):
        yield from _unseen(service, "networkLoadBalancerArns", "a load balancer")
        for lb in _deps(service, "networkLoadBalancerArns"):
            if (
                lb.props.get("internal") is not True
                or lb.props.get("loadBalancerType") != "network"
            ):
                yield (
                    service,
                    (
                        f"{ENDPOINT_SERVICE} '{service.name}': networkLoadBalancerArns "
                        f"includes {lb.resource_type} '{lb.name}' with "
                        f"internal={lb.props.get('internal')!r}, "
                        f"loadBalancerType={lb.props.get('loadBalancerType')!r}; publish only an "
                        "internal network load balancer"
                    ),
                )


@stack_rule(
    "apigw-vpclink-internal-nlb",
    M,
    [VPC_LINK, INTEGRATION],
    "arch",
    "A VPC link (v1 target, or a v2 integration's target) is an internal load balancer of the "
    "stack.",
)
def _vpclink_internal(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    pairs = [(r, "targetArn") for r in _of(resources, VPC_LINK)]
    for link in _of(resources, VPC_LINK):
        yield from _unseen(link, "targetArn", "a load balancer")
    pairs += [(r, "integrationTarget") for r in _of(resources, INTEGRATION)]
    for owner, prop in pairs:
        for lb in _deps(owner, prop):
            if lb.resource_type in LB and lb.props.get("internal") is not True:
                yield (
                    owner,
                    (
                        f"{owner.resource_type} '{owner.name}': {prop} is {lb.resource_type} "
                        f"'{lb.name}' with internal={lb.props.get('internal')!r}; target an "
                        "internal load balancer"
                    ),
                )


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
        inline = _list(sg.props.get("ingress")) + _list(sg.props.get("egress"))
        standalone = _rules_of(resources, sg)
        if inline and standalone:
            names = ", ".join(f"'{r.name}'" for r in standalone)
            yield (
                sg,
                (
                    f"{SG} '{sg.name}': has {len(inline)} inline rule(s) and separate rules "
                    f"{names}; manage its rules one way (separate rules), or each update undoes "
                    "the other"
                ),
            )


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


def _denies_insecure_transport(policy: PolicyResource) -> bool:
    for statement in _statements(_document(policy.props.get("policy"))):
        condition = statement.get("Condition") or {}
        insecure = str((condition.get("Bool") or {}).get("aws:SecureTransport", "")).lower()
        anyone = statement.get("Principal") in ("*", {"AWS": "*"})
        every_action = {str(a) for a in _list(statement.get("Action"))} & {"s3:*", "*"}
        resources = [str(r) for r in _list(statement.get("Resource"))]
        # The bucket (List*, its settings) and its objects (Get/PutObject): a deny for one of
        # them leaves the other readable over plain HTTP.
        both = "*" in resources or (
            any(r.endswith("/*") for r in resources) and any("/" not in r for r in resources)
        )
        denied = statement.get("Effect") == "Deny" and anyone and insecure == "false"
        if denied and every_action and both:
            return True
    return False


@stack_rule(
    "s3-tls-only",
    M,
    [*BUCKETS, BUCKET_POLICY],
    "S3.5, CKV_AWS_379",
    "Every bucket's policy denies every request (s3:* on the bucket and its objects) that does "
    "not use TLS.",
)
def _s3_tls_only(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    for bucket in _of(resources, *BUCKETS):
        policies = [p for p in _of(resources, BUCKET_POLICY) if bucket in _deps(p, "bucket")]
        if not any(_denies_insecure_transport(p) for p in policies):
            yield (
                bucket,
                (
                    f"{bucket.resource_type} '{bucket.name}': no bucket policy denies "
                    "aws:SecureTransport false; add a Deny for Principal * on the bucket and "
                    "its objects when the request does not use TLS"
                ),
            )


PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


@stack_rule(
    "s3-public-access-blocked",
    M,
    [*BUCKETS, PUBLIC_ACCESS_BLOCK],
    "S3.8, CKV_AWS_53/54/55/56",
    "Every bucket has a public access block with all four settings on.",
)
def _s3_public_access(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    for bucket in _of(resources, *BUCKETS):
        blocks = [b for b in _of(resources, PUBLIC_ACCESS_BLOCK) if bucket in _deps(b, "bucket")]
        complete = any(all(b.props.get(f) is True for f in PUBLIC_ACCESS_FLAGS) for b in blocks)
        if not complete:
            yield (
                bucket,
                (
                    f"{bucket.resource_type} '{bucket.name}': no public access block with "
                    f"{', '.join(PUBLIC_ACCESS_FLAGS)} all true; add one"
                ),
            )


@stack_rule(
    "default-sg-closed",
    M,
    [VPC, DEFAULT_SG],
    "EC2.2, CKV2_AWS_12",
    "Every VPC the stack creates has its default security group closed (no rules).",
)
def _default_sg_closed(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    closers: dict[int, list[PolicyResource]] = {}
    for default in _of(resources, DEFAULT_SG):
        rules = _list(default.props.get("ingress")) + _list(default.props.get("egress"))
        if rules:
            yield (
                default,
                (
                    f"{DEFAULT_SG} '{default.name}': has {len(rules)} rule(s); the default "
                    "security group admits and sends nothing: remove them"
                ),
            )
        for vpc in _deps(default, "vpcId"):
            closers.setdefault(id(vpc), []).append(default)
    for vpc in _of(resources, VPC):
        if id(vpc) not in closers:
            yield (
                vpc,
                (
                    f"{VPC} '{vpc.name}': its default security group keeps AWS's rules; manage "
                    "it with an aws.ec2.DefaultSecurityGroup without rules"
                ),
            )


def _subnets_of_the_path(resources: list[PolicyResource]) -> set[int]:
    """The subnets load balancers, endpoints, the cluster and its nodes sit in."""
    holders = [
        (LB, "subnets"),
        ((VPC_ENDPOINT,), "subnetIds"),
        ((NODE_GROUP,), "subnetIds"),
        ((EKS_COMPONENT,), "privateSubnetIds"),
        ((EKS_COMPONENT,), "subnetIds"),
    ]
    found: set[int] = set()
    for tokens, prop in holders:
        for holder in _of(resources, *tokens):
            found |= {id(s) for s in _deps(holder, prop)}
    return found


@stack_rule(
    "no-internet-path",
    M,
    [*INTERNET_PATHS, ROUTE],
    "arch",
    "The consumer has no way to the internet (no gateway, NAT, address or peering); the "
    "provider's internet route serves only its NAT's public subnets, never the subnets of the "
    "path; neither side peers with another VPC.",
)
def _no_internet_path(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    if _of(resources, CONSUMER_SIDE):
        for found in _of(resources, *INTERNET_PATHS):
            yield (
                found,
                (
                    f"{found.resource_type} '{found.name}': the consumer side reaches the "
                    "provider over PrivateLink only; remove this way out of its VPC"
                ),
            )
        return
    path = _subnets_of_the_path(resources)
    tables: dict[int, list[PolicyResource]] = {}
    for association in _of(resources, ROUTE_TABLE_ASSOCIATION):
        for table in _deps(association, "routeTableId"):
            tables.setdefault(id(table), []).extend(_deps(association, "subnetId"))
    for route in _of(resources, ROUTE):
        if not any(g.resource_type == INTERNET_GATEWAY for g in _deps(route, "gatewayId")):
            continue
        for table in _deps(route, "routeTableId"):
            exposed = [s for s in tables.get(id(table), []) if id(s) in path]
            if exposed:
                names = ", ".join(f"'{s.name}'" for s in exposed)
                yield (
                    route,
                    (
                        f"{ROUTE} '{route.name}': routes the path's subnets {names} to an "
                        "internet gateway; only the NAT's public subnets may route there"
                    ),
                )
    for peering in _of(resources, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"):
        yield (
            peering,
            (
                f"{peering.resource_type} '{peering.name}': PrivateLink is the only way between "
                "the accounts; remove the peering"
            ),
        )


def _throttled(settings: PolicyResource) -> bool:
    """Both limits set and positive: -1 (or unset) lifts them to the account's."""
    values = settings.props.get("settings") or {}
    limits = [values.get("throttlingRateLimit"), values.get("throttlingBurstLimit")]
    return all(isinstance(v, (int, float)) and v > 0 for v in limits)


@stack_rule(
    "apigw-stage-method-settings",
    M,
    [STAGE, METHOD_SETTINGS],
    "APIGateway.1",
    "Every REST API stage has method settings for all methods (*/*): its execution logs and "
    "a throttle (positive rate and burst limits).",
)
def _apigw_stage_settings(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    covered = {
        id(stage)
        for settings in _of(resources, METHOD_SETTINGS)
        if settings.props.get("methodPath") == "*/*" and _throttled(settings)
        for stage in _deps(settings, "stageName")
    }
    for stage in _of(resources, STAGE):
        if id(stage) not in covered:
            yield (
                stage,
                (
                    f"{STAGE} '{stage.name}': no aws.apigateway.MethodSettings with method_path "
                    "*/* and positive throttling limits for it; set its logging level and "
                    "throttling"
                ),
            )


@stack_rule(
    "apigw-waf",
    A,
    [STAGE, WAF_ASSOCIATION],
    "APIGateway.4, CKV2_AWS_29",
    "A WAF web ACL is associated with each REST API stage.",
)
def _apigw_waf(resources: list[PolicyResource], _: Config) -> Iterator[tuple[PolicyResource, str]]:
    protected = {id(s) for a in _of(resources, WAF_ASSOCIATION) for s in _deps(a, "resourceArn")}
    for stage in _of(resources, STAGE):
        if id(stage) not in protected:
            yield (
                stage,
                (
                    f"{STAGE} '{stage.name}': has no aws.wafv2.WebAclAssociation; associate a "
                    "regional web ACL with the stage"
                ),
            )


# ---- building the policies ---------------------------------------------------------------


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    check = _RESOURCE_CHECKS[rule.name]

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.tokens:
            return
        if args.resource_type == EKS_COMPONENT and len(args.props) == 0:
            return  # the engine gives components no props: their aws:eks/cluster child is checked
        for finding in check(args.resource_type, args.props, args.get_config() or {}):
            report_violation(finding.message(args.resource_type, args.name), args.urn)

    return ResourceValidationPolicy(
        name=rule.name,
        description=f"{rule.description} [{rule.anchors}]",
        validate=validate,
        enforcement_level=rule.level,
        config_schema=PolicyConfigSchema(properties=rule.config) if rule.config else None,
    )


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    check = _STACK_CHECKS[rule.name]

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        unknown: UnknownValueError | None = None
        found = check(list(args.resources), args.get_config() or {})
        while True:
            try:
                resource, message = next(found)  # type: ignore[call-overload]
            except StopIteration:
                break
            except UnknownValueError as error:
                unknown = unknown or error  # a value not known at preview: say so below
                break
            report_violation(message, resource.urn)
        if unknown is not None:
            raise unknown

    return StackValidationPolicy(
        name=rule.name,
        description=f"{rule.description} [{rule.anchors}]",
        validate=validate,
        enforcement_level=rule.level,
    )


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [_stack_policy(r) if r.stack else _resource_policy(r) for r in RULES]


def rule(name: str) -> Rule:
    return next(r for r in RULES if r.name == name)


ADVISORY_BECAUSE = {
    "lb-deletion-protection": "the provider's NLB is protected with its endpoint service; the "
    "consumer's has nothing outside its stack depending on it (README: choices a scanner flags)",
    "lb-access-logs": "NLBs log TLS listeners only (the consumer's is TCP), into a bucket whose "
    "policy lets log delivery write: an option a baseline may add (ELB.5 is about ALBs)",
    "lb-multi-az": "both NLBs span two AZs or more with cross-zone on; a single-AZ test stack "
    "is a deliberate choice",
    "nlb-security-groups": "how to treat PrivateLink traffic is a design choice (README: NLB "
    "security groups); the rule asks that it be made explicitly",
    "sg-rule-description": "a missing description weakens review, not access",
    "apigw-xray": "tracing is observability, not protection (APIGateway.3 is LOW)",
    "eks-all-control-plane-logs": "audit logs are mandatory (eks-audit-logging); the other "
    "four are diagnostics",
    "eks-supported-version": "the program asks EKS for the versions it offers; extended "
    "support is allowed, at its price",
    "apigw-waf": "a WAF belongs on public stages with untrusted callers; IAM-authenticated "
    "APIs may go without (APIGateway.4 is MEDIUM)",
}
"""Why each advisory rule warns rather than refuses (the rules table prints it)."""


def rules_table() -> str:
    """The README's table of rules (a test keeps the README in step with it)."""
    lines = [
        "| rule | applies to | level | what must hold | sources | advisory because |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULES:
        tokens = ", ".join(f"`{t.split(':')[1] if t.startswith('aws:') else t}`" for t in r.tokens)
        kind = " (stack)" if r.stack else ""
        level = "M" if r.level == M else "A"
        why = ADVISORY_BECAUSE.get(r.name, "") if r.level != M else ""
        lines.append(
            f"| `{r.name}`{kind} | {tokens} | {level} | {r.description} | {r.anchors} | {why} |"
        )
    return "\n".join(lines)
