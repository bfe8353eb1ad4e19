"""Keys and topics: symmetric KMS keys rotate, SNS topics are KMS-encrypted (encryption rules of
log groups, EKS secrets and API caches sit with their areas)."""

from __future__ import annotations

from collections.abc import Iterator

from .core import (
    KMS_KEY,
    SNS_TOPIC,
    Config,
    Finding,
    M,
    Props,
    resource_rule,
)


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
