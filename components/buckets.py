"""A private S3 bucket as every bucket here is made: public access blocked (all four settings),
versioned, encrypted by default, and a statement denying any request that is not TLS, for the
bucket and its objects (FSBP S3.5, S3.8; the policy pack's s3-tls-only, s3-public-access-blocked).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws


def private_bucket(
    name: str,
    *,
    kms_key_arn: pulumi.Input[str] | None,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.s3.Bucket:
    """The bucket and its settings, each named `name`; SSE-KMS with the key, or SSE-S3 where a
    reader cannot use a customer key."""
    bucket = aws.s3.Bucket(name, force_destroy=False, tags=tags, opts=opts)
    aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketVersioning(
        name, bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=opts
    )
    rule: aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict = (
        {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": kms_key_arn,
            },
            "bucket_key_enabled": True,
        }
        if kms_key_arn is not None
        else {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
    )
    aws.s3.BucketServerSideEncryptionConfiguration(name, bucket=bucket.id, rules=[rule], opts=opts)
    return bucket


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The policy statement refusing every non-TLS request to the bucket or its objects."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
