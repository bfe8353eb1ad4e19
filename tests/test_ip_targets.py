"""targetMode ip: the AWS Load Balancer Controller's chart, its role and trust, the
TargetGroupBinding pointing at the NLB's target group and the Service, ip targets on the pods'
port, the security group rule; instance mode unchanged; bad combinations refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.cluster import OidcProviderMissingError
from components.lb_controller import POLICY_FILE, controller_policy
from components.settings import ConfigError, parse_settings
from policy.offline import evaluate, mandatory
from tests.support.configs import PROVIDER_CONFIG
from tests.support.program import Run, run_program
from tests.support.variants import EXISTING_CLUSTER_CONFIG, existing_account

RELEASE = "kubernetes:helm.sh/v3:Release"
BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
TG = "aws:lb/targetGroup:TargetGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/PLATFORM-PROD"


def provider(account: Any = None, **changes: Any) -> Run:
    config = {k: v for k, v in {**PROVIDER_CONFIG, **changes}.items() if v is not None}
    return run_program(config, account=account, stack_name="provider")


@pytest.fixture(scope="module")
def ip() -> Run:
    return provider(targetMode="ip")


def test_target_group_holds_pod_ips_on_the_pods_port(ip: Run) -> None:
    tg = ip.one(TG).inputs
    assert tg["targetType"] == "ip" and tg["port"] == 8080
    assert not ip.of_type("aws:autoscaling/attachment:Attachment")
    rule = ip.one(INGRESS, "nlb-nodes-in").inputs
    assert (rule["fromPort"], rule["toPort"]) == (8080, 8080)
    assert rule["securityGroupId"] == ip.one("eks:index:Cluster").outputs["clusterSecurityGroupId"]
    assert (
        rule["referencedSecurityGroupId"]
        == ip.one("aws:ec2/securityGroup:SecurityGroup", "lb-nlb").id
    )


def test_binding_points_at_the_target_group_and_the_service(ip: Run) -> None:
    binding = ip.one(BINDING)
    service = ip.one("kubernetes:core/v1:Service")
    assert binding.inputs["spec"] == {
        "serviceRef": {"name": service.inputs["metadata"]["name"], "port": 80},
        "targetGroupARN": ip.one(TG).outputs["arn"],
        "targetType": "ip",
    }
    assert service.inputs["metadata"]["name"] == "xacct-backend"
    assert service.inputs["spec"]["type"] == "ClusterIP"
    assert "nodePort" not in service.inputs["spec"]["ports"][0]
    assert ip.one(RELEASE).urn in binding.dependencies


def test_controller_chart_is_pinned_and_configured(ip: Run) -> None:
    release = ip.one(RELEASE).inputs
    assert (release["chart"], release["version"], release["namespace"]) == (
        "aws-load-balancer-controller",
        "1.17.1",
        "kube-system",
    )
    assert release["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    values = release["values"]
    assert values["clusterName"] == "xacct-eks"
    assert values["vpcId"] == ip.one("aws:ec2/vpc:Vpc").id
    assert values["enableServiceMutatorWebhook"] is False
    role = ip.one("aws:iam/role:Role", "lbc-role")
    assert values["serviceAccount"] == {
        "create": True,
        "name": "aws-load-balancer-controller",
        "annotations": {"eks.amazonaws.com/role-arn": role.outputs["arn"]},
    }
    assert ip.one("aws:eks/nodeGroup:NodeGroup").urn in ip.one(RELEASE).dependencies


def test_controller_trust_is_limited_to_its_service_account(ip: Run) -> None:
    cluster = ip.one("eks:index:Cluster").outputs
    trust = json.loads(ip.one("aws:iam/role:Role", "lbc-role").inputs["assumeRolePolicy"])
    statement = trust["Statement"][0]
    issuer = cluster["oidcIssuer"]
    assert statement["Principal"] == {"Federated": cluster["oidcProviderArn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
        f"{issuer}:aud": "sts.amazonaws.com",
    }


def test_controller_policy_is_the_data_file_bound_to_our_target_group(ip: Run) -> None:
    policy = json.loads(ip.one("aws:iam/rolePolicy:RolePolicy", "lbc-policy").inputs["policy"])
    register = next(s for s in policy["Statement"] if "RegisterTargets" in str(s["Action"]))
    assert register["Resource"] == ip.one(TG).outputs["arn"]
    source = json.loads(POLICY_FILE.read_text())
    assert [s["Action"] for s in policy["Statement"]] == [s["Action"] for s in source["Statement"]]
    assert json.loads(controller_policy("arn:tg"))["Statement"][1]["Resource"] == "arn:tg"


def test_pod_identity_instead_of_irsa(ip: Run) -> None:
    run = provider(targetMode="ip", lbControllerIdentity="pod-identity")
    association = run.one("aws:eks/podIdentityAssociation:PodIdentityAssociation").inputs
    role = run.one("aws:iam/role:Role", "lbc-role")
    assert association == {
        "clusterName": "xacct-eks",
        "namespace": "kube-system",
        "serviceAccount": "aws-load-balancer-controller",
        "roleArn": role.outputs["arn"],
    }
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert run.one("aws:eks/addon:Addon").inputs["addonName"] == "eks-pod-identity-agent"
    assert "annotations" not in run.one(RELEASE).inputs["values"]["serviceAccount"]


def test_existing_cluster_running_its_own_controller_gets_only_the_binding() -> None:
    run = provider(
        existing_account(),
        **EXISTING_CLUSTER_CONFIG,
        clusterPublicAccessCidrs=None,
        clusterAdminArns=None,
        targetMode="ip",
        installLbController="false",
    )
    assert not run.of_type(RELEASE, "xacct:provider:LoadBalancerController")
    assert run.one(BINDING).inputs["spec"]["targetGroupARN"] == run.one(TG).outputs["arn"]
    assert run.one(INGRESS, "nlb-nodes-in").inputs["securityGroupId"] == "sg-0123456789abcdef0"


def test_existing_cluster_with_an_oidc_provider_uses_irsa() -> None:
    account = existing_account()
    account.oidc_providers.add(ISSUER)
    run = provider(
        account,
        **EXISTING_CLUSTER_CONFIG,
        clusterPublicAccessCidrs=None,
        clusterAdminArns=None,
        targetMode="ip",
    )
    trust = json.loads(run.one("aws:iam/role:Role", "lbc-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"]["Federated"].endswith(ISSUER.removeprefix("https://"))


def test_ip_mode_without_oidc_provider_or_pod_identity_fails_clearly() -> None:
    with pytest.raises(OidcProviderMissingError) as caught:
        provider(
            existing_account(),
            **EXISTING_CLUSTER_CONFIG,
            clusterPublicAccessCidrs=None,
            clusterAdminArns=None,
            targetMode="ip",
        )
    message = str(caught.value)
    assert "cluster 'platform-prod' has no IAM OIDC provider" in message
    assert "set xacct:lbControllerIdentity pod-identity" in message


def raw(values: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"lbControllerIdentity": "pod-identity"},
            "xacct:lbControllerIdentity: must not be set with xacct:targetMode instance (no "
            "controller is used)",
        ),
        (
            {"targetMode": "ip", "deployWorkload": "false", "nodePort": "31000"},
            "xacct:targetMode: 'ip' binds the sample workload's Service with a TargetGroupBinding: "
            "it needs xacct:deployWorkload true (for your own workload, use instance mode and its "
            "node port)",
        ),
        (
            {
                "targetMode": "ip",
                "installLbController": "false",
                "lbControllerChartVersion": "1.2.3",
            },
            "xacct:lbControllerChartVersion: must not be set with xacct:installLbController false "
            "(the cluster runs its own controller)",
        ),
        (
            {"targetMode": "ip", "lbControllerChartVersion": "latest"},
            "xacct:lbControllerChartVersion: 'latest' is not a chart version such as 1.17.1",
        ),
        ({"targetMode": "pods"}, "xacct:targetMode: 'pods' is not one of: instance, ip"),
        (
            {"targetMode": "ip", "lbControllerIdentity": "keys"},
            "xacct:lbControllerIdentity: 'keys' is not one of: irsa, pod-identity",
        ),
    ],
)
def test_bad_target_settings_are_named(changes: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw({**PROVIDER_CONFIG, **changes}))
    assert expected in caught.value.problems


def test_instance_mode_is_unchanged() -> None:
    run = provider()
    assert run.one(TG).inputs["targetType"] == "instance"
    assert not run.of_type(RELEASE, BINDING)


def test_policy_pack_passes_in_ip_mode_including_the_controller_role(ip: Run) -> None:
    assert mandatory(evaluate(ip.registrations)) == []
    pod_identity = provider(targetMode="ip", lbControllerIdentity="pod-identity")
    assert mandatory(evaluate(pod_identity.registrations)) == []
