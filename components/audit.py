"""AuditTrail: a CloudTrail trail for accounts without an organization trail.

Multi-region, log-file validation, SSE-KMS with the stack's logs key, delivered to a private,
versioned S3 bucket and to a CloudWatch log group with retention (CloudTrail.1/2/4/5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.buckets import deny_insecure_transport, private_bucket
from components.lookups import AccountFacts


@dataclass(frozen=True, kw_only=True)
class AuditTrailArgs:
    facts: AccountFacts
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    tags: dict[str, str] | None = None


class AuditTrail(pulumi.ComponentResource):
    trail_arn: pulumi.Output[str]
    """The trail."""
    bucket_name: pulumi.Output[str]
    """Where CloudTrail delivers log files."""

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:audit:AuditTrail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The audit log outlives the stack: `pulumi destroy` leaves the bucket, its objects and
        # every setting that protects them (public access block, versioning, encryption,
        # policy) in place. README says how to remove them on purpose.
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        facts, tags = args.facts, args.tags or {}
        trail_name = f"{name}-trail"
        trail_arn = (
            f"arn:{facts.partition}:cloudtrail:{facts.region}:{facts.account_id}:trail/{trail_name}"
        )

        bucket = private_bucket(f"{name}-trail", kms_key_arn=args.kms_key_arn, tags=tags, opts=kept)
        condition = {"StringEquals": {"aws:SourceArn": trail_arn}}
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-trail",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudTrailAclCheck",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:GetBucketAcl",
                            "Resource": bucket.arn,
                            "Condition": condition,
                        },
                        {
                            "Sid": "CloudTrailWrite",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": pulumi.Output.concat(
                                bucket.arn, f"/AWSLogs/{facts.account_id}/*"
                            ),
                            "Condition": {
                                "StringEquals": {
                                    "aws:SourceArn": trail_arn,
                                    "s3:x-amz-acl": "bucket-owner-full-control",
                                }
                            },
                        },
                        deny_insecure_transport(bucket.arn),
                    ],
                }
            ),
            opts=kept,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-trail",
            name=f"/xacct/{name}/cloudtrail",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-trail-logs",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            # AWS's documented trust for this role has no condition: CloudTrail
                            # is not documented to send aws:SourceArn when it assumes it.
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            tags=tags,
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-trail-logs",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": pulumi.Output.concat(log_group.arn, ":log-stream:*"),
                        }
                    ],
                }
            ),
            opts=child,
        )
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=args.kms_key_arn,
            cloud_watch_logs_group_arn=pulumi.Output.concat(log_group.arn, ":*"),
            cloud_watch_logs_role_arn=role.arn,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket_policy, role_policy]),
        )
        self.trail_arn = trail.arn
        self.bucket_name = bucket.id
        self.register_outputs({"trail_arn": self.trail_arn, "bucket_name": self.bucket_name})
