"""The provider stack on recording mocks: wiring between resources and security properties,
one group per part of the component (network, cluster, workload, NLB, endpoint service, audit,
exports), with the create-vs-existing variants."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import outputs as keys
from components.cluster import CLUSTER_ADMIN_POLICY
from components.errors import StackError
from components.network import PlacementError
from components.settings import ConfigError
from tests.support.configs import PROVIDER_CONFIG
from tests.support.program import Run, run_program
from tests.support.variants import (
    ECR_IMAGE,
    EXISTING_CLUSTER_CONFIG,
    EXISTING_VPC_CONFIG,
    TLS_IMAGE,
    existing_account,
)
from xacct_ops.offline_engine import FakeAccount, Registration

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NLB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
EKS = "eks:index:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ATTACHMENT = "aws:autoscaling/attachment:Attachment"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
K8S_SERVICE = "kubernetes:core/v1:Service"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def provider_run(account: FakeAccount | None = None, **changes: Any) -> Run:
    config = {k: v for k, v in {**PROVIDER_CONFIG, **changes}.items() if v is not None}
    return run_program(config, account=account, stack_name="provider")


@pytest.fixture(scope="module")
def run() -> Run:
    return provider_run()


def as_json(value: Any) -> Any:
    """Provider inputs reach the mock monitor decoded when they hold JSON."""
    return json.loads(value) if isinstance(value, str) else value


def private_subnets(run: Run) -> list[Registration]:
    """In AZ order (registration order across threads is not deterministic)."""
    return sorted((r for r in run.of_type(SUBNET) if "-private-" in r.name), key=lambda r: r.name)


# ---- 1. network --------------------------------------------------------------------------


def test_created_vpc_has_private_subnets_in_distinct_az_ids(run: Run) -> None:
    vpc = run.one(VPC)
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True
    subnets = private_subnets(run)
    assert [s.inputs["availabilityZoneId"] for s in subnets] == ["use1-az1", "use1-az2"]
    assert [s.inputs["cidrBlock"] for s in subnets] == ["10.0.0.0/20", "10.0.16.0/20"]
    assert all(s.inputs["vpcId"] == vpc.id for s in subnets)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_created_vpc_has_a_flow_log_with_retention(run: Run) -> None:
    vpc, flow_log = run.one(VPC), run.one("aws:ec2/flowLog:FlowLog")
    group = run.one(LOG_GROUP, "flow-logs")
    assert flow_log.inputs["vpcId"] == vpc.id
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == run.one("aws:kms/key:Key", "logs").outputs["arn"]


def test_nat_egress_routes_private_subnets_through_one_nat(run: Run) -> None:
    nat = run.one("aws:ec2/natGateway:NatGateway")
    public = sorted((r for r in run.of_type(SUBNET) if "-public-" in r.name), key=lambda r: r.name)
    assert nat.inputs["subnetId"] == public[0].id
    route = run.one("aws:ec2/route:Route", "private-default")
    assert route.inputs["natGatewayId"] == nat.id
    assert route.inputs["routeTableId"] == run.one("aws:ec2/routeTable:RouteTable", "private").id


def test_vpc_endpoint_egress_has_no_internet_path() -> None:
    run = provider_run(nodeEgress="vpc-endpoints", workloadImage=ECR_IMAGE)
    assert not run.of_type(
        "aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway"
    )
    services = {r.inputs["serviceName"] for r in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert {
        "com.amazonaws.us-east-1.ecr.api",
        "com.amazonaws.us-east-1.ecr.dkr",
        "com.amazonaws.us-east-1.s3",
        "com.amazonaws.us-east-1.sts",
    } <= services
    rule = run.one(INGRESS, "aws-endpoints")
    assert rule.inputs["cidrIpv4"] == "10.0.0.0/16" and rule.inputs["fromPort"] == 443


def test_existing_vpc_creates_no_network_and_places_the_nlb_in_its_subnets() -> None:
    run = provider_run(existing_account(), **EXISTING_VPC_CONFIG)
    assert not run.of_type(VPC, SUBNET, "aws:ec2/flowLog:FlowLog")
    assert run.one(NLB).inputs["subnets"] == EXISTING_VPC_CONFIG["existingSubnetIds"]
    assert run.one(TG).inputs["vpcId"] == "vpc-0abc1234def567890"
    assert run.exports[keys.SERVICE_AZ_IDS] == ["use1-az1", "use1-az2"]


def test_existing_subnet_outside_the_vpc_is_refused_before_any_resource() -> None:
    seen: list[Registration] = []
    with pytest.raises(PlacementError, match=r"subnet-0fff5555aaaa6666b not in xacct:existing"):
        run_program(
            {
                **PROVIDER_CONFIG,
                **EXISTING_VPC_CONFIG,
                "existingSubnetIds": ["subnet-0aaa1111bbbb2222c", "subnet-0fff5555aaaa6666b"],
            },
            account=existing_account(),
            registrations=seen,
        )
    assert seen == []


def test_a_subnet_the_account_does_not_have_is_named() -> None:
    missing = "subnet-0123456789abcdef0"
    with pytest.raises(StackError) as caught:
        provider_run(
            existing_account(),
            **{**EXISTING_VPC_CONFIG, "existingSubnetIds": ["subnet-0aaa1111bbbb2222c", missing]},
        )
    assert str(caught.value) == (
        f"xacct:existingSubnetIds: cannot read subnet {missing} in this account and region: "
        f"invoke of aws:ec2/getSubnet:getSubnet failed: no matching EC2 Subnet found: {missing} ()"
    )


def test_az_count_above_the_region_is_refused() -> None:
    with pytest.raises(PlacementError, match=r"xacct:azCount: 6 is more than the 4"):
        provider_run(azCount="6")


def test_bad_config_registers_nothing() -> None:
    seen: list[Registration] = []
    with pytest.raises(ConfigError, match=r"xacct:nodePort: 80 is out of range"):
        run_program({**PROVIDER_CONFIG, "nodePort": "80"}, registrations=seen)
    assert seen == []


# ---- 2. EKS ------------------------------------------------------------------------------


def test_cluster_endpoint_is_private_with_a_public_allowlist(run: Run) -> None:
    cluster = run.one(EKS).inputs
    assert cluster["endpointPrivateAccess"] is True
    assert cluster["endpointPublicAccess"] is True
    assert cluster["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert cluster["authenticationMode"] == "API"
    assert cluster["privateSubnetIds"] == [s.id for s in private_subnets(run)]
    assert cluster["nodeAssociatePublicIpAddress"] is False


def test_private_only_cluster_has_no_public_endpoint() -> None:
    cluster = provider_run(clusterPublicAccessCidrs=[]).one(EKS).inputs
    assert cluster["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster


def test_cluster_secrets_use_a_rotating_key_and_all_logs_are_kept(run: Run) -> None:
    cluster = run.one(EKS)
    key = run.one("aws:kms/key:Key", "secrets")
    assert key.inputs["enableKeyRotation"] is True
    assert cluster.inputs["encryptionConfigKeyArn"] == key.outputs["arn"]
    assert cluster.inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    group = run.one(LOG_GROUP, "control-plane")
    assert group.inputs["name"] == "/aws/eks/xacct-eks/cluster"
    assert group.inputs["retentionInDays"] == 365
    assert group.urn in cluster.dependencies  # exists before EKS would create it unmanaged


def test_cluster_role_is_passed_as_a_plain_id_and_may_use_only_its_key(run: Run) -> None:
    role = run.one("aws:iam/role:Role", "cluster-cluster")
    cluster = run.one(EKS)
    assert cluster.inputs["serviceRole"] == role.id
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "secrets-key").inputs["policy"])
    assert (
        policy["Statement"][0]["Resource"] == run.one("aws:kms/key:Key", "secrets").outputs["arn"]
    )


def test_the_cluster_waits_for_its_roles_policies_and_they_outlive_it(run: Run) -> None:
    cluster = run.one(EKS)
    assert run.one(ROLE_ATTACHMENT, "cluster-policy").urn in cluster.dependencies
    assert run.one("aws:iam/rolePolicy:RolePolicy", "secrets-key").urn in cluster.dependencies


def test_the_secrets_key_has_an_explicit_policy_for_its_account_only(run: Run) -> None:
    policy = as_json(run.one("aws:kms/key:Key", "secrets").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]


def test_nodes_follow_the_clusters_version_on_the_ami_of_their_architecture(
    run: Run,
) -> None:
    assert run.one(NODE_GROUP).inputs["version"] == "1.33" == run.one(EKS).inputs["version"]
    assert run.one(NODE_GROUP).inputs["amiType"] == "AL2023_x86_64_STANDARD"
    graviton = provider_run(nodeInstanceType="m7g.large", kubernetesVersion="1.34")
    assert graviton.one(NODE_GROUP).inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert graviton.one(NODE_GROUP).inputs["version"] == "1.34"


# What EC2 and EKS would refuse only after the cluster's fifteen minutes, refused at once.
BEFORE_THE_CLUSTER = [
    (
        {"nodeInstanceType": "t3.huge"},
        "xacct:nodeInstanceType: 't3.huge' is not an instance type EC2 offers in us-east-1",
    ),
    (
        {"kubernetesVersion": "1.10"},
        "xacct:kubernetesVersion: '1.10' is not a version EKS offers in us-east-1: 1.31 "
        "(extended support), 1.32, 1.33, 1.34",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), BEFORE_THE_CLUSTER)
def test_what_eks_would_refuse_is_refused_before_any_resource(
    changes: dict[str, str], expected: str
) -> None:
    seen: list[Registration] = []
    with pytest.raises(ConfigError) as caught:
        run_program({**PROVIDER_CONFIG, **changes}, stack_name="provider", registrations=seen)
    assert caught.value.problems == [expected]
    assert seen == []


def test_an_architecture_without_an_eks_ami_is_refused() -> None:
    account = FakeAccount(instance_types={"mac2.metal": ("arm64_mac", 8, 30)})
    with pytest.raises(ConfigError) as caught:
        provider_run(account, nodeInstanceType="mac2.metal")
    assert caught.value.problems == [
        "xacct:nodeInstanceType: 'mac2.metal' runs on arm64_mac: managed nodes here run Amazon "
        "Linux 2023 on x86_64 or arm64"
    ]


def test_availability_zones_eks_refuses_are_skipped() -> None:
    account = FakeAccount(
        azs={"use1-az3": "us-east-1a", "use1-az4": "us-east-1b", "use1-az6": "us-east-1c"}
    )
    run = provider_run(account)
    assert [s.inputs["availabilityZoneId"] for s in private_subnets(run)] == [
        "use1-az4",
        "use1-az6",
    ]
    assert run.exports[keys.SERVICE_AZ_IDS] == ["use1-az4", "use1-az6"]


def test_availability_zones_without_the_node_type_are_skipped() -> None:
    account = FakeAccount(offered_az_ids={"t3.medium": ("use1-az2", "use1-az4")})
    run = provider_run(account)
    assert run.exports[keys.SERVICE_AZ_IDS] == ["use1-az2", "use1-az4"]


def test_fewer_than_two_usable_zones_is_a_config_error() -> None:
    account = FakeAccount(
        azs={"use1-az3": "us-east-1a", "use1-az1": "us-east-1b", "use1-az2": "us-east-1c"},
        offered_az_ids={"t3.medium": ("use1-az1", "use1-az3")},
    )
    with pytest.raises(PlacementError) as caught:
        provider_run(account)
    assert str(caught.value) == (
        "xacct:azCount: 2 is more than the 1 usable availability zones of us-east-1 (use1-az1); "
        "not usable here: use1-az2: t3.medium is not offered there; use1-az3: EKS does not "
        "create clusters there"
    )


def test_an_existing_subnet_where_eks_refuses_clusters_is_named() -> None:
    account = existing_account()
    account.subnets["subnet-0ddd3333eeee4444f"]["az_id"] = "use1-az3"
    account.azs["use1-az3"] = "us-east-1e"
    with pytest.raises(PlacementError) as caught:
        provider_run(account, **EXISTING_VPC_CONFIG)
    assert str(caught.value) == (
        "xacct:existingSubnetIds: subnet-0ddd3333eeee4444f is in use1-az3: EKS does not create "
        "clusters there. Use subnets in other availability zones."
    )


def test_existing_subnets_in_one_zone_are_refused() -> None:
    account = existing_account()
    account.subnets["subnet-0ddd3333eeee4444f"]["az_id"] = "use1-az1"
    with pytest.raises(PlacementError, match=r"span 1 availability zone\(s\) \(use1-az1\)"):
        provider_run(account, **EXISTING_VPC_CONFIG)


ZONE = "Z0123456789ABCDEFGHIJ"
ZONE_PROBLEMS = [
    (
        {ZONE: ("other.example.org.", False)},
        [
            f"xacct:route53ZoneId: {ZONE!r} holds other.example.org, not xacct:tlsServerName "
            "'api.provider.example.com': Route 53 refuses the records there; give the "
            "zone of that name (or of a parent domain)"
        ],
    ),
    (
        {ZONE: ("example.com.", True)},
        [
            f"xacct:route53ZoneId: {ZONE!r} (example.com) is a private hosted zone: ACM "
            "validates a certificate through public DNS; give the public zone of the name"
        ],
    ),
]


@pytest.mark.parametrize(("zones", "expected"), ZONE_PROBLEMS)
def test_the_validation_zone_must_be_public_and_hold_the_name(
    zones: dict[str, tuple[str, bool]], expected: list[str]
) -> None:
    seen: list[Registration] = []
    with pytest.raises(ConfigError) as caught:
        run_program(
            PROVIDER_CONFIG, account=FakeAccount(zones=zones), stack_name="p", registrations=seen
        )
    assert caught.value.problems == expected and seen == []


def test_a_zone_of_a_parent_domain_validates_the_name() -> None:
    run = provider_run(FakeAccount(zones={ZONE: ("example.com.", False)}))
    assert run.one("aws:route53/record:Record").inputs["zoneId"] == ZONE


def test_a_vpc_too_small_for_what_its_subnets_hold_is_refused() -> None:
    with pytest.raises(PlacementError) as caught:
        provider_run(vpcCidr="10.0.0.0/23")
    assert str(caught.value) == (
        "xacct:vpcCidr: '10.0.0.0/23' gives each private subnet a /27 (32 addresses), and each "
        "private subnet must hold 55 addresses (AWS reserves 5; EKS 6, the NLB 8, 2 node(s) of "
        "18 (t3.medium, up to nodeCount + 2 while updating) 36): use a /22 or larger VPC (its "
        "private subnets are a sixteenth of it)"
    )
    assert len(private_subnets(provider_run(vpcCidr="10.0.0.0/22"))) == 2


def test_existing_subnets_too_small_are_named() -> None:
    account = existing_account()
    account.subnets["subnet-0aaa1111bbbb2222c"]["cidr"] = "10.20.0.0/27"
    with pytest.raises(PlacementError) as caught:
        provider_run(account, **EXISTING_VPC_CONFIG)
    assert str(caught.value) == (
        "xacct:existingSubnetIds: subnet-0aaa1111bbbb2222c (10.20.0.0/27) too small: each "
        "private subnet must hold 55 addresses (AWS reserves 5; EKS 6, the NLB 8, 2 node(s) of "
        "18 (t3.medium, up to nodeCount + 2 while updating) 36); use subnets of /26 or larger"
    )


def test_admins_get_cluster_admin_through_access_entries(run: Run) -> None:
    assert CLUSTER_ADMIN_POLICY.endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
    entries = run.one(EKS).inputs["accessEntries"]
    assert entries == {
        "role-platform-admin": {
            "principalArn": "arn:aws:iam::222222222222:role/platform-admin",
            "accessPolicies": {
                "cluster-admin": {
                    "policyArn": CLUSTER_ADMIN_POLICY,
                    "accessScope": {"type": "cluster"},
                }
            },
        }
    }


def test_the_deployer_gets_no_second_access_entry() -> None:
    # EKS makes the cluster's creator an admin; an explicit entry for it too fails the create.
    run = provider_run(
        clusterAdminArns=[
            "arn:aws:iam::222222222222:role/deployer",
            "arn:aws:iam::222222222222:role/platform-admin",
        ]
    )
    assert list(run.one(EKS).inputs["accessEntries"]) == ["role-platform-admin"]


def test_node_group_runs_in_the_private_subnets_after_the_cluster(run: Run) -> None:
    group, cluster = run.one(NODE_GROUP), run.one(EKS)
    assert group.inputs["clusterName"] == "xacct-eks" == cluster.inputs["name"]
    assert group.inputs["subnetIds"] == [s.id for s in private_subnets(run)]
    assert cluster.urn in group.dependencies
    role = run.one("aws:iam/role:Role", "cluster-nodes")
    assert group.inputs["nodeRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    # EKS's documented node-role trust: EC2 is not documented to send aws:SourceAccount
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    policies = {
        r.inputs["policyArn"].rsplit("/", 1)[1]
        for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.inputs["role"] == role.id
    }
    assert policies == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonEKS_CNI_Policy",
    }


def test_existing_cluster_creates_no_cluster_and_targets_its_asgs() -> None:
    run = provider_run(
        existing_account(),
        **{**EXISTING_CLUSTER_CONFIG, "clusterPublicAccessCidrs": None, "clusterAdminArns": None},
    )
    assert not run.of_type(EKS, NODE_GROUP)
    tg = run.one(TG)
    attached = {
        (a.inputs["autoscalingGroupName"], a.inputs["lbTargetGroupArn"])
        for a in run.of_type(ATTACHMENT)
    }
    assert attached == {("eks-ng-a-1234", tg.outputs["arn"]), ("eks-ng-b-5678", tg.outputs["arn"])}
    rule = run.one(INGRESS, "nlb-nodes-in")
    assert rule.inputs["securityGroupId"] == "sg-0123456789abcdef0"
    provider = run.one("pulumi:providers:kubernetes")
    kubeconfig = as_json(provider.inputs["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"].startswith("https://ABCDEF")
    assert token_args(kubeconfig) == [
        "--region",
        "us-east-1",
        "eks",
        "get-token",
        "--cluster-name",
        "platform-prod",
        "--output",
        "json",
    ]


def token_args(kubeconfig: Any) -> list[str]:
    return list(as_json(kubeconfig)["users"][0]["user"]["exec"]["args"])


DEPLOYER = "arn:aws:iam::222222222222:role/deployer"
CREDENTIALS = {"aws:profile": "account-b", "aws:assumeRoles": [{"roleArn": DEPLOYER}]}


def test_an_existing_clusters_kubeconfig_signs_in_with_the_stacks_profile_and_role() -> None:
    run = provider_run(
        existing_account(),
        **{**EXISTING_CLUSTER_CONFIG, "clusterPublicAccessCidrs": None, "clusterAdminArns": None},
        **CREDENTIALS,
    )
    args = token_args(run.one("pulumi:providers:kubernetes").inputs["kubeconfig"])
    assert args[-4:] == ["--role-arn", DEPLOYER, "--profile", "account-b"]


def test_a_created_clusters_kubeconfig_signs_in_with_the_stacks_profile_and_role() -> None:
    run = provider_run(**CREDENTIALS)
    # pulumi-eks's exported kubeconfig leaves the profile out on purpose: the provider must be
    # built from getKubeconfig(profile_name=, role_arn=) instead.
    assert run.calls == [
        (
            "eks:index:Cluster/getKubeconfig",
            {"__self__": run.one(EKS).urn, "profileName": "account-b", "roleArn": DEPLOYER},
        )
    ]
    args = token_args(run.one("pulumi:providers:kubernetes").inputs["kubeconfig"])
    assert args[-4:] == ["--role", DEPLOYER, "--profile", "account-b"]
    assert "--profile" not in token_args(run.one(EKS).outputs["kubeconfigJson"])


def test_unknown_existing_cluster_fails() -> None:
    account = existing_account()
    account.clusters.clear()
    with pytest.raises(Exception, match=r"EKS Cluster \(platform-prod\)"):
        provider_run(
            account,
            **{
                **EXISTING_CLUSTER_CONFIG,
                "clusterPublicAccessCidrs": None,
                "clusterAdminArns": None,
            },
        )


# ---- 3. workload -------------------------------------------------------------------------


def test_workload_uses_the_cluster_kubeconfig_through_an_explicit_provider(run: Run) -> None:
    provider = run.one("pulumi:providers:kubernetes")
    kubeconfig = as_json(provider.inputs["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == run.one(EKS).outputs["endpoint"]
    # No aws:profile or aws:assumeRoles: the environment's credentials, as for pulumi-aws.
    assert token_args(kubeconfig)[-2:] == ["--output", "json"]
    for kind in ("kubernetes:core/v1:Namespace", DEPLOYMENT, K8S_SERVICE):
        resource = run.one(kind)
        assert resource.parent == run.one("xacct:workload:Workload").urn
        assert run.one(NODE_GROUP).urn in resource.dependencies


def test_deployment_runs_non_root_with_probes_and_limits(run: Run) -> None:
    spec = run.one(DEPLOYMENT).inputs["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["readinessProbe"]["httpGet"] == {"path": "/", "port": 8080, "scheme": "HTTP"}
    assert container["resources"]["limits"] == {"cpu": "250m", "memory": "128Mi"}
    assert container["image"] == "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine"
    namespace = run.one("kubernetes:core/v1:Namespace").inputs["metadata"]
    assert namespace["labels"] == {"pod-security.kubernetes.io/enforce": "restricted"}


def test_sample_workload_answers_every_path_on_its_port(run: Run) -> None:
    # Through VPC link v2 the backend sees /<stage>/... paths: the sample answers them all.
    site = run.one("kubernetes:core/v1:ConfigMap").inputs
    assert "listen 8080;" in site["data"]["default.conf"]
    assert "location / {" in site["data"]["default.conf"]
    pod = run.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert {"name": "site", "mountPath": "/etc/nginx/conf.d", "readOnly": True} in (
        pod["containers"][0]["volumeMounts"]
    )
    assert {"name": "site", "configMap": {"name": "xacct-backend-site"}} in pod["volumes"]


def test_own_image_gets_no_sample_site() -> None:
    run = provider_run(workloadImage="registry.example.com/api:1.2.3")
    assert not run.of_type("kubernetes:core/v1:ConfigMap")
    pod = run.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "registry.example.com/api:1.2.3"


def test_node_port_reaches_the_service_and_the_target_group(run: Run) -> None:
    port = run.one(K8S_SERVICE).inputs["spec"]["ports"][0]
    assert port == {"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30443}
    assert run.one(K8S_SERVICE).inputs["spec"]["type"] == "NodePort"
    assert run.one(TG).inputs["port"] == 30443


def test_custom_ports_flow_through() -> None:
    run = provider_run(nodePort="31000", workloadPort="9090")
    assert run.one(K8S_SERVICE).inputs["spec"]["ports"][0]["nodePort"] == 31000
    assert run.one(K8S_SERVICE).inputs["spec"]["ports"][0]["targetPort"] == 9090
    assert run.one(TG).inputs["port"] == 31000
    rules = run.one(INGRESS, "nlb-nodes-in").inputs
    assert (rules["fromPort"], rules["toPort"]) == (31000, 31000)


def test_without_the_workload_the_nlb_targets_the_users_node_port() -> None:
    run = provider_run(deployWorkload="false", nodePort="32100")
    assert not run.of_type(DEPLOYMENT, K8S_SERVICE, "pulumi:providers:kubernetes")
    assert run.one(TG).inputs["port"] == 32100


# ---- 4. NLB ------------------------------------------------------------------------------


def test_nlb_is_internal_in_the_private_subnets_with_its_security_group(run: Run) -> None:
    nlb = run.one(NLB).inputs
    sg = run.one("aws:ec2/securityGroup:SecurityGroup", "lb-nlb")
    assert nlb["internal"] is True and nlb["loadBalancerType"] == "network"
    assert nlb["subnets"] == [s.id for s in private_subnets(run)]
    assert nlb["securityGroups"] == [sg.id]
    assert nlb["enableCrossZoneLoadBalancing"] is True
    assert nlb["enforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] == "off"
    assert not [r for r in run.of_type(INGRESS) if r.inputs["securityGroupId"] == sg.id]


def test_nlb_reaches_only_the_node_port_on_the_nodes(run: Run) -> None:
    sg = run.one("aws:ec2/securityGroup:SecurityGroup", "lb-nlb")
    node_sg = run.one(EKS).outputs["clusterSecurityGroupId"]
    egress = run.one(EGRESS, "nlb-nodes-out").inputs
    assert egress["securityGroupId"] == sg.id
    assert egress["referencedSecurityGroupId"] == node_sg
    assert (egress["ipProtocol"], egress["fromPort"], egress["toPort"]) == ("tcp", 30443, 30443)
    ingress = run.one(INGRESS, "nlb-nodes-in").inputs
    assert ingress["securityGroupId"] == node_sg
    assert ingress["referencedSecurityGroupId"] == sg.id
    assert ingress["description"]


def test_target_group_is_attached_to_the_node_groups_asg(run: Run) -> None:
    attachment = run.one(ATTACHMENT).inputs
    asg = run.one(NODE_GROUP).outputs["resources"][0]["autoscalingGroups"][0]["name"]
    assert attachment == {
        "autoscalingGroupName": asg,
        "lbTargetGroupArn": run.one(TG).outputs["arn"],
    }
    tg = run.one(TG).inputs
    assert tg["targetType"] == "instance" and tg["protocol"] == "TCP"
    assert tg["healthCheck"]["protocol"] == "HTTP" and tg["healthCheck"]["path"] == "/"


def test_tls_listener_uses_the_validated_certificate_and_a_tls13_policy(run: Run) -> None:
    listener = run.one(LISTENER).inputs
    cert = run.one("aws:acm/certificate:Certificate")
    validation = run.one("aws:acm/certificateValidation:CertificateValidation")
    record = run.one("aws:route53/record:Record")
    assert cert.inputs["domainName"] == "api.provider.example.com"
    assert record.inputs["zoneId"] == "Z0123456789ABCDEFGHIJ"
    assert validation.inputs["certificateArn"] == cert.outputs["arn"]
    assert validation.inputs["validationRecordFqdns"] == [record.outputs["fqdn"]]
    assert listener["protocol"] == "TLS" and listener["port"] == 443
    assert listener["certificateArn"] == validation.outputs["certificateArn"]
    assert listener["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener["loadBalancerArn"] == run.one(NLB).outputs["arn"]
    assert listener["defaultActions"][0]["targetGroupArn"] == run.one(TG).outputs["arn"]


def test_an_existing_certificate_is_used_as_given() -> None:
    arn = "arn:aws:acm:us-east-1:222222222222:certificate/12345678-1234-1234-1234-123456789012"
    run = provider_run(route53ZoneId=None, certificateArn=arn)
    assert not run.of_type("aws:acm/certificate:Certificate", "aws:route53/record:Record")
    assert run.one(LISTENER).inputs["certificateArn"] == arn


def test_passthrough_is_plain_tcp_checked_over_https() -> None:
    run = provider_run(tlsMode="passthrough", route53ZoneId=None, workloadImage=TLS_IMAGE)
    listener = run.one(LISTENER).inputs
    assert listener["protocol"] == "TCP"
    assert "certificateArn" not in listener and "sslPolicy" not in listener
    # A TCP check would stay green for a backend that cannot answer a single request.
    assert run.one(TG).inputs["healthCheck"]["protocol"] == "HTTPS"
    assert run.one(TG).inputs["healthCheck"]["path"] == "/"
    container = run.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["scheme"] == "HTTPS"
    assert not run.of_type("aws:acm/certificate:Certificate")


# ---- 5. endpoint service -----------------------------------------------------------------


def test_endpoint_service_publishes_the_nlb_to_named_accounts_only(run: Run) -> None:
    service = run.one(SERVICE)
    assert service.inputs["acceptanceRequired"] is True
    assert service.inputs["networkLoadBalancerArns"] == [run.one(NLB).outputs["arn"]]
    assert service.inputs["allowedPrincipals"] == ["arn:aws:iam::111111111111:root"]
    assert service.protect is True


@pytest.mark.parametrize("principals", [(), ("*",), ("arn:aws:iam::111111111111:root", "*")])
def test_an_endpoint_service_without_named_principals_is_never_built(
    principals: tuple[str, ...],
) -> None:
    from components.endpoint_service import EndpointService, EndpointServiceArgs

    with pytest.raises(ValueError, match=r"needs named principals, never '\*'"):
        EndpointService("svc", EndpointServiceArgs(nlb_arn="arn", allowed_principals=principals))


def test_endpoint_service_protection_can_be_lifted_for_teardown() -> None:
    assert provider_run(protectEndpointService="false").one(SERVICE).protect is False


def test_role_principals_are_allowed_exactly() -> None:
    run = provider_run(
        consumerAccountIds=None, consumerRoleArns=["arn:aws:iam::111111111111:role/apigw-link"]
    )
    assert run.one(SERVICE).inputs["allowedPrincipals"] == [
        "arn:aws:iam::111111111111:role/apigw-link"
    ]


# ---- 6. audit ----------------------------------------------------------------------------


def test_no_trail_unless_asked(run: Run) -> None:
    assert not run.of_type("aws:cloudtrail/trail:Trail")


def test_trail_is_multi_region_validated_encrypted_and_sent_to_logs() -> None:
    run = provider_run(createCloudTrail="true")
    trail = run.one("aws:cloudtrail/trail:Trail").inputs
    key = run.one("aws:kms/key:Key", "logs")
    group = run.one(LOG_GROUP, "audit")
    bucket = run.one("aws:s3/bucket:Bucket")
    assert trail["isMultiRegionTrail"] is True
    assert trail["enableLogFileValidation"] is True
    assert trail["kmsKeyId"] == key.outputs["arn"]
    assert trail["cloudWatchLogsGroupArn"] == group.outputs["arn"] + ":*"
    assert trail["s3BucketName"] == bucket.id
    assert group.inputs["retentionInDays"] == 365
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    policy = json.loads(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    write = next(s for s in policy["Statement"] if s["Sid"] == "CloudTrailWrite")
    assert write["Condition"]["StringEquals"]["aws:SourceArn"].endswith(":trail/xacct-audit-trail")
    trust = json.loads(run.one("aws:iam/role:Role", "trail-logs").inputs["assumeRolePolicy"])
    assert "Condition" not in trust["Statement"][0]  # as AWS documents the CloudTrail role


def test_destroy_keeps_the_audit_log_and_says_so() -> None:
    run = provider_run(createCloudTrail="true")
    bucket = run.one("aws:s3/bucket:Bucket")
    # The bucket and every setting that protects its objects stay; so does the key that can
    # still decrypt them (a deleted key would leave the retained log files unreadable).
    kept = [r for r in run.registrations if r.retain_on_delete]
    assert {r.type for r in kept} == {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:kms/key:Key",
    }
    assert run.one("aws:kms/key:Key", "logs").retain_on_delete
    assert bucket.inputs["forceDestroy"] is False
    key = run.one("aws:kms/key:Key", "logs").outputs["arn"]
    assert run.exports[keys.RETAINED_ON_DESTROY] == [
        f"S3 bucket {bucket.id} (CloudTrail log files)",
        f"KMS key {key} (encrypts those log files)",
    ]


def test_without_a_trail_destroy_leaves_nothing(run: Run) -> None:
    assert [r.name for r in run.registrations if r.retain_on_delete] == []
    assert run.exports[keys.RETAINED_ON_DESTROY] == []


def test_logs_key_lets_cloudtrail_create_an_encrypted_trail() -> None:
    key = json.loads(provider_run().one("aws:kms/key:Key", "logs").inputs["policy"])
    by_sid = {s["Sid"]: s for s in key["Statement"]}
    # DescribeKey carries no encryption context, so it must not sit under that condition;
    # a bucket with an S3 Bucket Key needs Decrypt to create the trail.
    assert by_sid["CloudTrailDescribesTheKey"]["Action"] == "kms:DescribeKey"
    assert "Condition" not in by_sid["CloudTrailDescribesTheKey"]
    assert by_sid["CloudTrailDecryptsWithTheBucketKey"]["Action"] == "kms:Decrypt"
    encrypt = by_sid["CloudTrailEncryptsLogFilesOfThisAccount"]
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:222222222222:trail/*"
    }


# The whole logs key policy, statement by statement: it guards every log group, the trail and the
# alarm topic, so a widened principal or a dropped condition must fail here.
LOGS_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:222222222222:*"
                }
            },
        },
        {
            "Sid": "CloudWatchAlarmsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "222222222222"}},
        },
        {
            "Sid": "CloudTrailEncryptsLogFilesOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "222222222222"},
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": (
                        "arn:aws:cloudtrail:*:222222222222:trail/*"
                    )
                },
            },
        },
        {
            "Sid": "CloudTrailDescribesTheKey",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        },
        {
            "Sid": "CloudTrailDecryptsWithTheBucketKey",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "222222222222"}},
        },
    ],
}


def test_the_logs_key_policy_is_exactly_the_reviewed_one(run: Run) -> None:
    assert as_json(run.one("aws:kms/key:Key", "logs").inputs["policy"]) == LOGS_KEY_POLICY


def test_a_widened_logs_key_policy_is_refused_by_the_gate(run: Run) -> None:
    import dataclasses

    from policy.offline import evaluate, mandatory

    key = run.one("aws:kms/key:Key", "logs")
    widened = json.loads(json.dumps(LOGS_KEY_POLICY))
    widened["Statement"][0]["Principal"] = {"AWS": "*"}
    changed = dataclasses.replace(key, inputs={**key.inputs, "policy": json.dumps(widened)})
    registrations = [changed if r is key else r for r in run.registrations]
    assert {v.policy for v in mandatory(evaluate(registrations))} == {"kms-key-policy-principals"}


def test_every_log_group_has_retention_and_the_logs_key() -> None:
    run = provider_run(createCloudTrail="true", logRetentionDays="365")
    key = run.one("aws:kms/key:Key", "logs")
    groups = run.of_type(LOG_GROUP)
    assert len(groups) == 3
    assert all(g.inputs["retentionInDays"] == 365 for g in groups)
    assert all(g.inputs["kmsKeyId"] == key.outputs["arn"] for g in groups)
    assert key.inputs["enableKeyRotation"] is True
    policy = json.loads(key.inputs["policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsOfThisAccount")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}


# ---- 7. exports and structure ------------------------------------------------------------


def test_exports_are_the_shared_keys_with_wired_values(run: Run) -> None:
    e = run.exports
    assert set(e) == {*keys.PROVIDER_KEYS, *keys.MONITORING_KEYS}
    service = run.one(SERVICE)
    assert e[keys.ENDPOINT_SERVICE_NAME] == service.outputs["serviceName"]
    assert e[keys.ENDPOINT_SERVICE_ID] == service.id
    assert e[keys.SERVICE_AZ_IDS] == ["use1-az1", "use1-az2"]
    assert e[keys.PROVIDER_NLB_ARN] == run.one(NLB).outputs["arn"]
    assert e[keys.PROVIDER_NLB_DNS_NAME] == run.one(NLB).outputs["dnsName"]
    assert e[keys.LISTENER_PORT] == 443
    assert e[keys.TLS_SERVER_NAME] == "api.provider.example.com"
    assert e[keys.PROVIDER_ACCOUNT_ID] == "222222222222"
    assert e[keys.PROVIDER_REGION] == "us-east-1"
    assert e[keys.ACCEPTED_ENDPOINT_IDS] == []


def test_every_resource_sits_under_the_provider_component(run: Run) -> None:
    top = run.one("xacct:provider:ProviderSide")
    assert top.parent.endswith("pulumi:pulumi:Stack::xacct-provider")
    assert run.outside(top) == []


def test_no_security_group_rule_is_open_to_the_world(run: Run) -> None:
    for rule in run.of_type(INGRESS):
        assert rule.inputs.get("cidrIpv4") not in ("0.0.0.0/0",)
        assert rule.inputs["ipProtocol"] != "-1"
