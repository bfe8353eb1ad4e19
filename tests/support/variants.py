"""The documented variants of both stacks, run once per test session on the recording mocks.

The policy gate and the AWS create-time rules judge the same runs: every variant a user can
configure, with the default name prefix and with the longest and shortest the config accepts.
"""

from __future__ import annotations

import functools
from typing import Any

from components.settings import NAME_MAX_LENGTH
from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG
from tests.support.program import Run, run_program
from xacct_ops.gate import gate_config
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, PROVIDER_ACCOUNT, FakeAccount

PROVIDER_STACK = "organization/xacct/provider"
CERT = "arn:aws:acm:us-east-1:222222222222:certificate/12345678-1234-1234-1234-123456789012"
CONSUMER_CERT = (
    "arn:aws:acm:us-east-1:111111111111:certificate/87654321-4321-4321-4321-210987654321"
)
ECR_IMAGE = "222222222222.dkr.ecr.us-east-1.amazonaws.com/backend:1.0"
TLS_IMAGE = "222222222222.dkr.ecr.us-east-1.amazonaws.com/tls-backend:1.0"
LONGEST_NAME = "p" + "x" * (NAME_MAX_LENGTH - 2) + "1"
SHORTEST_NAME = "p01"

EXISTING_SUBNETS = {
    "subnet-0aaa1111bbbb2222c": {
        "vpc_id": "vpc-0abc1234def567890",
        "az_id": "use1-az1",
        "cidr": "10.20.0.0/20",
    },
    "subnet-0ddd3333eeee4444f": {
        "vpc_id": "vpc-0abc1234def567890",
        "az_id": "use1-az2",
        "cidr": "10.20.16.0/20",
    },
    "subnet-0fff5555aaaa6666b": {
        "vpc_id": "vpc-0999999999999999a",
        "az_id": "use1-az4",
        "cidr": "10.30.0.0/20",
    },
}
EXISTING_VPC_CONFIG = {
    "existingVpcId": "vpc-0abc1234def567890",
    "existingSubnetIds": ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"],
}
EXISTING_CLUSTER_CONFIG = {
    **EXISTING_VPC_CONFIG,
    "existingClusterName": "platform-prod",
    "existingNodeAsgNames": ["eks-ng-a-1234", "eks-ng-b-5678"],
    "existingNodeSecurityGroupId": "sg-0123456789abcdef0",
}
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/PLATFORM-PROD"


def existing_account(oidc_provider: bool = False) -> FakeAccount:
    """The provider's account with a VPC, subnets and the cluster `platform-prod` (with an IAM
    OIDC provider for its issuer when asked)."""
    return FakeAccount(
        subnets={sid: dict(subnet) for sid, subnet in EXISTING_SUBNETS.items()},
        vpcs={"vpc-0abc1234def567890": "10.20.0.0/16"},
        clusters={"platform-prod": "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com"},
        oidc_providers={ISSUER} if oidc_provider else set(),
    )


def consumer_account() -> FakeAccount:
    return FakeAccount(account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT]))


# Each documented variant: the keys it changes (None removes a key from the base config).
PROVIDER_VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "private-only-cluster": {"clusterPublicAccessCidrs": []},
    "vpc-endpoint-egress": {"nodeEgress": "vpc-endpoints", "workloadImage": ECR_IMAGE},
    "existing-certificate": {"route53ZoneId": None, "certificateArn": CERT},
    "tls-passthrough": {
        "tlsMode": "passthrough",
        "route53ZoneId": None,
        "workloadImage": TLS_IMAGE,
    },
    "own-workload": {"deployWorkload": "false", "nodePort": "31000"},
    "cloudtrail": {"createCloudTrail": "true"},
    "monitoring-off": {"monitoring": "false"},
    "connection-notifications": {"connectionNotifications": "true"},
    "private-dns-name": {"publishPrivateDnsName": "true"},
    "private-dns-name-own-certificate": {
        "publishPrivateDnsName": "true",
        "route53ZoneId": None,
        "certificateArn": CERT,
    },
    "ip-targets-irsa": {"targetMode": "ip"},
    "ip-targets-pod-identity": {"targetMode": "ip", "lbControllerIdentity": "pod-identity"},
    "existing-network": dict(EXISTING_VPC_CONFIG),
    "existing-network-and-cluster": {
        **EXISTING_CLUSTER_CONFIG,
        "clusterPublicAccessCidrs": None,
        "clusterAdminArns": None,
    },
    "existing-cluster-ip-targets": {
        **EXISTING_CLUSTER_CONFIG,
        "clusterPublicAccessCidrs": None,
        "clusterAdminArns": None,
        "targetMode": "ip",
    },
}
CONSUMER_VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "vpc-link-v1": {"vpcLinkVersion": "v1"},
    "api-key": {"apiAuthorization": "api-key"},
    "no-account-role": {"manageApiGatewayAccount": "false"},
    "monitoring-off": {"monitoring": "false"},
    "explicit-endpoint-ips": {"endpointIps": ["10.0.0.77", "10.0.16.77"]},
    "http-front": {"frontend": "http"},
    "http-front-monitoring-off": {"frontend": "http", "monitoring": "false"},
    "custom-domain": {
        "apiDomainName": "api.team-a.example.com",
        "apiRoute53ZoneId": "Z0CONSUMER0ZONE0000001",
        "disableExecuteApiEndpoint": "true",
    },
    "custom-domain-http-own-certificate": {
        "frontend": "http",
        "apiDomainName": "api.team-a.example.com",
        "apiCertificateArn": CONSUMER_CERT,
    },
    "custom-domain-mutual-tls": {
        "apiDomainName": "api.team-a.example.com",
        "apiRoute53ZoneId": "Z0CONSUMER0ZONE0000001",
        "disableExecuteApiEndpoint": "true",
        "apiMutualTlsTruststore": "tests/data/truststore.pem",
    },
    "waf": {"apiWaf": "true", "apiWafRateLimit": "500"},
    "private-api": {"apiEndpointType": "private"},
    "private-api-custom-domain": {
        "apiEndpointType": "private",
        "apiDomainName": "api.team-a.example.com",
        "apiRoute53ZoneId": "Z0CONSUMER0ZONE0000001",
    },
    "private-api-other-callers-only": {
        "apiEndpointType": "private",
        "privateApiOwnEndpoint": "false",
        "privateApiVpcEndpointIds": ["vpce-0a1b2c3d4e5f60718"],
    },
}
PREFIXES = {"default": None, "longest": LONGEST_NAME, "shortest": SHORTEST_NAME}
VARIANT_PREFIX = "longest"
"""The prefix variants are judged with: the longest, where every name is at its longest."""


def config_of(base: dict[str, Any], changes: dict[str, Any], name: str | None) -> dict[str, Any]:
    merged = {**base, **changes, **({"name": name} if name else {})}
    return {k: v for k, v in merged.items() if v is not None}


def provider_settings(variant: str, prefix: str = "default") -> dict[str, Any]:
    return config_of(PROVIDER_CONFIG, PROVIDER_VARIANTS[variant], PREFIXES[prefix])


GATE = {
    "provider": gate_config("provider", PROVIDER_CONFIG, account=PROVIDER_ACCOUNT),
    "consumer": gate_config("consumer", CONSUMER_CONFIG, account=CONSUMER_ACCOUNT),
}
"""The policy pack's config the rollout gives each default stack (xacct_ops/gate.py)."""


@functools.cache
def provider_variant(variant: str, prefix: str = "default") -> Run:
    changes = PROVIDER_VARIANTS[variant]
    irsa = changes.get("targetMode") == "ip"
    account = existing_account(oidc_provider=irsa) if "existingVpcId" in changes else None
    config = config_of(PROVIDER_CONFIG, changes, PREFIXES[prefix])
    return run_program(config, account=account, stack_name="provider")


@functools.cache
def consumer_variant(variant: str, prefix: str = "default") -> Run:
    config = config_of(CONSUMER_CONFIG, CONSUMER_VARIANTS[variant], PREFIXES[prefix])
    return run_program(
        config,
        account=consumer_account(),
        stacks={PROVIDER_STACK: provider_variant("default", prefix).exports},
        stack_name="consumer",
    )


@functools.cache
def accepting_provider(prefix: str = "default") -> Run:
    """The provider's second run, accepting the default consumer's endpoint."""
    consumer = f"organization/xacct/consumer-{prefix}"
    config = config_of(PROVIDER_CONFIG, {"consumerStacks": [consumer]}, PREFIXES[prefix])
    return run_program(
        config,
        stacks={consumer: consumer_variant("default", prefix).exports},
        stack_name="provider",
    )
