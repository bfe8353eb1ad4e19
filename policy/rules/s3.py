"""S3 buckets (stack rules): every bucket has a TLS-only bucket policy, a complete public
access block and versioning; a bucket a CloudTrail trail writes to is encrypted with KMS."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import (
    PolicyResource,
)

from .core import (
    BUCKET_ENCRYPTION,
    BUCKET_POLICY,
    BUCKET_VERSIONING,
    BUCKETS,
    PUBLIC_ACCESS_BLOCK,
    TRAIL,
    Config,
    M,
    _deps,
    _document,
    _list,
    _of,
    _statements,
    stack_rule,
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
    "s3-versioning",
    M,
    [*BUCKETS, *BUCKET_VERSIONING],
    "S3.14, CKV_AWS_21",
    "Every bucket keeps versions (a versioning configuration with status Enabled): an "
    "overwritten or deleted object can be recovered.",
)
def _s3_versioning(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    for bucket in _of(resources, *BUCKETS):
        configs = [v for v in _of(resources, *BUCKET_VERSIONING) if bucket in _deps(v, "bucket")]
        enabled = any(
            (v.props.get("versioningConfiguration") or {}).get("status") == "Enabled"
            for v in configs
        )
        if not enabled:
            yield (
                bucket,
                (
                    f"{bucket.resource_type} '{bucket.name}': versioning is not Enabled; add "
                    "an aws.s3.BucketVersioning with status Enabled"
                ),
            )


def _kms_default(encryption: PolicyResource) -> bool:
    for rule in _list(encryption.props.get("rules")):
        default = (rule or {}).get("applyServerSideEncryptionByDefault") or {}
        if str(default.get("sseAlgorithm", "")).startswith("aws:kms"):
            return True
    return False


@stack_rule(
    "s3-trail-bucket-kms",
    M,
    [*BUCKETS, *BUCKET_ENCRYPTION, TRAIL],
    "CloudTrail.2, CKV_AWS_145",
    "A bucket a CloudTrail trail delivers to is encrypted by default with a KMS key (SSE-S3 "
    "would leave the audit log readable to anyone who can read the bucket).",
)
def _s3_trail_bucket_kms(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    trail_buckets = {id(b) for t in _of(resources, TRAIL) for b in _deps(t, "s3BucketName")}
    for bucket in _of(resources, *BUCKETS):
        if id(bucket) not in trail_buckets:
            continue
        settings = [e for e in _of(resources, *BUCKET_ENCRYPTION) if bucket in _deps(e, "bucket")]
        if not any(_kms_default(e) for e in settings):
            yield (
                bucket,
                (
                    f"{bucket.resource_type} '{bucket.name}': CloudTrail delivers here, but "
                    "its default encryption is not aws:kms; encrypt it with the stack's KMS key"
                ),
            )
