"""The IAM and resource policy rules (policy/rules/iam.py): administrator and escalation grants,
users, role trusts, the principals of key, bucket, topic and API policies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy import rules
from tests.policy_rules.support import (
    ME,
    OTHER,
    TRUSTED,
    Case,
    uncovered,
    validate,
)

ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
S3_ALL = json.dumps({"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:b"}]})
SCOPED = json.dumps(
    {
        "Statement": [
            {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "arn:aws:logs:*"}
        ]
    }
)
TRUST_ANY = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
)
TRUST_EC2 = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
)


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# (policy, token, props, config, expected messages); [] means the props pass.
CASES: list[Case] = [
    (
        "kms-key-policy-principals",
        rules.KMS_KEY,
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ]
                }
            )
        },
        {},
        [
            "aws:kms/key:Key 'r': policy.Statement[0].Principal is {'AWS': '*'}; name the "
            "principals, or bind `*` to this account or source with a condition "
            "(aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, ...)"
        ],
    ),
    (
        # A wildcard principal narrowed by a condition (e.g. the caller's account) is allowed.
        "kms-key-policy-principals",
        rules.KMS_KEY,
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "kms:Decrypt",
                            "Resource": "*",
                            "Condition": {"StringEquals": {"kms:CallerAccount": "111111111111"}},
                        }
                    ]
                }
            )
        },
        {},
        [],
    ),
    ("iam-no-wildcard-admin", rules.IAM_ROLE_POLICY, {"policy": SCOPED}, {}, []),
    (
        "iam-no-wildcard-admin",
        rules.IAM_POLICY,
        {"policy": ADMIN},
        {},
        [
            "aws:iam/policy:Policy 'r': policy is 'Allow * on *'; name the actions and resources "
            "the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_ROLE_POLICY,
        {"policy": S3_ALL},
        {},
        [
            "aws:iam/rolePolicy:RolePolicy 'r': policy is 'Allow s3:*'; name the actions and "
            "resources the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_ATTACHMENT,
        {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {},
        [
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment 'r': policyArn is "
            "'arn:aws:iam::aws:policy/AdministratorAccess'; grant the actions the principal needs"
        ],
    ),
    (
        # The same administrator access through another kind of attachment.
        "iam-no-wildcard-admin",
        "aws:iam/policyAttachment:PolicyAttachment",
        {"roles": ["app"], "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {},
        [
            "aws:iam/policyAttachment:PolicyAttachment 'r': policyArn is "
            "'arn:aws:iam::aws:policy/AdministratorAccess'; grant the actions the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        {"user": "ci", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"},
        {},
        [
            "aws:iam/userPolicyAttachment:UserPolicyAttachment 'r': policyArn is "
            "'arn:aws:iam::aws:policy/IAMFullAccess'; grant the actions the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        {"roleName": "app", "policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
        {},
        [
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive 'r': "
            "policyArns is 'arn:aws:iam::aws:policy/AdministratorAccess'; grant the actions the "
            "principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/groupPolicy:GroupPolicy",
        {
            "group": "ops",
            "policy": json.dumps(
                {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
            ),
        },
        {},
        [
            "aws:iam/groupPolicy:GroupPolicy 'r': policy is \"Allow everything but 'iam:*'\"; "
            "name the actions and resources the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/policyAttachment:PolicyAttachment",
        {"roles": ["app"], "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        {},
        [],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_ROLE,
        {"assumeRolePolicy": TRUST_EC2, "inlinePolicies": [{"name": "x", "policy": ADMIN}]},
        {},
        [
            "aws:iam/role:Role 'r': inlinePolicies[0].policy is 'Allow * on *'; name the actions and "
            "resources the principal needs"
        ],
    ),
    ("iam-trust-specific", rules.IAM_ROLE, {"assumeRolePolicy": TRUST_EC2}, {}, []),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {"assumeRolePolicy": TRUST_ANY},
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Principal is {'AWS': '*'}; name the service, "
            "account or role that may assume it"
        ],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": f"arn:aws:iam::{ME}:role/app",
                }
            )
        },
        {},
        [],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_POLICY,
        {
            "policy": doc(
                {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:Describe*"], "Resource": "*"}
            )
        },
        {},
        [
            "aws:iam/policy:Policy 'r': policy is 'Allow iam:PassRole on every resource'; name the resources (roles, keys, buckets) it may act on"
        ],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_ROLE_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "NotResource": f"arn:aws:kms:us-east-1:{ME}:key/x",
                }
            )
        },
        {},
        [
            "aws:iam/rolePolicy:RolePolicy 'r': policy is 'Allow kms:Decrypt on every resource'; name the resources (roles, keys, buckets) it may act on"
        ],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_ROLE,
        {
            "inlinePolicies": [
                {
                    "name": "x",
                    "policy": doc(
                        {
                            "Effect": "Allow",
                            "Action": "ec2:Create*",
                            "Resource": f"arn:aws:*:*:{ME}:*",
                        }
                    ),
                }
            ]
        },
        {},
        [
            "aws:iam/role:Role 'r': inlinePolicies[0].policy is 'Allow ec2:Create* (a wildcard of writes) on every resource'; name the resources (roles, keys, buckets) it may act on"
        ],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_ROLE_POLICY,
        {"policy": doc({"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"})},
        {},
        [],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_ROLE_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Action": ["ec2:Describe*", "logs:PutLogEvents"],
                    "Resource": "*",
                }
            )
        },
        {},
        [],
    ),
    (
        "iam-no-users",
        "aws:iam/user:User",
        {"name": "ci"},
        {},
        ["aws:iam/user:User 'r': type is 'User'; use a role (SSO, or OIDC for a pipeline)"],
    ),
    (
        "iam-no-users",
        "aws:iam/accessKey:AccessKey",
        {"user": "ci"},
        {},
        [
            "aws:iam/accessKey:AccessKey 'r': type is 'AccessKey'; use a role (SSO, or OIDC for a pipeline)"
        ],
    ),
    ("iam-no-users", rules.IAM_ROLE, {}, {}, []),
    (
        "resource-policy-principals",
        rules.BUCKET_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {
                        "StringEquals": {
                            "aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{ME}:trail/t"
                        }
                    },
                },
            )
        },
        {},
        [],
    ),
    (
        "resource-policy-principals",
        rules.BUCKET_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                }
            )
        },
        {},
        [
            "aws:s3/bucketPolicy:BucketPolicy 'r': policy.Statement[0].Principal is '*'; name the principals, or bind `*` to this account or source with a condition (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, ...)"
        ],
    ),
    (
        "resource-policy-principals",
        rules.TOPIC_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": "arn:t",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ME}},
                }
            )
        },
        {},
        [],
    ),
    (
        "resource-policy-principals",
        rules.REST_API_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": [f"arn:aws:iam::{ME}:role/a", f"arn:aws:iam::{OTHER}:root"]
                    },
                    "Action": "execute-api:Invoke",
                    "Resource": "*",
                }
            )
        },
        {},
        [
            "aws:apigateway/restApiPolicy:RestApiPolicy 'r': policy.Principal is ['111111111111', '222222222222']; principals of accounts this stack does not trust: grant only its own account (or list the account in trustedAccounts on purpose)"
        ],
    ),
    (
        "resource-policy-principals",
        rules.SNS_TOPIC,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                    "Action": "sns:Publish",
                    "Resource": "*",
                }
            )
        },
        TRUSTED,
        [
            "aws:sns/topic:Topic 'r': policy.Principal is ['222222222222']; principals of accounts this stack does not trust: grant only its own account (or list the account in trustedAccounts on purpose)"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_POLICY,
        {"policy": doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::audit/*"})},
        {},
        [
            "aws:iam/policy:Policy 'r': policy is 'Allow * on *'; name the actions and resources the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_ATTACHMENT,
        {"policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
        {},
        [
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment 'r': policyArn is 'arn:aws:iam::aws:policy/PowerUserAccess'; grant the actions the principal needs"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ME}:root"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Principal is ['111111111111']; an account's principals may assume this role: trust a service or a federated identity, or list the account in trustedAccounts on purpose"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ME}:role/deployer"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        TRUSTED,
        [],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{OTHER}:role/deployer"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        TRUSTED,
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Principal is ['222222222222']; an account's principals may assume this role: trust a service or a federated identity, or list the account in trustedAccounts on purpose"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/token.actions.githubusercontent.com"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}
                    },
                }
            )
        },
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Condition is ['repo:acme/*']; bind arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com's tokens to one subject (...:sub: system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:ref:<ref>)"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
                        }
                    },
                }
            )
        },
        {},
        [],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"
                        }
                    },
                }
            )
        },
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Condition is not set; bind arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC's tokens to one subject (...:sub: system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:ref:<ref>)"
        ],
    ),
    (
        "kms-key-policy-principals",
        rules.KMS_GRANT,
        {"granteePrincipal": f"arn:aws:iam::{OTHER}:role/x"},
        TRUSTED,
        [
            "aws:kms/grant:Grant 'r': granteePrincipal is 'arn:aws:iam::222222222222:role/x'; grant the key to this stack's account only"
        ],
    ),
    (
        "kms-key-policy-principals",
        rules.KMS_GRANT,
        {"granteePrincipal": f"arn:aws:iam::{ME}:role/x"},
        TRUSTED,
        [],
    ),
    (
        "kms-key-policy-principals",
        rules.KMS_KEY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                }
            )
        },
        {},
        [
            "aws:kms/key:Key 'r': policy.Statement[0].Principal is '*'; name the principals, or bind `*` to this account or source with a condition (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, ...)"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/token.actions.githubusercontent.com"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringLike": {
                            "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/release-*"
                        }
                    },
                }
            )
        },
        {},
        [],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringNotEquals": {
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:default"
                        }
                    },
                }
            )
        },
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Condition is not set; bind arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC's tokens to one subject (...:sub: system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:ref:<ref>)"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::{ME}:saml-provider/okta"},
                    "Action": "sts:AssumeRoleWithSAML",
                    "Condition": {
                        "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}
                    },
                }
            )
        },
        {},
        [],
    ),
]


@pytest.mark.parametrize(
    ("policy", "token", "props", "config", "expected"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_table(
    policy: str, token: str, props: dict[str, Any], config: dict[str, Any], expected: list[str]
) -> None:
    assert validate(policy, token, props, config) == expected


def test_every_rule_here_has_a_passing_and_a_failing_case() -> None:
    assert uncovered(CASES, "iam") == []
