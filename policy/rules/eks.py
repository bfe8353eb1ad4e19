"""EKS and the workload on it: a restricted public endpoint, access entries of this account,
private nodes with IMDSv2, unprivileged pods behind the provider NLB only, encrypted secrets,
control plane logs, a supported Kubernetes version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .core import (
    ACCESS_ENTRY,
    EKS_CLUSTER,
    EKS_COMPONENT,
    K8S_SERVICE,
    K8S_WORKLOADS,
    LAUNCH_TEMPLATE,
    NODE_GROUP,
    TRUST_CONFIG,
    A,
    Config,
    Finding,
    M,
    Props,
    _account,
    _foreign,
    _list,
    _wide_open,
    resource_rule,
)

# A config default: the schema declares it and the check falls back to the same constant.
DEFAULT_SUPPORTED_EKS_VERSIONS = ("1.31", "1.32", "1.33", "1.34")
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _eks_view(token: str, props: Props) -> tuple[Any, Any, Any, Any, Any]:
    """(public access, public CIDRs, secrets key, log types, version) of either cluster token."""
    if token == EKS_COMPONENT:
        return (
            props.get("endpointPublicAccess", True),
            props.get("publicAccessCidrs"),
            props.get("encryptionConfigKeyArn"),
            props.get("enabledClusterLogTypes"),
            props.get("version"),
        )
    vpc = props.get("vpcConfig") or {}
    key = None
    config = props.get("encryptionConfig") or {}
    if "secrets" in _list(config.get("resources")):
        key = (config.get("provider") or {}).get("keyArn")
    return (
        vpc.get("endpointPublicAccess", True),
        vpc.get("publicAccessCidrs"),
        key,
        props.get("enabledClusterLogTypes"),
        props.get("version"),
    )


EKS_TOKENS = (EKS_CLUSTER, EKS_COMPONENT)


@resource_rule(
    "eks-endpoint-restricted",
    M,
    EKS_TOKENS,
    "EKS.1, CKV_AWS_38/39",
    "The public API endpoint is off, or limited to named CIDRs covering at most a /8 together.",
)
def _eks_endpoint(token: str, props: Props, _: Config) -> Iterator[Finding]:
    public, cidrs, _key, _logs, _version = _eks_view(token, props)
    if public is False:
        return
    if not _list(cidrs):
        yield Finding(
            "publicAccessCidrs",
            cidrs,
            "list the CIDRs that may reach the public "
            "endpoint (EKS opens it to 0.0.0.0/0 otherwise), or turn it off",
        )
    why = _wide_open(_list(cidrs))
    if why:
        yield Finding("publicAccessCidrs", cidrs, f"these CIDRs {why}: name your runners' CIDRs")


@resource_rule(
    "eks-access-scoped",
    M,
    (*EKS_TOKENS, ACCESS_ENTRY),
    "arch, EKS access entries",
    "Cluster access goes through access entries (authentication mode API) for roles or users "
    "of this account, never an account root.",
    config=TRUST_CONFIG,
)
def _eks_access(token: str, props: Props, config: Config) -> Iterator[Finding]:
    if token == EKS_COMPONENT:
        mode = props.get("authenticationMode")
        entries = [e.get("principalArn") for e in (props.get("accessEntries") or {}).values()]
    elif token == EKS_CLUSTER:
        mode = (props.get("accessConfig") or {}).get("authenticationMode")
        entries = []
    else:
        mode, entries = "API", [props.get("principalArn")]
    if mode is not None and mode != "API":
        yield Finding("authenticationMode", mode, "use API: access entries, no aws-auth ConfigMap")
    for arn in (str(e) for e in entries if e):
        account = _account(arn)
        if arn.endswith(":root"):
            yield Finding("principalArn", arn, "name a role or user, not a whole account")
        elif account and _foreign({account}, config):
            yield Finding("principalArn", arn, "grant cluster access to this account only")


@resource_rule(
    "eks-nodes-private",
    M,
    (EKS_COMPONENT, NODE_GROUP, LAUNCH_TEMPLATE),
    "EC2.8, CKV_AWS_79/100",
    "Nodes get no public IP, no SSH open to the world, and IMDSv2 only.",
)
def _eks_nodes(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if token == EKS_COMPONENT and props.get("nodeAssociatePublicIpAddress") is True:
        yield Finding("nodeAssociatePublicIpAddress", True, "keep nodes on private addresses")
    if token == NODE_GROUP:
        remote = props.get("remoteAccess") or {}
        if remote and not _list(remote.get("sourceSecurityGroupIds")):
            yield Finding(
                "remoteAccess",
                remote,
                "no SSH to nodes (or from named security groups only: without them EKS opens "
                "port 22 to 0.0.0.0/0)",
            )
    if token == LAUNCH_TEMPLATE:
        metadata = props.get("metadataOptions") or {}
        if metadata.get("httpTokens") != "required":
            yield Finding(
                "metadataOptions.httpTokens", metadata.get("httpTokens"), "require IMDSv2"
            )


@resource_rule(
    "k8s-workload-private",
    M,
    (K8S_SERVICE, *K8S_WORKLOADS),
    "arch, Pod Security Standard restricted",
    "The workload is reached through the provider NLB only (no Service of type LoadBalancer), "
    "and its pods run unprivileged, off the host's network.",
)
def _k8s_workload(token: str, props: Props, _: Config) -> Iterator[Finding]:
    spec = props.get("spec") or {}
    if token == K8S_SERVICE:
        if spec.get("type") == "LoadBalancer":
            yield Finding(
                "spec.type",
                "LoadBalancer",
                "use NodePort or ClusterIP: a LoadBalancer Service makes an ELB outside "
                "PrivateLink",
            )
        return
    pod = spec if token.endswith(":Pod") else (spec.get("template") or {}).get("spec") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag) is True:
            yield Finding(f"spec.{flag}", True, "keep the pod off the node's namespaces")
    for container in _list(pod.get("containers")) + _list(pod.get("initContainers")):
        context = container.get("securityContext") or {}
        for flag in ("privileged", "allowPrivilegeEscalation"):
            if context.get(flag) is True:
                yield Finding(
                    f"containers[{container.get('name')}].securityContext.{flag}",
                    True,
                    "run the container unprivileged",
                )


@resource_rule(
    "eks-secrets-encryption",
    M,
    EKS_TOKENS,
    "EKS.3, CKV_AWS_58",
    "Kubernetes secrets are envelope-encrypted with a KMS key.",
)
def _eks_secrets(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if not _eks_view(token, props)[2]:
        yield Finding("encryptionConfig", None, "encrypt the `secrets` resource with a KMS key")


@resource_rule(
    "eks-audit-logging", M, EKS_TOKENS, "EKS.8, CKV_AWS_37", "The control plane writes audit logs."
)
def _eks_audit(token: str, props: Props, _: Config) -> Iterator[Finding]:
    types = _list(_eks_view(token, props)[3])
    if "audit" not in types:
        yield Finding("enabledClusterLogTypes", types, "add `audit`")


@resource_rule(
    "eks-all-control-plane-logs",
    A,
    EKS_TOKENS,
    "EKS.8",
    "The control plane writes all five log types.",
)
def _eks_all_logs(token: str, props: Props, _: Config) -> Iterator[Finding]:
    types = _list(_eks_view(token, props)[3])
    missing = [t for t in CONTROL_PLANE_LOG_TYPES if t not in types]
    if missing:
        yield Finding("enabledClusterLogTypes", types, f"add {', '.join(missing)}")


VERSIONS_CONFIG = {
    "supportedVersions": {
        "type": "array",
        "items": {"type": "string"},
        "default": list(DEFAULT_SUPPORTED_EKS_VERSIONS),
        "description": "Kubernetes versions in standard support.",
    }
}


@resource_rule(
    "eks-supported-version",
    A,
    EKS_TOKENS,
    "EKS.2, CKV_AWS_339",
    "The cluster runs a Kubernetes version in standard support.",
    config=VERSIONS_CONFIG,
)
def _eks_version(token: str, props: Props, config: Config) -> Iterator[Finding]:
    version = _eks_view(token, props)[4]
    supported = list(config.get("supportedVersions") or DEFAULT_SUPPORTED_EKS_VERSIONS)
    if version is not None and version not in supported:
        yield Finding("version", version, f"use one of {', '.join(supported)}")
