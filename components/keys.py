"""LogsKey: the stack's customer-managed KMS key (rotating), which CloudWatch Logs, CloudTrail and
CloudWatch alarms (publishing to the encrypted SNS topic) may use, for this account only."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.lookups import AccountFacts


def account_administers(facts: AccountFacts, sid: str = "AccountAdministers") -> dict[str, object]:
    """The key policy statement that lets the account's IAM policies grant use of the key."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{facts.partition}:iam::{facts.account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_key_policy(facts: AccountFacts, endpoint_notifications: bool = False) -> dict[str, object]:
    """The account administers the key; Logs and CloudTrail may use it only for this account;
    with `endpoint_notifications`, so may the endpoint service's notifications to the alarm
    topic."""
    account, region, partition = facts.account_id, facts.region, facts.partition
    logs_arns = f"arn:{partition}:logs:{region}:{account}:*"
    trail_arns = f"arn:{partition}:cloudtrail:*:{account}:trail/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            account_administers(facts),
            {
                "Sid": "CloudWatchLogsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": logs_arns}},
            },
            {
                "Sid": "CloudWatchAlarmsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            {
                "Sid": "CloudTrailEncryptsLogFilesOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_arns},
                },
            },
            {
                # DescribeKey carries no encryption context: it gets a statement of its own.
                "Sid": "CloudTrailDescribesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
            },
            {
                # The trail bucket uses an S3 Bucket Key: creating the trail needs Decrypt.
                "Sid": "CloudTrailDecryptsWithTheBucketKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            *([_endpoint_notifications(facts)] if endpoint_notifications else []),
        ],
    }


def _endpoint_notifications(facts: AccountFacts) -> dict[str, object]:
    """PrivateLink publishes connection notifications to the KMS-encrypted alarm topic: it needs
    the key, for this account's endpoint services only (AWS PrivateLink guide, "Receive alerts
    for endpoint service events": the key policy for an encrypted topic)."""
    services = f"arn:{facts.partition}:ec2:{facts.region}:{facts.account_id}:vpc-endpoint-service/*"
    return {
        "Sid": "EndpointServiceNotificationsOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "vpce.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": facts.account_id},
            "ArnLike": {"aws:SourceArn": services},
        },
    }


@dataclass(frozen=True, kw_only=True)
class LogsKeyArgs:
    facts: AccountFacts
    retain: bool = False
    """Keep the key when the stack is destroyed: it encrypts a retained audit trail."""
    endpoint_notifications: bool = False
    """PrivateLink may use the key for the endpoint service's connection notifications."""
    tags: dict[str, str] | None = None


class LogsKey(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    """The key ARN, for log groups, the trail and its bucket."""
    retained: bool
    """True when `pulumi destroy` leaves the key in place."""

    def __init__(
        self, name: str, args: LogsKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Typed `xacct:audit:LogsKey` before: the alias keeps the key (and its children's URNs).
        was = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="xacct:audit:LogsKey")])
        super().__init__("xacct:keys:LogsKey", name, None, pulumi.ResourceOptions.merge(opts, was))
        key = aws.kms.Key(
            f"{name}-key",
            description="xacct: CloudWatch Logs and CloudTrail encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(logs_key_policy(args.facts, args.endpoint_notifications)),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{name}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = key.arn
        self.retained = args.retain
        self.register_outputs({"arn": self.arn})
