"""Settings: the only package that reads Pulumi config, and where every value is validated.

`load_settings()` reads the `xacct:*` keys, checks all of them, and either returns a frozen
settings object or raises one `ConfigError` that lists every bad key, its value and what is
expected. It runs before any resource is registered, so a typo never leaves half a stack behind.

The parsing half (`parse_settings`) takes a plain mapping of key to raw string, as `pulumi config`
stores it, so the rules are tested without a Pulumi engine.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import pulumi

from components.aws_limits import LOG_RETENTION_DAYS
from components.settings.common import (
    ACCOUNT_ID,
    AWS_PROVIDER_KEYS,
    COMMON_KEYS,
    NAME,
    NAME_MAX_LENGTH,
    NAMESPACE,
    PROJECT_FILE,
    AwsSettings,
    ConfigError,
    MonitoringSettings,
    NetworkSettings,
    NodeEgress,
    Reader,
    Role,
    default_monitoring,
    gate_minimum_retention,
    project_defaults,
    read_aws,
    unknown_aws_keys,
)
from components.settings.consumer import (
    CONSUMER_ONLY_KEYS,
    ApiAuthorization,
    ApiDomainSettings,
    ApiEndpointType,
    ConsumerSettings,
    Frontend,
    PrivateApiSettings,
    VpcLinkVersion,
    read_consumer,
)
from components.settings.provider import (
    HOSTNAME,
    PROVIDER_ONLY_KEYS,
    TLS_POLICIES,
    ClusterSettings,
    ListenerSettings,
    ProviderSettings,
    TargetSettings,
    TlsMode,
    WorkloadSettings,
    public_access_coverage,
    read_provider,
)

__all__ = [
    "ACCOUNT_ID",
    "ALL_KEYS",
    "AWS_PROVIDER_KEYS",
    "COMMON_KEYS",
    "CONSUMER_ONLY_KEYS",
    "HOSTNAME",
    "LOG_RETENTION_DAYS",
    "NAMESPACE",
    "NAME_MAX_LENGTH",
    "PROJECT_FILE",
    "PROVIDER_ONLY_KEYS",
    "TLS_POLICIES",
    "ApiAuthorization",
    "ApiDomainSettings",
    "ApiEndpointType",
    "AwsSettings",
    "ClusterSettings",
    "ConfigError",
    "ConsumerSettings",
    "Frontend",
    "ListenerSettings",
    "MonitoringSettings",
    "NetworkSettings",
    "NodeEgress",
    "PrivateApiSettings",
    "ProviderSettings",
    "Role",
    "Settings",
    "TargetSettings",
    "TlsMode",
    "VpcLinkVersion",
    "WorkloadSettings",
    "default_monitoring",
    "gate_minimum_retention",
    "load_settings",
    "parse_settings",
    "project_defaults",
    "public_access_coverage",
    "read_aws_config",
    "read_raw_config",
    "stack_tags",
    "unknown_aws_keys",
]

ALL_KEYS = COMMON_KEYS + PROVIDER_ONLY_KEYS + CONSUMER_ONLY_KEYS


Settings = ProviderSettings | ConsumerSettings


def parse_settings(
    raw: Mapping[str, str],
    defaults: Mapping[str, str] | None = None,
    aws: Mapping[str, str] | None = None,
) -> Settings:
    """Validate raw config values (key without namespace → string) into settings; `aws` holds
    the stack's `aws:*` values the same way."""
    r = Reader(raw, project_defaults() if defaults is None else defaults)
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
    role = r.choice("role", Role)
    if role is None:
        raise ConfigError(r.problems)
    name = (
        r.string(
            "name",
            NAME,
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
    aws_settings = read_aws(aws or {}, r.problems, uses_kubernetes)
    settings: Settings
    if role == "provider":
        r.reject(CONSUMER_ONLY_KEYS, "on a provider stack (xacct:role is provider)")
        settings = read_provider(r, name, retention, aws_settings)
    else:
        r.reject(PROVIDER_ONLY_KEYS, "on a consumer stack (xacct:role is consumer)")
        settings = read_consumer(r, name, retention, aws_settings)
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
    return {
        "xacct:project": pulumi.get_project(),
        "xacct:stack": pulumi.get_stack(),
        "xacct:role": settings.role,
        "ManagedBy": "pulumi",
    }
