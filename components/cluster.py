"""PrivateCluster: an EKS cluster with a private API endpoint and a managed node group, or an
existing cluster given by name (with the node ASGs and security group the NLB must reach).

Created clusters: authentication mode API with access entries (the aws-auth ConfigMap path fails
on private-only clusters), secrets encrypted with a rotating KMS key, all five control-plane log
types into a log group created first (so it has a retention), nodes in private subnets only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.aws_limits import EKS_UNSUPPORTED_AZ_IDS
from components.errors import StackError
from components.keys import account_administers
from components.lookups import AccountFacts, NodeTypeFacts, lookup
from components.settings import AwsSettings, ClusterSettings, ConfigError

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEKS_CNI_Policy",
)


def kubeconfig_for(
    name: str,
    endpoint: str,
    ca_data: str,
    region: str,
    credentials: AwsSettings | None = None,
) -> str:
    """A kubeconfig that authenticates with `aws eks get-token` as the stack does: with its
    `aws:profile` and the role of its `aws:assumeRoles`, like pulumi-eks's `getKubeconfig`
    (https://docs.aws.amazon.com/cli/latest/reference/eks/get-token.html: `--role-arn`, and the
    global `--profile`). Without them the token is signed by whatever the environment holds."""
    token_args = ["--region", region, "eks", "get-token", "--cluster-name", name]
    token_args += ["--output", "json"]
    if credentials is not None and credentials.role_arn:
        token_args += ["--role-arn", credentials.role_arn]
    if credentials is not None and credentials.profile:
        token_args += ["--profile", credentials.profile]
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": token_args,
                        }
                    },
                }
            ],
        }
    )


AMI_TYPES = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}
"""The managed node group's AMI type for each CPU architecture (EKS CreateNodegroup `amiType`;
the instance type's architecture must be the AMI's)."""


@dataclass(frozen=True, kw_only=True)
class NodePlan:
    """The node group as EC2 and EKS allow it in this region, decided before any resource."""

    ami_type: str
    addresses_per_node: int
    """Addresses one node can take in its subnet: every interface filled by the VPC CNI."""


def plan_nodes(
    settings: ClusterSettings,
    node_type: NodeTypeFacts,
    versions: dict[str, str],
    region: str,
) -> NodePlan:
    """Refuse before the cluster's fifteen minutes what EC2 and EKS would refuse after them."""
    problems = []
    if not node_type.offered_az_ids:
        problems.append(
            f"xacct:nodeInstanceType: {node_type.instance_type!r} is not an instance type EC2 "
            f"offers in {region}"
        )
    architecture = next((a for a in node_type.architectures if a in AMI_TYPES), None)
    if node_type.offered_az_ids and architecture is None:
        problems.append(
            f"xacct:nodeInstanceType: {node_type.instance_type!r} runs on "
            f"{', '.join(node_type.architectures) or 'an unknown architecture'}: managed nodes "
            "here run Amazon Linux 2023 on x86_64 or arm64"
        )
    if settings.version not in versions:
        offered = ", ".join(
            f"{v} (extended support)" if status == "EXTENDED_SUPPORT" else v
            for v, status in sorted(versions.items(), key=lambda item: _minor(item[0]))
        )
        problems.append(
            f"xacct:kubernetesVersion: {settings.version!r} is not a version EKS offers in "
            f"{region}: {offered}"
        )
    if problems:
        raise ConfigError(problems)
    if versions[settings.version] == "EXTENDED_SUPPORT":
        pulumi.log.warn(
            f"xacct:kubernetesVersion: {settings.version} is in EKS extended support, which "
            "is billed at a higher hourly rate; plan the upgrade"
        )
    return NodePlan(
        ami_type=AMI_TYPES[architecture or "x86_64"],
        addresses_per_node=node_type.max_pod_addresses,
    )


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def unusable_az_ids(az_ids: list[str], node_type: NodeTypeFacts) -> dict[str, str]:
    """AZ IDs a created cluster cannot use, each with the reason."""
    excluded = {}
    for az in az_ids:
        if az in EKS_UNSUPPORTED_AZ_IDS:
            excluded[az] = "EKS does not create clusters there"
        elif node_type.offered_az_ids and az not in node_type.offered_az_ids:
            excluded[az] = f"{node_type.instance_type} is not offered there"
    return excluded


def secrets_key_policy(facts: AccountFacts) -> dict[str, object]:
    """The account administers the key and grants its use through IAM (the cluster role's
    policy names this key); no service principal is named here."""
    return {
        "Version": "2012-10-17",
        "Statement": [account_administers(facts, "AccountAdministersThroughIam")],
    }


def _trust(service: str) -> str:
    """The trust EKS documents for its cluster and node roles: the service, no condition (EC2
    and EKS are not documented to send aws:SourceAccount when they assume these roles)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def _entry_key(principal_arn: str) -> str:
    """A stable key per principal (role-platform-admin), so removing one touches no other."""
    return principal_arn.split(":", 5)[5].replace("/", "-")


def _first_asg_name(resources: Sequence[aws.eks.outputs.NodeGroupResource]) -> str:
    """A managed node group has one Auto Scaling group; EKS names it."""
    groups = resources[0].autoscaling_groups or []
    return groups[0].name or "" if groups else ""


@dataclass(frozen=True, kw_only=True)
class PrivateClusterArgs:
    settings: ClusterSettings
    facts: AccountFacts
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Output[str]]
    log_retention_days: int
    log_kms_key_arn: pulumi.Input[str] | None = None
    credentials: AwsSettings | None = None
    """The stack's profile and role: the Kubernetes provider's kubeconfig signs in with them."""
    nodes: NodePlan | None = None
    """A created cluster's node group, as planned (None: an existing cluster)."""
    needs_oidc: bool = False
    """An existing cluster: look up its IAM OIDC provider (for IRSA), failing clearly if absent."""
    tags: dict[str, str] | None = None


class OidcProviderMissingError(StackError):
    """IRSA was asked for on a cluster without an IAM OIDC provider."""


class PrivateCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (JSON, secret) for the Kubernetes provider."""
    node_security_group_id: pulumi.Output[str]
    """The security group on the nodes: it must admit the NLB on the node port."""
    node_asg_names: list[pulumi.Output[str]]
    """The Auto Scaling groups whose instances are NLB targets (one per node group)."""
    oidc_provider_arn: pulumi.Output[str] | None
    """The cluster's IAM OIDC provider, for IRSA (None for an existing cluster unless asked)."""
    oidc_issuer: pulumi.Output[str] | None
    """Its issuer URL without https://."""
    nodes: list[pulumi.Resource]
    """What Kubernetes workloads wait for (the created node group)."""

    def __init__(
        self, name: str, args: PrivateClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:cluster:PrivateCluster", name, None, opts)
        settings = args.settings
        if settings.existing:
            self._use_existing(args)
        else:
            self._create(name, args)
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "node_security_group_id": self.node_security_group_id,
            }
        )

    def _use_existing(self, args: PrivateClusterArgs) -> None:
        settings = args.settings
        found = lookup(
            f"xacct:existingClusterName: cannot read EKS cluster {settings.name!r} in this "
            "account and region",
            lambda: aws.eks.get_cluster(name=settings.name),
        )
        self.cluster_name = pulumi.Output.from_input(settings.name)
        self.kubeconfig = pulumi.Output.secret(
            kubeconfig_for(
                settings.name,
                found.endpoint,
                found.certificate_authorities[0].data,
                args.facts.region,
                args.credentials,
            )
        )
        self.node_security_group_id = pulumi.Output.from_input(
            settings.existing_node_security_group_id or ""
        )
        self.node_asg_names = [
            pulumi.Output.from_input(asg) for asg in settings.existing_node_asg_names
        ]
        self.nodes = []
        self.oidc_provider_arn = self.oidc_issuer = None
        if args.needs_oidc:
            issuer = found.identities[0].oidcs[0].issuer if found.identities else ""
            try:
                provider = aws.iam.get_open_id_connect_provider(url=issuer)
            except Exception as error:  # the data source fails when there is none
                raise OidcProviderMissingError(
                    f"xacct:lbControllerIdentity irsa: cluster {settings.name!r} has no IAM OIDC "
                    f"provider for {issuer or 'its issuer'} ({error}); create one (`eksctl utils "
                    "associate-iam-oidc-provider --approve`), or set xacct:lbControllerIdentity "
                    "pod-identity"
                ) from error
            self.oidc_provider_arn = pulumi.Output.from_input(provider.arn)
            self.oidc_issuer = pulumi.Output.from_input(issuer.removeprefix("https://"))

    def _create(self, name: str, args: PrivateClusterArgs) -> None:
        settings, facts = args.settings, args.facts
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}

        secrets_key = aws.kms.Key(
            f"{name}-secrets",
            description=f"EKS secrets encryption for {settings.name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(secrets_key_policy(facts)),
            tags=tags,
            opts=child,
        )
        # EKS writes control-plane logs here; created first so it has a retention and a key.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{settings.name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            tags=tags,
            opts=child,
        )
        service_role = aws.iam.Role(
            f"{name}-cluster",
            assume_role_policy=_trust("eks.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=service_role.name,
            policy_arn=f"arn:{facts.partition}:iam::aws:policy/AmazonEKSClusterPolicy",
            opts=child,
        )
        secrets_key_use = aws.iam.RolePolicy(
            f"{name}-cluster-secrets-key",
            role=service_role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "kms:Encrypt",
                                "kms:Decrypt",
                                "kms:ListGrants",
                                "kms:DescribeKey",
                                "kms:CreateGrant",
                            ],
                            "Resource": secrets_key.arn,
                        }
                    ],
                }
            ),
            opts=child,
        )
        # EKS already makes the identity that creates the cluster an admin (pulumi-eks keeps
        # bootstrapClusterCreatorAdminPermissions on); a second entry for it fails the create.
        admins = [arn for arn in settings.admin_arns if arn != facts.deployer_arn]
        if len(admins) < len(settings.admin_arns):
            pulumi.log.info(
                f"xacct:clusterAdminArns: {facts.deployer_arn} runs this deployment, and EKS "
                "makes the cluster's creator an admin already: no access entry is added for it",
                resource=self,
            )
        access_entries = {
            _entry_key(arn): eks.AccessEntryArgs(
                principal_arn=arn,
                access_policies={
                    "cluster-admin": eks.AccessPolicyAssociationArgs(
                        policy_arn=CLUSTER_ADMIN_POLICY,
                        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    )
                },
            )
            for arn in admins
        }
        public = bool(settings.public_access_cidrs)
        cluster = eks.Cluster(
            f"{name}-eks",
            name=settings.name,
            version=settings.version,
            vpc_id=args.vpc_id,
            private_subnet_ids=args.subnet_ids,
            endpoint_private_access=True,
            endpoint_public_access=public,
            public_access_cidrs=list(settings.public_access_cidrs) if public else None,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries or None,
            encryption_config_key_arn=secrets_key.arn,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            service_role=service_role,
            skip_default_node_group=True,
            # EKS's own cluster security group then guards control plane and managed nodes.
            skip_default_security_groups=True,
            node_associate_public_ip_address=False,
            create_oidc_provider=True,
            tags=tags,
            # The role's policies exist before the cluster and outlive it: EKS creates and
            # deletes its network interfaces with them.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[log_group, cluster_policy, secrets_key_use]
            ),
        )

        node_role = aws.iam.Role(
            f"{name}-nodes",
            assume_role_policy=_trust("ec2.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-nodes-{policy}",
                role=node_role.name,
                policy_arn=f"arn:{facts.partition}:iam::aws:policy/{policy}",
                opts=child,
            )
            for policy in NODE_MANAGED_POLICIES
        ]
        nodes = args.nodes or NodePlan(ami_type=AMI_TYPES["x86_64"], addresses_per_node=0)
        node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=settings.name,
            # The nodes follow the cluster's version: raising it upgrades them after it.
            version=settings.version,
            node_role_arn=node_role.arn,
            subnet_ids=args.subnet_ids,
            instance_types=[settings.node_instance_type],
            ami_type=nodes.ami_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=settings.node_count,
                min_size=settings.node_count,
                max_size=settings.node_count + 2,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster, *attachments]),
        )

        self.cluster_name = pulumi.Output.from_input(settings.name)
        # Not the exported kubeconfigJson: pulumi-eks leaves the profile out of that one.
        self.kubeconfig = pulumi.Output.secret(
            cluster.get_kubeconfig(
                profile_name=args.credentials.profile if args.credentials else None,
                role_arn=args.credentials.role_arn if args.credentials else None,
            )
        )
        # With skip_default_security_groups this is the EKS-created cluster security group,
        # which EKS puts on managed nodes that have no launch template.
        self.node_security_group_id = cluster.cluster_security_group_id
        self.node_asg_names = [node_group.resources.apply(_first_asg_name)]
        self.nodes = [node_group]
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.oidc_issuer = cluster.oidc_issuer
