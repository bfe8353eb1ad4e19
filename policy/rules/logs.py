"""Logs: log groups expire (after the configured minimum) and are KMS-encrypted; a trail is
multi-region, validated, encrypted and delivered to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Iterator

from .core import (
    LOG_GROUP,
    TRAIL,
    Config,
    Finding,
    M,
    Props,
    _list,
    resource_rule,
)

# A config default: the schema declares it and the check falls back to the same constant.
DEFAULT_MIN_RETENTION_DAYS = 30


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
