"""The EKS and Kubernetes workload rules (policy/rules/eks.py)."""

from __future__ import annotations

from typing import Any

import pytest

from policy import rules
from tests.policy_rules.support import (
    ME,
    OTHER,
    TRUSTED,
    WORLD,
    Case,
    uncovered,
    validate,
)

EKS_OK = {
    "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]},
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:key"}},
    "enabledClusterLogTypes": list(rules.CONTROL_PLANE_LOG_TYPES),
    "version": "1.33",
}


# (policy, token, props, config, expected messages); [] means the props pass.
CASES: list[Case] = [
    ("eks-endpoint-restricted", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-endpoint-restricted",
        rules.EKS_CLUSTER,
        {**EKS_OK, "vpcConfig": {"endpointPublicAccess": False}},
        {},
        [],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_CLUSTER,
        {**EKS_OK, "vpcConfig": {"endpointPublicAccess": True}},
        {},
        [
            "aws:eks/cluster:Cluster 'r': publicAccessCidrs is not set (this program sets it from xacct:clusterPublicAccessCidrs); list the CIDRs that may "
            "reach the public endpoint (EKS opens it to 0.0.0.0/0 otherwise), or turn it off"
        ],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_COMPONENT,
        {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
        {},
        [
            "eks:index:Cluster 'r': publicAccessCidrs is ['0.0.0.0/0'] (this program sets it from xacct:clusterPublicAccessCidrs); "
            f"{WORLD}: name your runners' CIDRs"
        ],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_COMPONENT,
        {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
        {},
        [
            "eks:index:Cluster 'r': publicAccessCidrs is ['0.0.0.0/1', '128.0.0.0/1'] (this program sets it from xacct:clusterPublicAccessCidrs); "
            f"{WORLD}: name your runners' CIDRs"
        ],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_CLUSTER,
        {**EKS_OK, "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["::/0"]}},
        {},
        [
            "aws:eks/cluster:Cluster 'r': publicAccessCidrs is ['::/0'] (this program sets it from xacct:clusterPublicAccessCidrs); "
            f"{WORLD}: name your runners' CIDRs"
        ],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_COMPONENT,
        {"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24", "2.0.0.0/9"]},
        {},
        [],
    ),
    ("eks-endpoint-restricted", rules.EKS_COMPONENT, {}, {}, []),  # the engine's empty props
    ("eks-secrets-encryption", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-secrets-encryption",
        rules.EKS_CLUSTER,
        {**EKS_OK, "encryptionConfig": None},
        {},
        [
            "aws:eks/cluster:Cluster 'r': encryptionConfig is not set; encrypt the `secrets` "
            "resource with a KMS key"
        ],
    ),
    ("eks-audit-logging", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-audit-logging",
        rules.EKS_COMPONENT,
        {"endpointPublicAccess": False, "enabledClusterLogTypes": ["api"]},
        {},
        ["eks:index:Cluster 'r': enabledClusterLogTypes is ['api']; add `audit`"],
    ),
    ("eks-all-control-plane-logs", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-all-control-plane-logs",
        rules.EKS_CLUSTER,
        {**EKS_OK, "enabledClusterLogTypes": ["api", "audit"]},
        {},
        [
            "aws:eks/cluster:Cluster 'r': enabledClusterLogTypes is ['api', 'audit']; add "
            "authenticator, controllerManager, scheduler"
        ],
    ),
    ("eks-supported-version", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-supported-version",
        rules.EKS_CLUSTER,
        EKS_OK,
        {"supportedVersions": ["1.34"]},
        [
            "aws:eks/cluster:Cluster 'r': version is '1.33' (this program sets it from xacct:kubernetesVersion); use one of 1.34"
        ],
    ),
    (
        "eks-access-scoped",
        rules.EKS_COMPONENT,
        {
            "authenticationMode": "API",
            "accessEntries": {"ops": {"principalArn": f"arn:aws:iam::{ME}:role/ops"}},
        },
        TRUSTED,
        [],
    ),
    (
        "eks-access-scoped",
        rules.EKS_COMPONENT,
        {"authenticationMode": "API_AND_CONFIG_MAP"},
        {},
        [
            "eks:index:Cluster 'r': authenticationMode is 'API_AND_CONFIG_MAP'; use API: access entries, no aws-auth ConfigMap"
        ],
    ),
    (
        "eks-access-scoped",
        rules.EKS_CLUSTER,
        {"accessConfig": {"authenticationMode": "CONFIG_MAP"}},
        {},
        [
            "aws:eks/cluster:Cluster 'r': authenticationMode is 'CONFIG_MAP'; use API: access entries, no aws-auth ConfigMap"
        ],
    ),
    (
        "eks-access-scoped",
        rules.ACCESS_ENTRY,
        {"principalArn": f"arn:aws:iam::{ME}:root"},
        {},
        [
            "aws:eks/accessEntry:AccessEntry 'r': principalArn is 'arn:aws:iam::111111111111:root' (this program sets it from xacct:clusterAdminArns); name a role or user, not a whole account"
        ],
    ),
    (
        "eks-access-scoped",
        rules.ACCESS_ENTRY,
        {"principalArn": f"arn:aws:iam::{OTHER}:role/ops"},
        TRUSTED,
        [
            "aws:eks/accessEntry:AccessEntry 'r': principalArn is 'arn:aws:iam::222222222222:role/ops' (this program sets it from xacct:clusterAdminArns); grant cluster access to this account only"
        ],
    ),
    (
        "eks-access-scoped",
        rules.ACCESS_ENTRY,
        {"principalArn": f"arn:aws:iam::{ME}:role/ops"},
        TRUSTED,
        [],
    ),
    (
        "eks-nodes-private",
        rules.NODE_GROUP,
        {"remoteAccess": {"ec2SshKey": "k", "sourceSecurityGroupIds": ["sg-1"]}},
        {},
        [],
    ),
    (
        "eks-nodes-private",
        rules.NODE_GROUP,
        {"remoteAccess": {"ec2SshKey": "k"}},
        {},
        [
            "aws:eks/nodeGroup:NodeGroup 'r': remoteAccess is {'ec2SshKey': 'k'}; no SSH to nodes (or from named security groups only: without them EKS opens port 22 to 0.0.0.0/0)"
        ],
    ),
    (
        "eks-nodes-private",
        rules.LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "required"}},
        {},
        [],
    ),
    (
        "eks-nodes-private",
        rules.LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "optional"}},
        {},
        [
            "aws:ec2/launchTemplate:LaunchTemplate 'r': metadataOptions.httpTokens is 'optional'; require IMDSv2"
        ],
    ),
    (
        "eks-nodes-private",
        rules.EKS_COMPONENT,
        {"nodeAssociatePublicIpAddress": True},
        {},
        [
            "eks:index:Cluster 'r': nodeAssociatePublicIpAddress is True; keep nodes on private addresses"
        ],
    ),
    ("k8s-workload-private", rules.K8S_SERVICE, {"spec": {"type": "NodePort"}}, {}, []),
    (
        "k8s-workload-private",
        rules.K8S_SERVICE,
        {"spec": {"type": "LoadBalancer"}},
        {},
        [
            "kubernetes:core/v1:Service 'r': spec.type is 'LoadBalancer'; use NodePort or ClusterIP: a LoadBalancer Service makes an ELB outside PrivateLink"
        ],
    ),
    (
        "k8s-workload-private",
        "kubernetes:apps/v1:Deployment",
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "app", "securityContext": {"allowPrivilegeEscalation": False}}
                        ]
                    }
                }
            }
        },
        {},
        [],
    ),
    (
        "k8s-workload-private",
        "kubernetes:apps/v1:Deployment",
        {
            "spec": {
                "template": {
                    "spec": {
                        "hostNetwork": True,
                        "containers": [{"name": "app", "securityContext": {"privileged": True}}],
                    }
                }
            }
        },
        {},
        [
            "kubernetes:apps/v1:Deployment 'r': spec.hostNetwork is True; keep the pod off the node's namespaces",
            "kubernetes:apps/v1:Deployment 'r': containers[app].securityContext.privileged is True; run the container unprivileged",
        ],
    ),
    (
        "k8s-workload-private",
        "kubernetes:core/v1:Pod",
        {
            "spec": {
                "hostPID": True,
                "initContainers": [
                    {"name": "init", "securityContext": {"allowPrivilegeEscalation": True}}
                ],
            }
        },
        {},
        [
            "kubernetes:core/v1:Pod 'r': spec.hostPID is True; keep the pod off the node's namespaces",
            "kubernetes:core/v1:Pod 'r': containers[init].securityContext.allowPrivilegeEscalation is True; run the container unprivileged",
        ],
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
    assert uncovered(CASES, "eks") == []
