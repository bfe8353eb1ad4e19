"""Who may do what: IAM policies grant no administrator, escalation or wildcard reads; no IAM
users; role trusts name their principals; key, bucket, topic and API resource policies open
nothing to `*` or to an account the stack does not trust."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .core import (
    BUCKET_POLICY,
    IAM_ATTACHMENTS,
    IAM_EXCLUSIVE_ATTACHMENTS,
    IAM_INLINE,
    IAM_POLICY,
    IAM_ROLE,
    IAM_USERS,
    KMS_GRANT,
    KMS_KEY,
    REST_API,
    REST_API_POLICY,
    SNS_TOPIC,
    TOPIC_POLICY,
    TRUST_CONFIG,
    Config,
    Finding,
    M,
    Props,
    _account,
    _document,
    _foreign,
    _list,
    _show,
    _statements,
    resource_rule,
)

ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")
"""AWS managed policies that make their holder an administrator, or able to become one."""
NARROWING_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "kms:calleraccount",
    }
)
"""Condition keys that bind a `*` principal to a known account, organization, source or
network; any other condition (aws:SecureTransport, ...) leaves it open to everyone."""


def _principals(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, value) of each principal of a statement: ("*", "*") for a bare `*`."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [("*", principal)]
    return [(str(kind), str(v)) for kind, values in principal.items() for v in _list(values)]


def _narrowed(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    keys = {str(k).lower() for block in condition.values() for k in (block or {})}
    return bool(keys & NARROWING_KEYS)


def _open_principals(
    document: Mapping[str, Any] | None, config: Config, where: str
) -> Iterator[Finding]:
    """What an Allow statement of a resource policy opens to strangers: `*` not bound by a
    narrowing condition, and principals of accounts the stack does not trust."""
    accounts: set[str] = set()
    for i, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        for kind, value in _principals(statement):
            if value == "*" and not _narrowed(statement):
                yield Finding(
                    f"{where}.Statement[{i}].Principal",
                    statement.get("Principal"),
                    "name the principals, or bind `*` to this account or source with a "
                    "condition (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, ...)",
                )
            elif kind == "AWS" and (account := _account(value)):
                accounts.add(account)
    foreign = _foreign(accounts, config)
    if foreign:
        yield Finding(
            f"{where}.Principal",
            foreign,
            "principals of accounts this stack does not trust: grant only its own account "
            "(or list the account in trustedAccounts on purpose)",
        )


def _admin_statements(document: Mapping[str, Any] | None) -> Iterator[str]:
    """What a document grants too widely: everything, a whole service, or all but a few."""
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _list(statement.get("Action"))]
        resources = [str(r) for r in _list(statement.get("Resource"))]
        everywhere = any(_everywhere(r) for r in resources) or statement.get("NotResource")
        if "*" in actions and everywhere:
            yield "Allow * on *"
        for action in actions:
            if action.endswith(":*"):
                yield f"Allow {action}"
        if statement.get("NotAction") is not None:
            yield f"Allow everything but {_show(statement.get('NotAction'))}"


def _everywhere(resource: str) -> bool:
    """`*`, or an ARN pattern whose service is a wildcard (arn:aws:*:*:<account>:*)."""
    parts = resource.split(":")
    return resource == "*" or (len(parts) > 2 and parts[0] == "arn" and "*" in parts[2])


ESCALATION_ACTIONS = frozenset(
    {
        "iam:passrole",
        "sts:assumerole",
        "iam:attachrolepolicy",
        "iam:attachuserpolicy",
        "iam:attachgrouppolicy",
        "iam:putrolepolicy",
        "iam:putuserpolicy",
        "iam:putgrouppolicy",
        "iam:createpolicyversion",
        "iam:setdefaultpolicyversion",
        "iam:updateassumerolepolicy",
        "iam:createaccesskey",
        "iam:createloginprofile",
        "iam:updateloginprofile",
        "iam:addusertogroup",
    }
)
"""Actions that let a principal grant itself more (the well-known IAM escalation paths)."""
DATA_READS = frozenset(
    {"kms:decrypt", "kms:reencryptfrom", "s3:getobject", "secretsmanager:getsecretvalue"}
)
"""Reads of any key, object or secret when granted on every resource (KMS.1/KMS.2)."""


def _escalations(document: Mapping[str, Any] | None) -> Iterator[str]:
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        resources = [str(r) for r in _list(statement.get("Resource"))]
        if not (statement.get("NotResource") or any(_everywhere(r) for r in resources)):
            continue
        for action in (str(a) for a in _list(statement.get("Action"))):
            lowered = action.lower()
            _, _, name = lowered.partition(":")
            if lowered in ESCALATION_ACTIONS or lowered in DATA_READS:
                yield f"Allow {action} on every resource"
            elif "*" in name and name != "*" and not name.startswith(("describe", "get", "list")):
                yield f"Allow {action} (a wildcard of writes) on every resource"


def _policy_documents(token: str, props: Props) -> list[tuple[str, Any]]:
    """(property, document) of each policy a resource writes: a policy's or an inline policy's
    own, a role's inline policies."""
    if token == IAM_POLICY or token in IAM_INLINE:
        return [("policy", props.get("policy"))]
    if token == IAM_ROLE:
        return [
            (f"inlinePolicies[{i}].policy", inline.get("policy"))
            for i, inline in enumerate(_list(props.get("inlinePolicies")))
        ]
    return []


def _admin_arn(arn: Any) -> bool:
    return any(str(arn).endswith(f":policy/{name}") for name in ADMIN_POLICIES)


@resource_rule(
    "iam-no-wildcard-admin",
    M,
    [IAM_POLICY, *IAM_INLINE, IAM_ROLE, *IAM_ATTACHMENTS, *IAM_EXCLUSIVE_ATTACHMENTS],
    "IAM.1/21, CKV_AWS_62/63/274",
    "No Allow * on *, no service:* actions, no Allow with NotAction, and no administrator "
    "policy, however it reaches a role, user or group (inline, attachment of any kind, "
    "managed list).",
)
def _iam_no_admin(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if token == IAM_ROLE:
        for arn in _list(props.get("managedPolicyArns")):
            if _admin_arn(arn):
                yield Finding("managedPolicyArns", arn, "grant the actions the role needs")
    if token in IAM_ATTACHMENTS and _admin_arn(props.get("policyArn", "")):
        yield Finding("policyArn", props.get("policyArn"), "grant the actions the principal needs")
    if token in IAM_EXCLUSIVE_ATTACHMENTS:
        for arn in _list(props.get("policyArns")):
            if _admin_arn(arn):
                yield Finding("policyArns", arn, "grant the actions the principal needs")
    for prop, text in _policy_documents(token, props):
        for grant in _admin_statements(_document(text)):
            yield Finding(prop, grant, "name the actions and resources the principal needs")


@resource_rule(
    "iam-no-privilege-escalation",
    M,
    [IAM_POLICY, *IAM_INLINE, IAM_ROLE],
    "IAM.1, KMS.1/2, CKV_AWS_107/108/110/111/286/287/288",
    "No action that lets a principal grant itself more (iam:PassRole, sts:AssumeRole, "
    "iam:Put*/Attach* policies, ...), and no read of every key, object or secret, on every "
    "resource.",
)
def _iam_escalation(token: str, props: Props, _: Config) -> Iterator[Finding]:
    for prop, text in _policy_documents(token, props):
        for grant in _escalations(_document(text)):
            yield Finding(prop, grant, "name the resources (roles, keys, buckets) it may act on")


@resource_rule(
    "iam-no-users",
    M,
    IAM_USERS,
    "IAM.2/IAM.3, CKV_AWS_273",
    "No IAM users, access keys or passwords: people and pipelines assume roles.",
)
def _iam_no_users(token: str, props: Props, _: Config) -> Iterator[Finding]:
    yield Finding("type", token.rsplit(":", 1)[1], "use a role (SSO, or OIDC for a pipeline)")


@resource_rule(
    "iam-trust-specific",
    M,
    [IAM_ROLE],
    "CKV_AWS_60/61/358",
    "Role trusts name services or federated identities bound to one subject; never `*`, and "
    "an account only when trustedAccounts lists it.",
    config=TRUST_CONFIG,
)
def _iam_trust(token: str, props: Props, config: Config) -> Iterator[Finding]:
    document = _document(props.get("assumeRolePolicy"))
    accounts: set[str] = set()
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        principals = _principals(statement)
        if any(value == "*" for _, value in principals):
            yield Finding(
                "assumeRolePolicy.Principal",
                statement.get("Principal"),
                "name the service, account or role that may assume it",
            )
        accounts |= {a for kind, v in principals if kind == "AWS" if (a := _account(v))}
        for kind, value in principals:
            if (
                kind == "Federated"
                and not value.endswith(".amazonaws.com")
                and ":saml-provider/" not in value
            ):
                yield from _federated_subject(statement, value)
    if _foreign(accounts, config) or (accounts and not _list(config.get("trustedAccounts"))):
        yield Finding(
            "assumeRolePolicy.Principal",
            sorted(accounts),
            "an account's principals may assume this role: trust a service or a federated "
            "identity, or list the account in trustedAccounts on purpose",
        )


def _federated_subject(statement: Mapping[str, Any], provider: str) -> Iterator[Finding]:
    """A web identity trust names its subject: the service account, the repository."""
    condition = statement.get("Condition") or {}
    subjects = [
        str(v)
        for operator, block in condition.items()
        # StringNotEquals on :sub would admit every other subject.
        if operator in ("StringEquals", "StringLike")
        for key, values in (block or {}).items()
        if str(key).endswith(":sub")
        for v in _list(values)
    ]
    # A wildcard may pick branches (repo:<org>/<repo>:ref:refs/heads/release-*), never
    # which repository, service account or environment the token belongs to.
    if not subjects or any(c in s.split(":ref:")[0] for s in subjects for c in "*?"):
        yield Finding(
            "assumeRolePolicy.Condition",
            subjects or None,
            f"bind {provider}'s tokens to one subject (...:sub: "
            "system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:ref:<ref>)",
        )


@resource_rule(
    "kms-key-policy-principals",
    M,
    [KMS_KEY, "aws:kms/keyPolicy:KeyPolicy", KMS_GRANT],
    "CKV_AWS_33",
    "A key policy (or grant) never opens the key to `*` without a condition that binds it to "
    "an account or source, nor to another account.",
    config=TRUST_CONFIG,
)
def _kms_principals(token: str, props: Props, config: Config) -> Iterator[Finding]:
    if token == KMS_GRANT:
        for prop in ("granteePrincipal", "retiringPrincipal"):
            account = _account(str(props.get(prop) or ""))
            if account and _foreign({account}, config):
                yield Finding(prop, props.get(prop), "grant the key to this stack's account only")
        return
    yield from _open_principals(_document(props.get("policy")), config, "policy")


@resource_rule(
    "resource-policy-principals",
    M,
    [BUCKET_POLICY, TOPIC_POLICY, SNS_TOPIC, REST_API_POLICY, REST_API],
    "S3.6, CKV_AWS_70/169/283",
    "Bucket, topic and API resource policies open nothing to `*` without a binding "
    "condition, nor to an account the stack does not trust.",
    config=TRUST_CONFIG,
)
def _resource_policy_principals(token: str, props: Props, config: Config) -> Iterator[Finding]:
    yield from _open_principals(_document(props.get("policy")), config, "policy")
