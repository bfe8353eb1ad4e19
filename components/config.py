"""Settings: the only module that reads Pulumi config, and where every value is validated.

`load_settings()` reads the `xacct:*` keys, checks all of them, and either returns a frozen
settings object or raises one `ConfigError` that lists every bad key, its value and what is
expected. It runs before any resource is registered, so a typo never leaves half a stack behind.

The parsing half (`parse_settings`) takes a plain mapping of key to raw string, as `pulumi config`
stores it, so the rules are tested without a Pulumi engine.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from components.aws_limits import (
    API_GATEWAY_PORTS,
    LOG_RETENTION_DAYS,
    NAME_PREFIX_MAX,
    api_gateway_port,
)
from components.errors import StackError

NAMESPACE = "xacct"
PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"

Role = Literal["provider", "consumer"]
NodeEgress = Literal["nat", "vpc-endpoints"]
TlsMode = Literal["tls", "passthrough"]
ApiAuthorization = Literal["iam", "api-key", "none"]
VpcLinkVersion = Literal["v2", "v1"]

# Keys each role reads. Pulumi.yaml declares exactly these (a test checks it).
COMMON_KEYS = (
    "role",
    "name",
    "vpcCidr",
    "azCount",
    "existingVpcId",
    "existingSubnetIds",
    "logRetentionDays",
    "monitoring",
    "alarmEmail",
    "alarmHttpsEndpoint",
    "alarmEvaluationPeriods",
    "alarmResetsPerPeriod",
)
PROVIDER_ONLY_KEYS = (
    "nodeEgress",
    "consumerAccountIds",
    "consumerRoleArns",
    "consumerStacks",
    "clusterName",
    "kubernetesVersion",
    "clusterPublicAccessCidrs",
    "clusterAdminArns",
    "nodeInstanceType",
    "nodeCount",
    "existingClusterName",
    "existingNodeAsgNames",
    "existingNodeSecurityGroupId",
    "deployWorkload",
    "workloadImage",
    "workloadPort",
    "workloadReplicas",
    "workloadNamespace",
    "nodePort",
    "listenerPort",
    "tlsMode",
    "tlsServerName",
    "certificateArn",
    "route53ZoneId",
    "tlsPolicy",
    "createCloudTrail",
    "protectEndpointService",
    "targetMode",
    "installLbController",
    "lbControllerChartVersion",
    "lbControllerIdentity",
)
CONSUMER_ONLY_KEYS = (
    "providerStack",
    "vpcLinkVersion",
    "apiAuthorization",
    "manageApiGatewayAccount",
    "stageName",
    "throttleRateLimit",
    "throttleBurstLimit",
    "endpointHostNumber",
    "endpointIps",
    "alarm5xxPercent",
    "alarm4xxPercent",
    "alarmLatencyP99Ms",
)
ALL_KEYS = COMMON_KEYS + PROVIDER_ONLY_KEYS + CONSUMER_ONLY_KEYS

# NLB TLS policies that allow TLS 1.2 and 1.3 only (ELB.17).
TLS_POLICIES = frozenset(
    {
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    }
)
ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$")
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SG_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
NAME_MAX_LENGTH = NAME_PREFIX_MAX
"""The longest xacct:name: what leaves room in ELB's 32 characters for the longest load balancer
name and Pulumi's autoname suffix (components/aws_limits.py). The AWS create-time rules
(xacct_ops/aws_rules.py) check every autonamed resource with a name this long."""
_NAME = re.compile(rf"^[a-z][a-z0-9-]{{1,{NAME_MAX_LENGTH - 2}}}[a-z0-9]$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_K8S_VERSION = re.compile(r"^1\.\d{2}$")
HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERT_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$")
_IMAGE = re.compile(r"^[a-z0-9][\w.\-/:@]*$")
_K8S_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_ASG_NAME = re.compile(r"^[\w.:/@+=,-]{1,255}$")
_STAGE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_CHART_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_HTTPS_URL = re.compile(r"^https://[^\s/]+(/\S*)?$")


# The pulumi-aws provider's config keys (pulumi_aws/config/vars.py; a test keeps this in sync).
AWS_PROVIDER_KEYS = frozenset(
    {
        "accessKey",
        "allowedAccountIds",
        "assumeRoleWithWebIdentity",
        "assumeRoles",
        "customCaBundle",
        "defaultTags",
        "ec2MetadataServiceEndpoint",
        "ec2MetadataServiceEndpointMode",
        "endpoints",
        "forbiddenAccountIds",
        "httpProxy",
        "httpsProxy",
        "ignoreTags",
        "insecure",
        "maxRetries",
        "noProxy",
        "profile",
        "region",
        "retryMode",
        "s3UsEast1RegionalEndpoint",
        "s3UsePathStyle",
        "secretKey",
        "sharedConfigFiles",
        "sharedCredentialsFiles",
        "skipCredentialsValidation",
        "skipMetadataApiCheck",
        "skipRegionValidation",
        "skipRequestingAccountId",
        "stsRegion",
        "tagPolicyCompliance",
        "token",
        "tokenBucketRateLimiterCapacity",
        "useDualstackEndpoint",
        "useFipsEndpoint",
        "userAgents",
    }
)
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
"""An AWS region name (us-east-1, ap-southeast-2, us-gov-west-1)."""
_PROFILE = re.compile(r"^[\w.@+=,-]{1,64}$")
_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/")


class ConfigError(StackError):
    """One or more config values are invalid; the message lists each with what is expected."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid stack configuration:\n  - " + "\n  - ".join(self.problems))


@dataclass(frozen=True, kw_only=True)
class AwsSettings:
    """Where and as whom the stack deploys, from its `aws:*` config (None: the environment's)."""

    region: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    """The role `aws:assumeRoles` assumes (the last of the chain)."""


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """Create a VPC (vpc_cidr, az_count) or use an existing one (existing_vpc_id, subnets)."""

    vpc_cidr: str
    az_count: int
    existing_vpc_id: str | None = None
    existing_subnet_ids: tuple[str, ...] = ()
    node_egress: NodeEgress | None = None
    """Provider only: how nodes reach ECR, EKS and STS. None on the consumer (no egress at all)."""

    @property
    def create(self) -> bool:
        return self.existing_vpc_id is None


@dataclass(frozen=True, kw_only=True)
class ClusterSettings:
    """Create an EKS cluster, or use an existing one by name (with its nodes' ASGs and SG)."""

    name: str
    existing: bool
    version: str = ""
    public_access_cidrs: tuple[str, ...] = ()
    """Empty: private endpoint only (whoever runs `pulumi up` must be inside the VPC)."""
    admin_arns: tuple[str, ...] = ()
    node_instance_type: str = ""
    node_count: int = 0
    existing_node_asg_names: tuple[str, ...] = ()
    existing_node_security_group_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class WorkloadSettings:
    deploy: bool
    node_port: int
    sample: bool = False
    """The default image: configured to answer every path (see Workload)."""
    image: str = ""
    port: int = 0
    replicas: int = 0
    namespace: str = ""


@dataclass(frozen=True, kw_only=True)
class TargetSettings:
    """How the provider NLB reaches the pods: node port on the nodes, or pod IPs."""

    mode: Literal["instance", "ip"]
    install_controller: bool = False
    chart_version: str = ""
    identity: Literal["irsa", "pod-identity"] = "irsa"


@dataclass(frozen=True, kw_only=True)
class ListenerSettings:
    server_name: str
    """The name the consumer calls; the certificate (NLB's or the workload's) must match it."""
    port: int
    tls_mode: TlsMode
    tls_policy: str | None = None
    certificate_arn: str | None = None
    route53_zone_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class MonitoringSettings:
    """Alarms and a dashboard per side; thresholds per period of 5 minutes."""

    enabled: bool
    email: str | None = None
    https_endpoint: str | None = None
    evaluation_periods: int = 3
    resets_per_period: int = 100
    error_5xx_percent: int = 5
    error_4xx_percent: int = 25
    latency_p99_ms: int = 3000


@dataclass(frozen=True, kw_only=True)
class ProviderSettings:
    name: str
    network: NetworkSettings
    cluster: ClusterSettings
    workload: WorkloadSettings
    listener: ListenerSettings
    targets: TargetSettings
    consumer_account_ids: tuple[str, ...]
    consumer_role_arns: tuple[str, ...]
    consumer_stacks: tuple[str, ...]
    create_cloudtrail: bool
    protect_endpoint_service: bool
    """Pulumi `protect` on the service: replacing it changes its name and breaks consumers."""
    log_retention_days: int
    monitoring: MonitoringSettings
    aws: AwsSettings = field(default_factory=AwsSettings)
    role: Literal["provider"] = "provider"

    @property
    def allowed_principals(self) -> tuple[str, ...]:
        """Exactly the configured accounts (as `:root`) and role ARNs, sorted, never `*`."""
        roots = (f"arn:aws:iam::{account}:root" for account in self.consumer_account_ids)
        return tuple(sorted({*roots, *self.consumer_role_arns}))

    @property
    def allowed_account_ids(self) -> tuple[str, ...]:
        from_roles = (_ROLE_ARN.match(arn) for arn in self.consumer_role_arns)
        return tuple(sorted({*self.consumer_account_ids, *(m.group(2) for m in from_roles if m)}))


@dataclass(frozen=True, kw_only=True)
class ConsumerSettings:
    name: str
    network: NetworkSettings
    provider_stack: str
    vpc_link_version: VpcLinkVersion
    api_authorization: ApiAuthorization
    manage_api_gateway_account: bool
    stage_name: str
    throttle_rate_limit: int
    throttle_burst_limit: int
    endpoint_host_number: int
    endpoint_ips: tuple[str, ...]
    """Fixed IPs of the endpoint's ENIs, one per subnet used (empty: from endpoint_host_number)."""
    log_retention_days: int
    monitoring: MonitoringSettings
    aws: AwsSettings = field(default_factory=AwsSettings)
    role: Literal["consumer"] = "consumer"


Settings = ProviderSettings | ConsumerSettings


def _canonical(value: object) -> str:
    """The form a value takes on its way to the program (`pulumi config` stores strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


@functools.cache
def gate_minimum_retention(role: str) -> int:
    """The least log retention the policy gate accepts on this role's stacks: the pack's
    config file holds the number, so the gate and this validation cannot disagree."""
    path = PROJECT_FILE.parent / "policy" / f"config.{role}.json"
    config = json.loads(path.read_text()) if path.exists() else {}
    return int(config.get("log-group-retention", {}).get("minimumRetentionDays", 1))


@functools.cache
def project_defaults(project_file: Path = PROJECT_FILE) -> dict[str, str]:
    """Each optional key's default, as declared in Pulumi.yaml (the one place defaults live)."""
    declared = yaml.safe_load(project_file.read_text())["config"]
    return {
        key: _canonical(spec["default"])
        for key, spec in declared.items()
        if isinstance(spec, dict) and "default" in spec
    }


@dataclass
class _Reader:
    """Reads raw string values and collects every problem instead of stopping at the first.

    A key counts as *set* when its value differs from its Pulumi.yaml default and is not empty:
    the CLI fills in declared defaults, so "set to the default" and "not set" look alike.
    """

    raw: Mapping[str, str]
    defaults: Mapping[str, str]
    problems: list[str] = field(default_factory=list)

    def is_set(self, key: str) -> bool:
        value = self.raw.get(key)
        if value is None or value.strip() in ("", "[]"):
            return False
        default = self.defaults.get(key)
        if default is None:
            return True
        try:
            given, declared = json.loads(value), json.loads(default)
        except json.JSONDecodeError:
            return value.strip() != default.strip()
        # By type too: `1` is not the default `true` (1 == True in Python).
        return type(given) is not type(declared) or given != declared

    def text(self, key: str) -> str:
        """The user's value when set, else the declared default ("" when there is none)."""
        return self.raw[key].strip() if self.is_set(key) else self.defaults.get(key, "")

    def fail(self, key: str, value: object, expected: str) -> None:
        self.problems.append(f"{NAMESPACE}:{key}: {value!r} {expected}")

    def string(
        self,
        key: str,
        pattern: re.Pattern[str] | None = None,
        expected: str = "",
        choices: tuple[str, ...] | frozenset[str] | None = None,
    ) -> str | None:
        """The value, or None when it is empty (not set, no default) or bad (reported)."""
        value = self.text(key)
        if value == "":
            return None
        if choices is not None and value not in choices:
            self.fail(key, value, f"is not one of: {', '.join(sorted(choices))}")
            return None
        if pattern is not None and not pattern.match(value):
            self.fail(key, value, expected)
            return None
        return value

    def require(self, key: str, why: str) -> None:
        if not self.is_set(key) and not self.defaults.get(key):
            self.problems.append(f"{NAMESPACE}:{key}: is required {why}")

    def integer(self, key: str, low: int, high: int, what: str = "") -> int:
        text = self.text(key)
        default = int(self.defaults.get(key, "0"))
        try:
            value = int(text)
        except ValueError:
            self.fail(key, text, f"is not a whole number{what}")
            return default
        if not low <= value <= high:
            self.fail(key, value, f"is out of range: expected {low} to {high}{what}")
            return default
        return value

    def boolean(self, key: str) -> bool:
        text = self.text(key).lower()
        if text in ("true", "false"):
            return text == "true"
        self.fail(key, self.raw[key], "is not a boolean: expected true or false")
        return self.defaults.get(key) == "true"

    def items(
        self,
        key: str,
        check: Callable[[str], str | None],
        min_items: int = 0,
    ) -> tuple[str, ...]:
        """A list of strings; `check` returns what is expected when an item is bad."""
        if not self.is_set(key):
            if min_items:
                self.problems.append(
                    f"{NAMESPACE}:{key}: is required: a list of at least {min_items} item(s)"
                )
            return ()
        text = self.raw[key]
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(
                key,
                text,
                "is not a list of strings: set it with "
                f"`pulumi config set --path '{NAMESPACE}:{key}[0]' VALUE`",
            )
            return ()
        good = True
        for index, item in enumerate(value):
            expected = check(item)
            if expected:
                self.problems.append(f"{NAMESPACE}:{key}[{index}]: {item!r} {expected}")
                good = False
        if len(set(value)) != len(value):
            self.fail(key, value, "has duplicate items")
            good = False
        if len(value) < min_items:
            self.fail(key, value, f"has {len(value)} item(s): expected at least {min_items}")
            good = False
        return tuple(value) if good else ()

    def reject(self, keys: tuple[str, ...], reason: str) -> None:
        for key in keys:
            if self.is_set(key):
                self.problems.append(f"{NAMESPACE}:{key}: must not be set {reason}")


def _pattern(pattern: re.Pattern[str], expected: str) -> Callable[[str], str | None]:
    return lambda item: None if pattern.match(item) else expected


def _check_cidr(item: str) -> str | None:
    try:
        network = ipaddress.ip_network(item, strict=True)
    except ValueError:
        return "is not a CIDR block with its host bits zero (e.g. 203.0.113.0/24)"
    if network.version != 4:
        return "is not an IPv4 CIDR block"
    return None


NOT_INTERNET_SOURCES = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "172.16.0.0/12",  # RFC 1918
        "192.168.0.0/16",  # RFC 1918
    )
)
"""Source ranges a request to the public EKS endpoint can never come from."""
PUBLIC_ACCESS_MAX_ADDRESSES = 2**24
"""What clusterPublicAccessCidrs may cover together: a /8's worth. More is the internet in
pieces (0.0.0.0/1 + 128.0.0.0/1), not a list of runners."""


def _check_public_cidr(item: str) -> str | None:
    """A public source range for the EKS public endpoint: a runner's egress, never the world."""
    expected = _check_cidr(item)
    if expected:
        return expected
    network = ipaddress.ip_network(item)
    if network.prefixlen == 0:
        return "opens the endpoint to the whole internet: list the CIDRs that need it"
    if any(network.overlaps(private) for private in NOT_INTERNET_SOURCES):
        return (
            "covers addresses that are not on the internet (RFC 1918, CGNAT, loopback, "
            "link-local): the public endpoint only ever sees public source addresses (runners "
            "inside the VPC reach the private endpoint; set [] for private only)"
        )
    return None


def public_access_coverage(cidrs: tuple[str, ...]) -> int:
    """How many addresses the CIDRs cover together (overlaps counted once)."""
    networks = [ipaddress.IPv4Network(c) for c in cidrs]
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(networks))


def _network(r: _Reader, role: Role) -> NetworkSettings:
    egress: NodeEgress | None = None
    if role == "provider":
        egress = r.string("nodeEgress", choices=("nat", "vpc-endpoints"))  # type: ignore[assignment]
    if r.is_set("existingVpcId"):
        r.reject(("vpcCidr", "azCount"), "with xacct:existingVpcId (the VPC exists already)")
        if role == "provider":
            r.reject(("nodeEgress",), "with xacct:existingVpcId (its egress is yours)")
        vpc_id = r.string("existingVpcId", _VPC_ID, "is not a VPC id (vpc-0123abcd...)")
        subnets = r.items(
            "existingSubnetIds",
            _pattern(_SUBNET_ID, "is not a subnet id (subnet-0123abcd...)"),
            min_items=2,
        )
        return NetworkSettings(
            vpc_cidr="",
            az_count=len(subnets),
            existing_vpc_id=vpc_id or "invalid",
            existing_subnet_ids=subnets,
        )
    r.reject(("existingSubnetIds",), "without xacct:existingVpcId")
    cidr = r.text("vpcCidr")
    expected = _check_cidr(cidr)
    if expected is None and not 16 <= ipaddress.ip_network(cidr).prefixlen <= 24:
        expected = "is not a VPC CIDR this program can split: expected a /16 to /24"
    if expected is None and not ipaddress.ip_network(cidr).is_private:
        expected = "is not a private (RFC 1918) range"
    if expected:
        r.fail("vpcCidr", cidr, expected)
    az_count = r.integer("azCount", 2, 6, ": private subnets, one per availability zone")
    return NetworkSettings(vpc_cidr=cidr, az_count=az_count, node_egress=egress)


def _cluster(r: _Reader, name: str, network: NetworkSettings) -> ClusterSettings:
    created_only = (
        "clusterName",
        "kubernetesVersion",
        "clusterPublicAccessCidrs",
        "clusterAdminArns",
        "nodeInstanceType",
        "nodeCount",
    )
    if r.is_set("existingClusterName"):
        r.reject(created_only, "with xacct:existingClusterName (the cluster exists already)")
        if network.create:
            r.problems.append(
                f"{NAMESPACE}:existingClusterName: needs xacct:existingVpcId and "
                "xacct:existingSubnetIds: the NLB must sit in the existing cluster's VPC"
            )
        cluster_name = r.string("existingClusterName", _CLUSTER_NAME, "is not an EKS cluster name")
        asgs = r.items(
            "existingNodeAsgNames",
            _pattern(_ASG_NAME, "is not an Auto Scaling group name"),
            min_items=1,
        )
        r.require(
            "existingNodeSecurityGroupId",
            "with xacct:existingClusterName: the "
            "security group of the nodes, which must admit the NLB on the node port",
        )
        sg = r.string(
            "existingNodeSecurityGroupId", _SG_ID, "is not a security group id (sg-0123abcd...)"
        )
        return ClusterSettings(
            name=cluster_name or "invalid",
            existing=True,
            existing_node_asg_names=asgs,
            existing_node_security_group_id=sg,
        )
    r.reject(
        ("existingNodeAsgNames", "existingNodeSecurityGroupId"), "without xacct:existingClusterName"
    )
    cluster_name = r.string(
        "clusterName", _CLUSTER_NAME, "is not an EKS cluster name (letters, digits, - and _)"
    )
    return ClusterSettings(
        name=cluster_name or f"{name}-eks",
        existing=False,
        version=r.string(
            "kubernetesVersion", _K8S_VERSION, "is not a Kubernetes minor version such as 1.33"
        )
        or "",
        public_access_cidrs=_public_access_cidrs(r),
        admin_arns=r.items(
            "clusterAdminArns",
            _pattern(
                _PRINCIPAL_ARN,
                "is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)",
            ),
        ),
        node_instance_type=r.string(
            "nodeInstanceType", _INSTANCE_TYPE, "is not an EC2 instance type such as t3.medium"
        )
        or "",
        node_count=r.integer("nodeCount", 1, 100, ": nodes in the node group"),
    )


def _public_access_cidrs(r: _Reader) -> tuple[str, ...]:
    cidrs = r.items("clusterPublicAccessCidrs", _check_public_cidr)
    covered = public_access_coverage(cidrs)
    if covered > PUBLIC_ACCESS_MAX_ADDRESSES:
        r.fail(
            "clusterPublicAccessCidrs",
            list(cidrs),
            f"together cover {covered:,} addresses, more than a /8 "
            f"({PUBLIC_ACCESS_MAX_ADDRESSES:,}): that is the internet in pieces; list the "
            "egress CIDRs of the runners that need the public endpoint",
        )
        return ()
    return cidrs


def _workload(r: _Reader) -> WorkloadSettings:
    node_port = r.integer("nodePort", 30000, 32767, " (the Kubernetes NodePort range)")
    if not r.boolean("deployWorkload"):
        r.reject(
            ("workloadImage", "workloadPort", "workloadReplicas", "workloadNamespace"),
            "with xacct:deployWorkload false (no workload is deployed)",
        )
        if not r.is_set("nodePort"):
            r.problems.append(
                f"{NAMESPACE}:nodePort: is required with xacct:deployWorkload "
                "false: the node port of your own NodePort Service"
            )
        return WorkloadSettings(deploy=False, node_port=node_port)
    return WorkloadSettings(
        deploy=True,
        node_port=node_port,
        sample=not r.is_set("workloadImage"),
        image=r.string("workloadImage", _IMAGE, "is not a container image reference") or "",
        port=r.integer(
            "workloadPort", 1024, 65535, " (the container runs as non-root, so not below 1024)"
        ),
        replicas=r.integer("workloadReplicas", 1, 50),
        namespace=r.string("workloadNamespace", _K8S_NAME, "is not a Kubernetes namespace name")
        or "",
    )


def _listener(r: _Reader) -> ListenerSettings:
    mode: TlsMode = r.string("tlsMode", choices=("tls", "passthrough")) or "tls"  # type: ignore[assignment]
    r.require(
        "tlsServerName",
        "on the provider: the DNS name the consumer calls over HTTPS; "
        "the certificate on the NLB (tls) or in the workload (passthrough) must be valid "
        "for it",
    )
    server_name = (
        r.string("tlsServerName", HOSTNAME, "is not a lower-case DNS name such as api.example.com")
        or ""
    )
    port = r.integer("listenerPort", 1, 65535)
    if not api_gateway_port(port):
        r.fail(
            "listenerPort",
            port,
            f"is not a port API Gateway integrations call: expected {API_GATEWAY_PORTS} (the "
            "consumers' API calls https://<tlsServerName>:<listenerPort>/)",
        )
    if mode == "passthrough":
        r.reject(
            ("certificateArn", "route53ZoneId", "tlsPolicy"),
            "with xacct:tlsMode passthrough (the workload terminates TLS)",
        )
        return ListenerSettings(server_name=server_name, port=port, tls_mode=mode)
    if r.is_set("certificateArn") and r.is_set("route53ZoneId"):
        r.problems.append(
            f"{NAMESPACE}:certificateArn and {NAMESPACE}:route53ZoneId: set one, "
            "not both (an existing certificate, or one created in that zone)"
        )
    elif not (r.is_set("certificateArn") or r.is_set("route53ZoneId")):
        r.problems.append(
            f"{NAMESPACE}:certificateArn or {NAMESPACE}:route53ZoneId: one is "
            "required with xacct:tlsMode tls (an ACM certificate ARN for "
            "xacct:tlsServerName, or the Route 53 zone to validate a new one in)"
        )
    return ListenerSettings(
        server_name=server_name,
        port=port,
        tls_mode=mode,
        tls_policy=r.string("tlsPolicy", choices=TLS_POLICIES),
        certificate_arn=r.string("certificateArn", _CERT_ARN, "is not an ACM certificate ARN"),
        route53_zone_id=r.string(
            "route53ZoneId", _ZONE_ID, "is not a Route 53 hosted zone id (Z...)"
        ),
    )


def _monitoring(r: _Reader, role: Role) -> MonitoringSettings:
    thresholds = ("alarm5xxPercent", "alarm4xxPercent", "alarmLatencyP99Ms")
    if not r.boolean("monitoring"):
        shared = (
            "alarmEmail",
            "alarmHttpsEndpoint",
            "alarmEvaluationPeriods",
            "alarmResetsPerPeriod",
        )
        r.reject(
            shared + (thresholds if role == "consumer" else ()),
            "with xacct:monitoring false (no alarms are created)",
        )
        return MonitoringSettings(enabled=False)
    settings = MonitoringSettings(
        enabled=True,
        email=r.string("alarmEmail", _EMAIL, "is not an email address"),
        https_endpoint=r.string(
            "alarmHttpsEndpoint", _HTTPS_URL, "is not an https:// URL (SNS delivers to HTTPS only)"
        ),
        evaluation_periods=r.integer(
            "alarmEvaluationPeriods", 1, 24, " five-minute periods before an alarm fires"
        ),
        resets_per_period=r.integer(
            "alarmResetsPerPeriod", 1, 1_000_000, " TCP resets per five minutes"
        ),
    )
    if role == "provider":
        return settings
    return MonitoringSettings(
        **{
            **settings.__dict__,
            "error_5xx_percent": r.integer("alarm5xxPercent", 1, 100, " percent of requests"),
            "error_4xx_percent": r.integer("alarm4xxPercent", 1, 100, " percent of requests"),
            "latency_p99_ms": r.integer(
                "alarmLatencyP99Ms", 50, 29000, " milliseconds (API Gateway times out at 29000)"
            ),
        },
    )


def _targets(r: _Reader, workload: WorkloadSettings) -> TargetSettings:
    controller_keys = ("installLbController", "lbControllerChartVersion", "lbControllerIdentity")
    mode = r.string("targetMode", choices=("instance", "ip")) or "instance"
    if mode == "instance":
        r.reject(controller_keys, "with xacct:targetMode instance (no controller is used)")
        return TargetSettings(mode="instance")
    if not workload.deploy:
        r.problems.append(
            f"{NAMESPACE}:targetMode: 'ip' binds the sample workload's Service with a "
            "TargetGroupBinding: it needs xacct:deployWorkload true (for your own workload, use "
            "instance mode and its node port)"
        )
    install = r.boolean("installLbController")
    if not install:
        r.reject(
            ("lbControllerChartVersion", "lbControllerIdentity"),
            "with xacct:installLbController false (the cluster runs its own controller)",
        )
    return TargetSettings(
        mode="ip",
        install_controller=install,
        chart_version=r.string(
            "lbControllerChartVersion", _CHART_VERSION, "is not a chart version such as 1.17.1"
        )
        or "",
        identity=r.string("lbControllerIdentity", choices=("irsa", "pod-identity")) or "irsa",  # type: ignore[arg-type]
    )


SAMPLE_SERVES = "plain HTTP"
LB_CONTROLLER_IMAGE = "public.ecr.aws/eks/aws-load-balancer-controller"
"""Where the controller's Helm chart pulls its image from by default (ECR Public)."""


def _passthrough_backend(
    r: _Reader, listener: ListenerSettings, workload: WorkloadSettings
) -> None:
    """In passthrough the NLB forwards TLS untouched: the pods must terminate it."""
    if listener.tls_mode == "passthrough" and workload.deploy and workload.sample:
        r.fail(
            "tlsMode",
            "passthrough",
            f"with the sample workload, which serves {SAMPLE_SERVES} on xacct:workloadPort: no "
            "request could ever succeed. A passthrough backend terminates TLS itself on "
            "xacct:workloadPort with a certificate valid for xacct:tlsServerName (and answers "
            "HTTPS health checks on /): set xacct:workloadImage to such an image, "
            "xacct:deployWorkload false for your own, or xacct:tlsMode tls",
        )


def _private_image_pulls(
    r: _Reader,
    network: NetworkSettings,
    workload: WorkloadSettings,
    targets: TargetSettings,
    region: str | None,
) -> None:
    """With VPC endpoints as the only egress, nodes reach ECR in this region and nothing else:
    no VPC endpoint reaches ECR Public or Docker Hub."""
    if network.node_egress != "vpc-endpoints":
        return
    what_to_do = (
        "push the image to an ECR repository in this region (or fill one with an ECR "
        "pull-through cache rule, whose first pull needs an internet route), or set "
        "xacct:nodeEgress nat"
    )
    if workload.deploy:
        image = workload.image
        match = _ECR_IMAGE.match(image)
        if match is None:
            r.fail(
                "workloadImage",
                image,
                "cannot be pulled with xacct:nodeEgress vpc-endpoints: the nodes reach only "
                "ECR in their own region (<account>.dkr.ecr.<region>.amazonaws.com/...), and no "
                f"VPC endpoint reaches ECR Public or Docker Hub; {what_to_do}",
            )
        elif region is not None and match.group(2) != region:
            r.fail(
                "workloadImage",
                image,
                f"is in ECR in {match.group(2)}, and xacct:nodeEgress vpc-endpoints reaches "
                f"only ECR in this stack's region {region}; {what_to_do}",
            )
    if targets.mode == "ip" and targets.install_controller:
        r.fail(
            "installLbController",
            "true",
            f"with xacct:nodeEgress vpc-endpoints: the chart pulls {LB_CONTROLLER_IMAGE} from "
            "ECR Public, which no VPC endpoint reaches; install the controller from an ECR "
            "copy in this region and set xacct:installLbController false, or set "
            "xacct:nodeEgress nat",
        )


def _provider(r: _Reader, name: str, retention: int, aws: AwsSettings) -> ProviderSettings:
    network = _network(r, "provider")
    accounts = r.items(
        "consumerAccountIds", _pattern(ACCOUNT_ID, "is not a 12-digit AWS account id")
    )
    roles = r.items(
        "consumerRoleArns",
        _pattern(_ROLE_ARN, "is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)"),
    )
    if not (r.is_set("consumerAccountIds") or r.is_set("consumerRoleArns")):
        r.problems.append(
            f"{NAMESPACE}:consumerAccountIds or {NAMESPACE}:consumerRoleArns: at "
            "least one consumer principal is required (the endpoint service "
            "never allows `*`)"
        )
    stacks = r.items(
        "consumerStacks",
        _pattern(
            _STACK_NAME,
            "is not a fully qualified stack name: "
            "organization/<project>/<stack> (self-managed backend) or "
            "<org>/<project>/<stack> (Pulumi Cloud)",
        ),
    )
    workload = _workload(r)
    listener = _listener(r)
    targets = _targets(r, workload)
    _passthrough_backend(r, listener, workload)
    _private_image_pulls(r, network, workload, targets, aws.region)
    return ProviderSettings(
        name=name,
        network=network,
        cluster=_cluster(r, name, network),
        workload=workload,
        listener=listener,
        targets=targets,
        consumer_account_ids=accounts,
        consumer_role_arns=roles,
        consumer_stacks=stacks,
        create_cloudtrail=r.boolean("createCloudTrail"),
        protect_endpoint_service=r.boolean("protectEndpointService"),
        log_retention_days=retention,
        monitoring=_monitoring(r, "provider"),
        aws=aws,
    )


def _check_ip(item: str) -> str | None:
    try:
        address = ipaddress.ip_address(item)
    except ValueError:
        return "is not an IPv4 address (e.g. 10.0.0.10)"
    return None if address.version == 4 else "is not an IPv4 address"


def _consumer(r: _Reader, name: str, retention: int, aws: AwsSettings) -> ConsumerSettings:
    network = _network(r, "consumer")
    r.require(
        "providerStack",
        "on the consumer: the provider stack to read the endpoint "
        "service from, organization/<project>/<stack> (self-managed backend) or "
        "<org>/<project>/<stack> (Pulumi Cloud); deploy it first",
    )
    provider_stack = r.string(
        "providerStack",
        _STACK_NAME,
        "is not a fully qualified stack name: organization/<project>/"
        "<stack> or <org>/<project>/<stack>",
    )
    auth = r.string("apiAuthorization", choices=("iam", "api-key", "none")) or "iam"
    return ConsumerSettings(
        name=name,
        network=network,
        provider_stack=provider_stack or "",
        vpc_link_version=r.string("vpcLinkVersion", choices=("v2", "v1")) or "v2",  # type: ignore[arg-type]
        api_authorization=auth,  # type: ignore[arg-type]
        manage_api_gateway_account=r.boolean("manageApiGatewayAccount"),
        stage_name=r.string("stageName", _STAGE, "is not a stage name (letters, digits, _)")
        or "v1",
        throttle_rate_limit=r.integer("throttleRateLimit", 1, 10000, " requests per second"),
        throttle_burst_limit=r.integer("throttleBurstLimit", 1, 5000, " requests"),
        endpoint_host_number=r.integer(
            "endpointHostNumber",
            4,
            250,
            ": the host number of each endpoint ENI's fixed IP in its subnet "
            "(AWS reserves the first four)",
        ),
        endpoint_ips=_endpoint_ips(r),
        log_retention_days=retention,
        monitoring=_monitoring(r, "consumer"),
        aws=aws,
    )


def _endpoint_ips(r: _Reader) -> tuple[str, ...]:
    """Explicit endpoint IPs (checked against the subnets' CIDRs once they are known)."""
    if r.is_set("endpointIps"):
        r.reject(
            ("endpointHostNumber",),
            "with xacct:endpointIps (the addresses are given one by one)",
        )
    return r.items("endpointIps", _check_ip)


def _aws_json(value: str) -> object:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def unknown_aws_keys(keys: Iterable[str]) -> list[str]:
    """`aws:` keys the AWS provider does not read (typos, keys of older versions)."""
    problems = []
    for key in sorted(set(keys) - AWS_PROVIDER_KEYS):
        close = difflib.get_close_matches(key, sorted(AWS_PROVIDER_KEYS), n=1)
        hint = f": did you mean aws:{close[0]}?" if close else ""
        if key == "assumeRole":
            hint = ": pulumi-aws 7 reads aws:assumeRoles, a list of {roleArn: ...}"
        problems.append(f"aws:{key}: is not a setting of the AWS provider (pulumi-aws){hint}")
    return problems


def _aws(raw: Mapping[str, str], problems: list[str], uses_kubernetes: bool) -> AwsSettings:
    """The `aws:*` keys the program relies on: the region, and the profile and role that the
    Kubernetes provider's `aws eks get-token` must use too. Unknown keys are typos."""
    problems += unknown_aws_keys(raw)
    region = raw.get("region")
    if region is not None and not REGION.match(region):
        problems.append(f"aws:region: {region!r} is not an AWS region name such as us-east-1")
        region = None
    profile = raw.get("profile")
    if profile is not None and not _PROFILE.match(profile):
        problems.append(f"aws:profile: {profile!r} is not a profile name of ~/.aws/config")
        profile = None
    role_arn = None
    if "assumeRoles" in raw:
        roles = _aws_json(raw["assumeRoles"])
        if not isinstance(roles, list) or not all(isinstance(x, dict) for x in roles):
            problems.append(
                f"aws:assumeRoles: {raw['assumeRoles']!r} is not a list of roles: set it with "
                "`pulumi config set --path 'aws:assumeRoles[0].roleArn' ARN`"
            )
            roles = []
        for index, role in enumerate(roles):
            arn = role.get("roleArn")
            if not isinstance(arn, str) or not _ROLE_ARN.match(arn):
                problems.append(
                    f"aws:assumeRoles[{index}].roleArn: {arn!r} is not an IAM role ARN "
                    "(arn:aws:iam::<12 digits>:role/<name>)"
                )
            elif uses_kubernetes and "externalId" in role:
                problems.append(
                    f"aws:assumeRoles[{index}].externalId: the Kubernetes provider signs in "
                    "with `aws eks get-token --role-arn`, which cannot pass an external id: "
                    "use a profile of ~/.aws/config with role_arn and external_id as aws:profile"
                )
        if uses_kubernetes and len(roles) > 1:
            problems.append(
                f"aws:assumeRoles: a chain of {len(roles)} roles: the Kubernetes provider "
                "signs in with `aws eks get-token --role-arn`, which assumes one role from the "
                "profile or environment; use one role, or a profile of ~/.aws/config that "
                "chains them (source_profile) as aws:profile"
            )
        arns = [role.get("roleArn") for role in roles]
        role_arn = arns[-1] if arns and isinstance(arns[-1], str) else None
    return AwsSettings(region=region, profile=profile, role_arn=role_arn)


def parse_settings(
    raw: Mapping[str, str],
    defaults: Mapping[str, str] | None = None,
    aws: Mapping[str, str] | None = None,
) -> Settings:
    """Validate raw config values (key without namespace → string) into settings; `aws` holds
    the stack's `aws:*` values the same way."""
    r = _Reader(raw, project_defaults() if defaults is None else defaults)
    for key in sorted(set(raw) - set(ALL_KEYS)):
        close = difflib.get_close_matches(key, ALL_KEYS, n=1)
        hint = f"did you mean {NAMESPACE}:{close[0]}?" if close else "see Pulumi.yaml for the keys"
        r.problems.append(f"{NAMESPACE}:{key}: is not a setting of this program ({hint})")
    for key in sorted(set(raw) & set(ALL_KEYS)):
        default = r.defaults.get(key, "")
        if raw[key].strip() == "" and default.strip() not in ("", "[]"):
            r.problems.append(
                f"{NAMESPACE}:{key}: is empty: remove the key to use its default ({default}), "
                "or give a value"
            )
    r.require("role", "to choose which side this stack builds: provider or consumer")
    role = r.string("role", choices=("provider", "consumer"))
    if role is None:
        raise ConfigError(r.problems)
    name = (
        r.string(
            "name",
            _NAME,
            f"is not a resource name prefix: 3-{NAME_MAX_LENGTH} of a-z, 0-9 and -, starting "
            "with a letter (AWS names load balancers and target groups in 32 characters)",
        )
        or NAMESPACE
    )
    retention = r.integer("logRetentionDays", 1, 3653)
    if retention not in LOG_RETENTION_DAYS:
        r.fail(
            "logRetentionDays",
            retention,
            f"is not a CloudWatch Logs retention: one of {LOG_RETENTION_DAYS}",
        )
    elif role in ("provider", "consumer") and retention < (floor := gate_minimum_retention(role)):
        r.fail(
            "logRetentionDays",
            retention,
            f"is below the {floor} days the policy gate requires of every log group "
            f"(policy/config.{role}.json, log-group-retention.minimumRetentionDays)",
        )
    if name == "internal" or name.startswith("internal-"):
        r.fail(
            "name",
            name,
            "would name the load balancers internal-...: ELB refuses names that begin with "
            "'internal-'; choose another prefix",
        )
    uses_kubernetes = role == "provider" and r.boolean("deployWorkload")
    aws_settings = _aws(aws or {}, r.problems, uses_kubernetes)
    settings: Settings
    if role == "provider":
        r.reject(CONSUMER_ONLY_KEYS, "on a provider stack (xacct:role is provider)")
        settings = _provider(r, name, retention, aws_settings)
    else:
        r.reject(PROVIDER_ONLY_KEYS, "on a consumer stack (xacct:role is consumer)")
        settings = _consumer(r, name, retention, aws_settings)
    if r.problems:
        raise ConfigError(r.problems)
    return settings


def read_raw_config() -> dict[str, str]:
    """The `xacct:*` values of the current stack, as strings (lists arrive as JSON)."""
    import pulumi

    config = pulumi.Config(NAMESPACE)
    raw = {key: value for key in ALL_KEYS if (value := config.get(key)) is not None}
    # Keys set in the stack file but unknown to this program are reported, not ignored.
    from pulumi.runtime import config as runtime_config

    prefix = f"{NAMESPACE}:"
    present = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    for full_key in sorted(present):
        key = full_key[len(prefix) :]
        if full_key.startswith(prefix) and key not in raw:
            raw[key] = str(runtime_config.get_config(full_key))
    return raw


def read_aws_config() -> dict[str, str]:
    """The stack's `aws:*` values as strings (objects and lists arrive as JSON)."""
    from pulumi.runtime import config as runtime_config

    present = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    values = {}
    for full_key in sorted(present):
        if full_key.startswith("aws:"):
            values[full_key[len("aws:") :]] = str(runtime_config.get_config(full_key))
    return values


def load_settings() -> Settings:
    return parse_settings(read_raw_config(), aws=read_aws_config())


def stack_tags(settings: Settings) -> dict[str, str]:
    """The tags every resource of the stack carries."""
    import pulumi

    return {
        "xacct:project": pulumi.get_project(),
        "xacct:stack": pulumi.get_stack(),
        "xacct:role": settings.role,
        "ManagedBy": "pulumi",
    }
