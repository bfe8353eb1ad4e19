"""LoadBalancerController: the AWS Load Balancer Controller (Helm chart, pinned version) with an
IAM role for its service account, for `targetMode: ip`, where a TargetGroupBinding keeps the
provider NLB's target group filled with pod IPs.

The role's policy is the data file `data/lb-controller-target-group-binding-policy.json`: the
controller's documented actions that a TargetGroupBinding uses (discovery, and register /
deregister on the one bound target group), not the full policy it needs to create load
balancers for Ingress and Service objects, which this stack never asks it to do.

Identity: IRSA through the cluster's IAM OIDC provider (trust limited to the controller's
service account), or EKS Pod Identity (an association for that service account).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.lookups import AccountFacts

CHART = "aws-load-balancer-controller"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
POLICY_FILE = (
    Path(__file__).resolve().parent / "data" / "lb-controller-target-group-binding-policy.json"
)
TARGET_GROUP_PLACEHOLDER = "TARGET_GROUP_ARN"


def controller_policy(target_group_arn: str) -> str:
    """The data file's policy, bound to one target group."""
    document = json.loads(POLICY_FILE.read_text())
    for statement in document["Statement"]:
        if statement["Resource"] == TARGET_GROUP_PLACEHOLDER:
            statement["Resource"] = target_group_arn
    return json.dumps(document)


def irsa_trust(provider_arn: str, issuer: str) -> str:
    issuer = issuer.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def pod_identity_trust() -> str:
    """EKS Pod Identity's documented trust; the PodIdentityAssociation names the one service
    account that gets the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )


@dataclass(frozen=True, kw_only=True)
class LoadBalancerControllerArgs:
    facts: AccountFacts
    cluster_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    chart_version: str
    identity: Literal["irsa", "pod-identity"]
    target_group_arn: pulumi.Input[str]
    kubernetes: k8s.Provider
    oidc_provider_arn: pulumi.Input[str] | None = None
    oidc_issuer: pulumi.Input[str] | None = None
    install_pod_identity_agent: bool = False
    depends_on: list[pulumi.Resource] | None = None
    tags: dict[str, str] | None = None


class LoadBalancerController(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    """The controller's IAM role."""
    release: k8s.helm.v3.Release
    """The Helm release: TargetGroupBindings wait for it (it installs their CRD)."""

    def __init__(
        self,
        name: str,
        args: LoadBalancerControllerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("xacct:provider:LoadBalancerController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.identity == "irsa":
            if args.oidc_provider_arn is None or args.oidc_issuer is None:
                raise ValueError("IRSA needs the cluster's OIDC provider ARN and issuer")
            trust: pulumi.Input[str] = pulumi.Output.all(
                args.oidc_provider_arn, args.oidc_issuer
            ).apply(lambda values: irsa_trust(values[0], values[1]))
        else:
            trust = pod_identity_trust()
        role = aws.iam.Role(f"{name}-role", assume_role_policy=trust, tags=args.tags, opts=child)
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.from_input(args.target_group_arn).apply(controller_policy),
            opts=child,
        )
        ready: list[pulumi.Resource] = [policy, *(args.depends_on or [])]
        service_account: dict[str, Any] = {"create": True, "name": SERVICE_ACCOUNT}
        if args.identity == "irsa":
            service_account["annotations"] = {"eks.amazonaws.com/role-arn": role.arn}
        else:
            if args.install_pod_identity_agent:
                ready.append(
                    aws.eks.Addon(
                        f"{name}-pod-identity-agent",
                        cluster_name=args.cluster_name,
                        addon_name="eks-pod-identity-agent",
                        opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
                    )
                )
            ready.append(
                aws.eks.PodIdentityAssociation(
                    f"{name}-identity",
                    cluster_name=args.cluster_name,
                    namespace=NAMESPACE,
                    service_account=SERVICE_ACCOUNT,
                    role_arn=role.arn,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
                )
            )
        self.release = k8s.helm.v3.Release(
            f"{name}-chart",
            name=CHART,
            chart=CHART,
            version=args.chart_version,
            namespace=NAMESPACE,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            values={
                "clusterName": args.cluster_name,
                "region": args.facts.region,
                "vpcId": args.vpc_id,
                "replicaCount": 2,
                "serviceAccount": service_account,
                # Only TargetGroupBindings: leave other Services of type LoadBalancer alone.
                "enableServiceMutatorWebhook": False,
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes, depends_on=ready),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})
