"""What both sides' settings share: the reader that checks raw values and collects every
problem, the defaults (read from Pulumi.yaml, the one place they live), the network, monitoring
and `aws:*` settings, and the patterns several keys use."""

from __future__ import annotations

import difflib
import functools
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from components.aws_limits import (
    NAME_PREFIX_MAX,
)
from components.errors import StackError

NAMESPACE = "xacct"


PROJECT_FILE = Path(__file__).resolve().parents[2] / "Pulumi.yaml"


Role = Literal["provider", "consumer"]


NodeEgress = Literal["nat", "vpc-endpoints"]


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


ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")


NAME_MAX_LENGTH = NAME_PREFIX_MAX
"""The longest xacct:name: what leaves room in ELB's 32 characters for the longest load balancer
name and Pulumi's autoname suffix (components/aws_limits.py). The AWS create-time rules
(xacct_ops/aws_rules.py) check every autonamed resource with a name this long."""


NAME = re.compile(rf"^[a-z][a-z0-9-]{{1,{NAME_MAX_LENGTH - 2}}}[a-z0-9]$")
K8S_VERSION = re.compile(r"^1\.\d{2}$")
K8S_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
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
class MonitoringSettings:
    """Alarms and a dashboard per side; thresholds per period of 5 minutes."""

    enabled: bool
    email: str | None = None
    https_endpoint: str | None = None
    evaluation_periods: int
    resets_per_period: int
    error_5xx_percent: int
    """Consumer only, as the two below (the provider's carry the declared defaults)."""
    error_4xx_percent: int
    latency_p99_ms: int


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
class Reader:
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

    def choice(self, key: str, kind: Any) -> Any:
        """One of the values of the Literal type `kind` (each choice set is written once, in
        its type); a bad value is reported and the declared default stands in."""
        value = self.string(key, choices=get_args(kind))
        return value if value is not None else self.defaults.get(key)

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


def pattern_check(pattern: re.Pattern[str], expected: str) -> Callable[[str], str | None]:
    return lambda item: None if pattern.match(item) else expected


def check_cidr(item: str) -> str | None:
    try:
        network = ipaddress.ip_network(item, strict=True)
    except ValueError:
        return "is not a CIDR block with its host bits zero (e.g. 203.0.113.0/24)"
    if network.version != 4:
        return "is not an IPv4 CIDR block"
    return None


def read_network(r: Reader, role: Role) -> NetworkSettings:
    egress: NodeEgress | None = None
    if role == "provider":
        egress = r.choice("nodeEgress", NodeEgress)
    if r.is_set("existingVpcId"):
        r.reject(("vpcCidr", "azCount"), "with xacct:existingVpcId (the VPC exists already)")
        if role == "provider":
            r.reject(("nodeEgress",), "with xacct:existingVpcId (its egress is yours)")
        vpc_id = r.string("existingVpcId", _VPC_ID, "is not a VPC id (vpc-0123abcd...)")
        subnets = r.items(
            "existingSubnetIds",
            pattern_check(_SUBNET_ID, "is not a subnet id (subnet-0123abcd...)"),
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
    expected = check_cidr(cidr)
    if expected is None and not 16 <= ipaddress.ip_network(cidr).prefixlen <= 24:
        expected = "is not a VPC CIDR this program can split: expected a /16 to /24"
    if expected is None and not ipaddress.ip_network(cidr).is_private:
        expected = "is not a private (RFC 1918) range"
    if expected:
        r.fail("vpcCidr", cidr, expected)
    az_count = r.integer("azCount", 2, 6, ": private subnets, one per availability zone")
    return NetworkSettings(vpc_cidr=cidr, az_count=az_count, node_egress=egress)


def read_monitoring(r: Reader, role: Role) -> MonitoringSettings:
    thresholds = ("alarm5xxPercent", "alarm4xxPercent", "alarmLatencyP99Ms")
    enabled = r.boolean("monitoring")
    if not enabled:
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
    return MonitoringSettings(
        enabled=enabled,
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
        error_5xx_percent=r.integer("alarm5xxPercent", 1, 100, " percent of requests"),
        error_4xx_percent=r.integer("alarm4xxPercent", 1, 100, " percent of requests"),
        latency_p99_ms=r.integer(
            "alarmLatencyP99Ms", 50, 29000, " milliseconds (API Gateway times out at 29000)"
        ),
    )


def default_monitoring(role: Role) -> MonitoringSettings:
    """A side's monitoring with nothing set: every threshold as Pulumi.yaml declares it."""
    return read_monitoring(Reader({}, project_defaults()), role)


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


def read_aws(raw: Mapping[str, str], problems: list[str], uses_kubernetes: bool) -> AwsSettings:
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
            if not isinstance(arn, str) or not ROLE_ARN.match(arn):
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
