"""The S3 bucket rules (policy/rules/s3.py): TLS-only bucket policies, public access blocks."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import (
    PolicyResource,
)

from policy import rules
from tests.policy_rules.support import (
    resource,
    validate_stack,
)


def bucket_with(
    policy: dict[str, Any] | None, block: dict[str, Any] | None
) -> list[PolicyResource]:
    bucket = resource(rules.BUCKETS[0], "trail", {})
    found = [bucket]
    if policy is not None:
        found.append(
            resource(rules.BUCKET_POLICY, "p", {"policy": json.dumps(policy)}, {"bucket": [bucket]})
        )
    if block is not None:
        found.append(resource(rules.PUBLIC_ACCESS_BLOCK, "b", block, {"bucket": [bucket]}))
    return found


TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::trail", "arn:aws:s3:::trail/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


ALL_BLOCKED = dict.fromkeys(rules.PUBLIC_ACCESS_FLAGS, True)


def test_a_bucket_without_a_tls_only_policy_is_caught() -> None:
    assert validate_stack("s3-tls-only", bucket_with(TLS_ONLY, ALL_BLOCKED)) == []
    message = (
        "aws:s3/bucket:Bucket 'trail': no bucket policy denies aws:SecureTransport false; add a "
        "Deny for Principal * on the bucket and its objects when the request does not use TLS"
    )
    assert validate_stack("s3-tls-only", bucket_with(None, ALL_BLOCKED)) == [message]
    allow_only = {"Statement": [{**TLS_ONLY["Statement"][0], "Effect": "Allow"}]}
    assert validate_stack("s3-tls-only", bucket_with(allow_only, ALL_BLOCKED)) == [message]
    # A deny for the bucket alone leaves its objects readable over HTTP; one action, the rest.
    deny = TLS_ONLY["Statement"][0]
    bucket_only = {"Statement": [{**deny, "Resource": "arn:aws:s3:::trail"}]}
    assert validate_stack("s3-tls-only", bucket_with(bucket_only, ALL_BLOCKED)) == [message]
    one_action = {"Statement": [{**deny, "Action": "s3:GetObject"}]}
    assert validate_stack("s3-tls-only", bucket_with(one_action, ALL_BLOCKED)) == [message]
    everything = {"Statement": [{**deny, "Action": "*", "Resource": "*"}]}
    assert validate_stack("s3-tls-only", bucket_with(everything, ALL_BLOCKED)) == []


def test_a_bucket_without_a_complete_public_access_block_is_caught() -> None:
    assert validate_stack("s3-public-access-blocked", bucket_with(TLS_ONLY, ALL_BLOCKED)) == []
    message = (
        "aws:s3/bucket:Bucket 'trail': no public access block with blockPublicAcls, "
        "blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true; add one"
    )
    partial = {**ALL_BLOCKED, "restrictPublicBuckets": False}
    assert validate_stack("s3-public-access-blocked", bucket_with(TLS_ONLY, partial)) == [message]
    assert validate_stack("s3-public-access-blocked", bucket_with(TLS_ONLY, None)) == [message]


def test_a_bucket_without_versioning_enabled_is_caught() -> None:
    bucket = resource(rules.BUCKETS[0], "b", {})

    def versioning(status: str) -> PolicyResource:
        return resource(
            rules.BUCKET_VERSIONING[0],
            "v",
            {"versioningConfiguration": {"status": status}},
            {"bucket": [bucket]},
        )

    message = (
        "aws:s3/bucket:Bucket 'b': versioning is not Enabled; add an aws.s3.BucketVersioning "
        "with status Enabled"
    )
    assert validate_stack("s3-versioning", [bucket, versioning("Enabled")]) == []
    assert validate_stack("s3-versioning", [bucket, versioning("Suspended")]) == [message]
    assert validate_stack("s3-versioning", [bucket]) == [message]


def test_a_trail_bucket_without_kms_default_encryption_is_caught() -> None:
    trail_bucket, other = (
        resource(rules.BUCKETS[0], "trail", {}),
        resource(rules.BUCKETS[0], "o", {}),
    )
    trail = resource(rules.TRAIL, "t", {}, {"s3BucketName": [trail_bucket]})

    def encryption(bucket: PolicyResource, algorithm: str) -> PolicyResource:
        rule = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}}
        return resource(
            rules.BUCKET_ENCRYPTION[0], f"e-{bucket.name}", {"rules": [rule]}, {"bucket": [bucket]}
        )

    kms = [
        trail_bucket,
        other,
        trail,
        encryption(trail_bucket, "aws:kms"),
        encryption(other, "AES256"),
    ]
    assert validate_stack("s3-trail-bucket-kms", kms) == []
    sse_s3 = [trail_bucket, other, trail, encryption(trail_bucket, "AES256")]
    assert validate_stack("s3-trail-bucket-kms", sse_s3) == [
        "aws:s3/bucket:Bucket 'trail': CloudTrail delivers here, but its default encryption is "
        "not aws:kms; encrypt it with the stack's KMS key"
    ]
