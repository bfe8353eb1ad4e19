"""The rules of the xacct CrossGuard pack, importable without starting a policy server.

Each rule is a row of docs/SECURITY-RULES.md: a name, an enforcement level, the type tokens it
applies to, its anchors (FSBP, AWSGuard, Checkov ids) and a check. Resource checks return
`Finding`s (property, bad value, fix); `resource_policy` turns them into messages that name the
resource, the property, the value and the fix. Stack checks get every resource with its property
dependencies, to follow wiring across resources (the NLB behind the endpoint service, ...).

Values unknown at preview: props come wrapped by the SDK's unknown-checking proxy, and reading an
unknown value raises `UnknownValueError`, which the SDK reports as "can't run policy ... during
preview" (advisory) instead of a violation. Checks read props directly and never swallow it;
stack checks report what they could evaluate, then re-raise the first unknown they met.

Layout (by area, the way AWSGuard groups its rules by service): `core` holds what the areas
share (`Rule`, `Finding`, `SET_BY`, the registry, the type tokens, the small readers); each
area module registers its rules when imported and imports from `core` only; `building` turns the
registry into the pack's policies and the README's rules table. This package re-exports the
public names of them all (`from policy import rules`, `rules.RULES`, `rules.SG`, ...).
"""

from __future__ import annotations

# isort: off
# Importing an area registers its rules. RULES (the README's rules table) lists the resource
# rules, then the stack rules, each in the order of these imports: keep it.
from . import (
    privatelink,
    load_balancing,
    network,
    s3,
    isolation,
    api_gateway,
    eks,
    logs,
    iam,
    encryption,
)
# isort: on

from .building import (
    ADVISORY_BECAUSE,
    build_policies,
    rules_table,
)
from .core import (
    ACCESS_ENTRY,
    ALLOWED_PRINCIPLE,
    BUCKET_POLICY,
    BUCKETS,
    CLASSIC_ELB,
    CONSUMER_SIDE,
    DEFAULT_SG,
    DOMAIN_NAME,
    EKS_CLUSTER,
    EKS_COMPONENT,
    ENDPOINT_SERVICE,
    FLOW_LOG,
    IAM_ATTACHMENT,
    IAM_ATTACHMENTS,
    IAM_EXCLUSIVE_ATTACHMENTS,
    IAM_INLINE,
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_USERS,
    INTEGRATION,
    INTEGRATION_V2,
    INTERNET_GATEWAY,
    INTERNET_PATHS,
    K8S_SERVICE,
    K8S_WORKLOADS,
    KMS_GRANT,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    LB,
    LISTENER,
    LOG_GROUP,
    METHOD,
    METHOD_SETTINGS,
    NODE_GROUP,
    PUBLIC_ACCESS_BLOCK,
    REST_API,
    REST_API_POLICY,
    ROUTE,
    ROUTE_TABLE_ASSOCIATION,
    ROUTE_V2,
    RULES,
    SET_BY,
    SG,
    SG_EGRESS,
    SG_INGRESS,
    SG_RULE,
    SG_TOKENS,
    SNS_TOPIC,
    STAGE,
    STAGE_V2,
    SUBNET,
    TOPIC_POLICY,
    TRAIL,
    TRUST_CONFIG,
    VPC,
    VPC_ENDPOINT,
    VPC_LINK,
    WAF_ASSOCIATION,
    WIDE_OPEN_ADDRESSES,
    A,
    Config,
    Finding,
    M,
    Props,
    ResourceCheck,
    Rule,
    StackCheck,
    area_of,
    resource_rule,
    stack_rule,
)
from .eks import (
    CONTROL_PLANE_LOG_TYPES,
    DEFAULT_SUPPORTED_EKS_VERSIONS,
    EKS_TOKENS,
    VERSIONS_CONFIG,
)
from .iam import (
    ADMIN_POLICIES,
    DATA_READS,
    ESCALATION_ACTIONS,
    NARROWING_KEYS,
)
from .load_balancing import (
    PASSTHROUGH_CONFIG,
    SECURE_LISTENER_PROTOCOLS,
    TLS_MINIMUM_OF_OLDER_POLICIES,
    tls_minimum,
)
from .logs import (
    DEFAULT_MIN_RETENTION_DAYS,
    RETENTION_CONFIG,
)
from .network import (
    PUBLIC_INGRESS_ADDRESSES,
    WIDE_PORT_RANGE,
)
from .privatelink import (
    PRINCIPALS_CONFIG,
)
from .s3 import (
    PUBLIC_ACCESS_FLAGS,
)

__all__ = [
    "ACCESS_ENTRY",
    "ADMIN_POLICIES",
    "ADVISORY_BECAUSE",
    "ALLOWED_PRINCIPLE",
    "BUCKETS",
    "BUCKET_POLICY",
    "CLASSIC_ELB",
    "CONSUMER_SIDE",
    "CONTROL_PLANE_LOG_TYPES",
    "DATA_READS",
    "DEFAULT_MIN_RETENTION_DAYS",
    "DEFAULT_SG",
    "DEFAULT_SUPPORTED_EKS_VERSIONS",
    "DOMAIN_NAME",
    "EKS_CLUSTER",
    "EKS_COMPONENT",
    "EKS_TOKENS",
    "ENDPOINT_SERVICE",
    "ESCALATION_ACTIONS",
    "FLOW_LOG",
    "IAM_ATTACHMENT",
    "IAM_ATTACHMENTS",
    "IAM_EXCLUSIVE_ATTACHMENTS",
    "IAM_INLINE",
    "IAM_POLICY",
    "IAM_ROLE",
    "IAM_ROLE_POLICY",
    "IAM_USERS",
    "INTEGRATION",
    "INTEGRATION_V2",
    "INTERNET_GATEWAY",
    "INTERNET_PATHS",
    "K8S_SERVICE",
    "K8S_WORKLOADS",
    "KMS_GRANT",
    "KMS_KEY",
    "LAUNCH_TEMPLATE",
    "LB",
    "LISTENER",
    "LOG_GROUP",
    "METHOD",
    "METHOD_SETTINGS",
    "NARROWING_KEYS",
    "NODE_GROUP",
    "PASSTHROUGH_CONFIG",
    "PRINCIPALS_CONFIG",
    "PUBLIC_ACCESS_BLOCK",
    "PUBLIC_ACCESS_FLAGS",
    "PUBLIC_INGRESS_ADDRESSES",
    "REST_API",
    "REST_API_POLICY",
    "RETENTION_CONFIG",
    "ROUTE",
    "ROUTE_TABLE_ASSOCIATION",
    "ROUTE_V2",
    "RULES",
    "SECURE_LISTENER_PROTOCOLS",
    "SET_BY",
    "SG",
    "SG_EGRESS",
    "SG_INGRESS",
    "SG_RULE",
    "SG_TOKENS",
    "SNS_TOPIC",
    "STAGE",
    "STAGE_V2",
    "SUBNET",
    "TLS_MINIMUM_OF_OLDER_POLICIES",
    "TOPIC_POLICY",
    "TRAIL",
    "TRUST_CONFIG",
    "VERSIONS_CONFIG",
    "VPC",
    "VPC_ENDPOINT",
    "VPC_LINK",
    "WAF_ASSOCIATION",
    "WIDE_OPEN_ADDRESSES",
    "WIDE_PORT_RANGE",
    "A",
    "Config",
    "Finding",
    "M",
    "Props",
    "ResourceCheck",
    "Rule",
    "StackCheck",
    "api_gateway",
    "area_of",
    "build_policies",
    "eks",
    "encryption",
    "iam",
    "isolation",
    "load_balancing",
    "logs",
    "network",
    "privatelink",
    "resource_rule",
    "rules_table",
    "s3",
    "stack_rule",
    "tls_minimum",
]
