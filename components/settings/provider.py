"""The provider stack's settings (account B): the cluster, the workload, the listener and its
certificate, the targets, and who may connect."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal

from components.aws_limits import (
    API_GATEWAY_PORTS,
    api_gateway_port,
)
from components.settings.common import (
    ACCOUNT_ID,
    K8S_NAME,
    K8S_VERSION,
    NAMESPACE,
    ROLE_ARN,
    STACK_NAME,
    AwsSettings,
    MonitoringSettings,
    NetworkSettings,
    Reader,
    check_cidr,
    pattern_check,
    read_monitoring,
    read_network,
)

TlsMode = Literal["tls", "passthrough"]
TargetMode = Literal["instance", "ip"]
ControllerIdentity = Literal["irsa", "pod-identity"]


PROVIDER_ONLY_KEYS = (
    "nodeEgress",
    "consumerAccountIds",
    "consumerRoleArns",
    "consumerStacks",
    "supportedRegions",
    "clusterName",
    "kubernetesVersion",
    "clusterPublicAccessCidrs",
    "clusterAdminArns",
    "nodeInstanceType",
    "nodeCount",
    "existingClusterName",
    "existingNodeAsgNames",
    "existingNodeSecurityGroupId",
    "deployWorkload",
    "workloadImage",
    "workloadPort",
    "workloadReplicas",
    "workloadNamespace",
    "nodePort",
    "listenerPort",
    "tlsMode",
    "tlsServerName",
    "certificateArn",
    "route53ZoneId",
    "tlsPolicy",
    "createCloudTrail",
    "protectEndpointService",
    "publishPrivateDnsName",
    "connectionNotifications",
    "targetMode",
    "installLbController",
    "lbControllerChartVersion",
    "lbControllerIdentity",
)


# NLB TLS policies that allow TLS 1.2 and 1.3 only (ELB.17).
TLS_POLICIES = frozenset(
    {
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    }
)


_PRINCIPAL_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$")
_SG_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
CERT_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$")
_IMAGE = re.compile(r"^[a-z0-9][\w.\-/:@]*$")
_ASG_NAME = re.compile(r"^[\w.:/@+=,-]{1,255}$")
_CHART_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/")


@dataclass(frozen=True, kw_only=True)
class ClusterSettings:
    """Create an EKS cluster, or use an existing one by name (with its nodes' ASGs and SG)."""

    name: str
    existing: bool
    version: str = ""
    public_access_cidrs: tuple[str, ...] = ()
    """Empty: private endpoint only (whoever runs `pulumi up` must be inside the VPC)."""
    admin_arns: tuple[str, ...] = ()
    node_instance_type: str = ""
    node_count: int = 0
    existing_node_asg_names: tuple[str, ...] = ()
    existing_node_security_group_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class WorkloadSettings:
    deploy: bool
    node_port: int
    sample: bool = False
    """The default image: configured to answer every path (see Workload)."""
    image: str = ""
    port: int = 0
    replicas: int = 0
    namespace: str = ""


@dataclass(frozen=True, kw_only=True)
class TargetSettings:
    """How the provider NLB reaches the pods: node port on the nodes, or pod IPs."""

    mode: TargetMode
    install_controller: bool
    chart_version: str
    identity: ControllerIdentity


@dataclass(frozen=True, kw_only=True)
class ListenerSettings:
    server_name: str
    """The name the consumer calls; the certificate (NLB's or the workload's) must match it."""
    port: int
    tls_mode: TlsMode
    tls_policy: str | None = None
    certificate_arn: str | None = None
    route53_zone_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProviderSettings:
    name: str
    network: NetworkSettings
    cluster: ClusterSettings
    workload: WorkloadSettings
    listener: ListenerSettings
    targets: TargetSettings
    consumer_account_ids: tuple[str, ...]
    consumer_role_arns: tuple[str, ...]
    consumer_stacks: tuple[str, ...]
    create_cloudtrail: bool
    protect_endpoint_service: bool
    """Pulumi `protect` on the service: replacing it changes its name and breaks consumers."""
    connection_notifications: bool
    """Connection requests published to the alarm topic (needs monitoring)."""
    log_retention_days: int
    monitoring: MonitoringSettings
    supported_regions: tuple[str, ...] = ()
    """Other regions whose consumers may connect (cross-region PrivateLink); empty: this one."""
    publish_private_dns_name: bool = False
    """The endpoint service's private DNS name is the TLS server name (verified by a TXT
    record in the listener's Route 53 zone when there is one)."""
    aws: AwsSettings = field(default_factory=AwsSettings)
    role: Literal["provider"] = "provider"

    @property
    def allowed_principals(self) -> tuple[str, ...]:
        """Exactly the configured accounts (as `:root`) and role ARNs, sorted, never `*`."""
        roots = (f"arn:aws:iam::{account}:root" for account in self.consumer_account_ids)
        return tuple(sorted({*roots, *self.consumer_role_arns}))

    @property
    def private_dns_name(self) -> str | None:
        """The endpoint service's private DNS name: the TLS server name, when published."""
        return self.listener.server_name if self.publish_private_dns_name else None

    def offered_regions(self, home: str) -> tuple[str, ...]:
        """Every region whose consumers may connect: the service's own, then the others."""
        return (home, *self.supported_regions)

    @property
    def allowed_account_ids(self) -> tuple[str, ...]:
        from_roles = (ROLE_ARN.match(arn) for arn in self.consumer_role_arns)
        return tuple(sorted({*self.consumer_account_ids, *(m.group(2) for m in from_roles if m)}))


NOT_INTERNET_SOURCES = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "172.16.0.0/12",  # RFC 1918
        "192.168.0.0/16",  # RFC 1918
    )
)
"""Source ranges a request to the public EKS endpoint can never come from."""


PUBLIC_ACCESS_MAX_ADDRESSES = 2**24
"""What clusterPublicAccessCidrs may cover together: a /8's worth. More is the internet in
pieces (0.0.0.0/1 + 128.0.0.0/1), not a list of runners."""


def _check_public_cidr(item: str) -> str | None:
    """A public source range for the EKS public endpoint: a runner's egress, never the world."""
    expected = check_cidr(item)
    if expected:
        return expected
    network = ipaddress.ip_network(item)
    if network.prefixlen == 0:
        return "opens the endpoint to the whole internet: list the CIDRs that need it"
    if any(network.overlaps(private) for private in NOT_INTERNET_SOURCES):
        return (
            "covers addresses that are not on the internet (RFC 1918, CGNAT, loopback, "
            "link-local): the public endpoint only ever sees public source addresses (runners "
            "inside the VPC reach the private endpoint; set [] for private only)"
        )
    return None


def public_access_coverage(cidrs: tuple[str, ...]) -> int:
    """How many addresses the CIDRs cover together (overlaps counted once)."""
    networks = [ipaddress.IPv4Network(c) for c in cidrs]
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(networks))


def _cluster(r: Reader, name: str, network: NetworkSettings) -> ClusterSettings:
    created_only = (
        "clusterName",
        "kubernetesVersion",
        "clusterPublicAccessCidrs",
        "clusterAdminArns",
        "nodeInstanceType",
        "nodeCount",
    )
    if r.is_set("existingClusterName"):
        r.reject(created_only, "with xacct:existingClusterName (the cluster exists already)")
        if network.create:
            r.problems.append(
                f"{NAMESPACE}:existingClusterName: needs xacct:existingVpcId and "
                "xacct:existingSubnetIds: the NLB must sit in the existing cluster's VPC"
            )
        cluster_name = r.string("existingClusterName", _CLUSTER_NAME, "is not an EKS cluster name")
        asgs = r.items(
            "existingNodeAsgNames",
            pattern_check(_ASG_NAME, "is not an Auto Scaling group name"),
            min_items=1,
        )
        r.require(
            "existingNodeSecurityGroupId",
            "with xacct:existingClusterName: the "
            "security group of the nodes, which must admit the NLB on the node port",
        )
        sg = r.string(
            "existingNodeSecurityGroupId", _SG_ID, "is not a security group id (sg-0123abcd...)"
        )
        return ClusterSettings(
            name=cluster_name or "invalid",
            existing=True,
            existing_node_asg_names=asgs,
            existing_node_security_group_id=sg,
        )
    r.reject(
        ("existingNodeAsgNames", "existingNodeSecurityGroupId"), "without xacct:existingClusterName"
    )
    cluster_name = r.string(
        "clusterName", _CLUSTER_NAME, "is not an EKS cluster name (letters, digits, - and _)"
    )
    return ClusterSettings(
        name=cluster_name or f"{name}-eks",
        existing=False,
        version=r.string(
            "kubernetesVersion", K8S_VERSION, "is not a Kubernetes minor version such as 1.33"
        )
        or "",
        public_access_cidrs=_public_access_cidrs(r),
        admin_arns=r.items(
            "clusterAdminArns",
            pattern_check(
                _PRINCIPAL_ARN,
                "is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)",
            ),
        ),
        node_instance_type=r.string(
            "nodeInstanceType", _INSTANCE_TYPE, "is not an EC2 instance type such as t3.medium"
        )
        or "",
        node_count=r.integer("nodeCount", 1, 100, ": nodes in the node group"),
    )


def _public_access_cidrs(r: Reader) -> tuple[str, ...]:
    cidrs = r.items("clusterPublicAccessCidrs", _check_public_cidr)
    covered = public_access_coverage(cidrs)
    if covered > PUBLIC_ACCESS_MAX_ADDRESSES:
        r.fail(
            "clusterPublicAccessCidrs",
            list(cidrs),
            f"together cover {covered:,} addresses, more than a /8 "
            f"({PUBLIC_ACCESS_MAX_ADDRESSES:,}): that is the internet in pieces; list the "
            "egress CIDRs of the runners that need the public endpoint",
        )
        return ()
    return cidrs


def _workload(r: Reader) -> WorkloadSettings:
    node_port = r.integer("nodePort", 30000, 32767, " (the Kubernetes NodePort range)")
    if not r.boolean("deployWorkload"):
        r.reject(
            ("workloadImage", "workloadPort", "workloadReplicas", "workloadNamespace"),
            "with xacct:deployWorkload false (no workload is deployed)",
        )
        if not r.is_set("nodePort"):
            r.problems.append(
                f"{NAMESPACE}:nodePort: is required with xacct:deployWorkload "
                "false: the node port of your own NodePort Service"
            )
        return WorkloadSettings(deploy=False, node_port=node_port)
    return WorkloadSettings(
        deploy=True,
        node_port=node_port,
        sample=not r.is_set("workloadImage"),
        image=r.string("workloadImage", _IMAGE, "is not a container image reference") or "",
        port=r.integer(
            "workloadPort", 1024, 65535, " (the container runs as non-root, so not below 1024)"
        ),
        replicas=r.integer("workloadReplicas", 1, 50),
        namespace=r.string("workloadNamespace", K8S_NAME, "is not a Kubernetes namespace name")
        or "",
    )


def _listener(r: Reader) -> ListenerSettings:
    mode: TlsMode = r.choice("tlsMode", TlsMode)
    r.require(
        "tlsServerName",
        "on the provider: the DNS name the consumer calls over HTTPS; "
        "the certificate on the NLB (tls) or in the workload (passthrough) must be valid "
        "for it",
    )
    server_name = (
        r.string("tlsServerName", HOSTNAME, "is not a lower-case DNS name such as api.example.com")
        or ""
    )
    port = r.integer("listenerPort", 1, 65535)
    if not api_gateway_port(port):
        r.fail(
            "listenerPort",
            port,
            f"is not a port API Gateway integrations call: expected {API_GATEWAY_PORTS} (the "
            "consumers' API calls https://<tlsServerName>:<listenerPort>/)",
        )
    if mode == "passthrough":
        r.reject(
            ("certificateArn", "route53ZoneId", "tlsPolicy"),
            "with xacct:tlsMode passthrough (the workload terminates TLS)",
        )
        return ListenerSettings(server_name=server_name, port=port, tls_mode=mode)
    if r.is_set("certificateArn") and r.is_set("route53ZoneId"):
        r.problems.append(
            f"{NAMESPACE}:certificateArn and {NAMESPACE}:route53ZoneId: set one, "
            "not both (an existing certificate, or one created in that zone)"
        )
    elif not (r.is_set("certificateArn") or r.is_set("route53ZoneId")):
        r.problems.append(
            f"{NAMESPACE}:certificateArn or {NAMESPACE}:route53ZoneId: one is "
            "required with xacct:tlsMode tls (an ACM certificate ARN for "
            "xacct:tlsServerName, or the Route 53 zone to validate a new one in)"
        )
    return ListenerSettings(
        server_name=server_name,
        port=port,
        tls_mode=mode,
        tls_policy=r.string("tlsPolicy", choices=TLS_POLICIES),
        certificate_arn=r.string("certificateArn", CERT_ARN, "is not an ACM certificate ARN"),
        route53_zone_id=r.string(
            "route53ZoneId", ZONE_ID, "is not a Route 53 hosted zone id (Z...)"
        ),
    )


def _targets(r: Reader, workload: WorkloadSettings) -> TargetSettings:
    controller_keys = ("installLbController", "lbControllerChartVersion", "lbControllerIdentity")
    mode: TargetMode = r.choice("targetMode", TargetMode)
    if mode == "instance":
        r.reject(controller_keys, "with xacct:targetMode instance (no controller is used)")
        return TargetSettings(
            mode="instance",
            install_controller=False,
            chart_version="",
            identity=r.choice("lbControllerIdentity", ControllerIdentity),
        )
    if not workload.deploy:
        r.problems.append(
            f"{NAMESPACE}:targetMode: 'ip' binds the sample workload's Service with a "
            "TargetGroupBinding: it needs xacct:deployWorkload true (for your own workload, use "
            "instance mode and its node port)"
        )
    install = r.boolean("installLbController")
    if not install:
        r.reject(
            ("lbControllerChartVersion", "lbControllerIdentity"),
            "with xacct:installLbController false (the cluster runs its own controller)",
        )
    return TargetSettings(
        mode="ip",
        install_controller=install,
        chart_version=r.string(
            "lbControllerChartVersion", _CHART_VERSION, "is not a chart version such as 1.17.1"
        )
        or "",
        identity=r.choice("lbControllerIdentity", ControllerIdentity),
    )


SAMPLE_SERVES = "plain HTTP"


LB_CONTROLLER_IMAGE = "public.ecr.aws/eks/aws-load-balancer-controller"
"""Where the controller's Helm chart pulls its image from by default (ECR Public)."""


def _passthrough_backend(r: Reader, listener: ListenerSettings, workload: WorkloadSettings) -> None:
    """In passthrough the NLB forwards TLS untouched: the pods must terminate it."""
    if listener.tls_mode == "passthrough" and workload.deploy and workload.sample:
        r.fail(
            "tlsMode",
            "passthrough",
            f"with the sample workload, which serves {SAMPLE_SERVES} on xacct:workloadPort: no "
            "request could ever succeed. A passthrough backend terminates TLS itself on "
            "xacct:workloadPort with a certificate valid for xacct:tlsServerName (and answers "
            "HTTPS health checks on /): set xacct:workloadImage to such an image, "
            "xacct:deployWorkload false for your own, or xacct:tlsMode tls",
        )


def _private_image_pulls(
    r: Reader,
    network: NetworkSettings,
    workload: WorkloadSettings,
    targets: TargetSettings,
    region: str | None,
) -> None:
    """With VPC endpoints as the only egress, nodes reach ECR in this region and nothing else:
    no VPC endpoint reaches ECR Public or Docker Hub."""
    if network.node_egress != "vpc-endpoints":
        return
    what_to_do = (
        "push the image to an ECR repository in this region (or fill one with an ECR "
        "pull-through cache rule, whose first pull needs an internet route), or set "
        "xacct:nodeEgress nat"
    )
    if workload.deploy:
        image = workload.image
        match = _ECR_IMAGE.match(image)
        if match is None:
            r.fail(
                "workloadImage",
                image,
                "cannot be pulled with xacct:nodeEgress vpc-endpoints: the nodes reach only "
                "ECR in their own region (<account>.dkr.ecr.<region>.amazonaws.com/...), and no "
                f"VPC endpoint reaches ECR Public or Docker Hub; {what_to_do}",
            )
        elif region is not None and match.group(2) != region:
            r.fail(
                "workloadImage",
                image,
                f"is in ECR in {match.group(2)}, and xacct:nodeEgress vpc-endpoints reaches "
                f"only ECR in this stack's region {region}; {what_to_do}",
            )
    if targets.mode == "ip" and targets.install_controller:
        r.fail(
            "installLbController",
            "true",
            f"with xacct:nodeEgress vpc-endpoints: the chart pulls {LB_CONTROLLER_IMAGE} from "
            "ECR Public, which no VPC endpoint reaches; install the controller from an ECR "
            "copy in this region and set xacct:installLbController false, or set "
            "xacct:nodeEgress nat",
        )


def read_provider(r: Reader, name: str, retention: int, aws: AwsSettings) -> ProviderSettings:
    network = read_network(r, "provider")
    accounts = r.items(
        "consumerAccountIds", pattern_check(ACCOUNT_ID, "is not a 12-digit AWS account id")
    )
    roles = r.items(
        "consumerRoleArns",
        pattern_check(ROLE_ARN, "is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)"),
    )
    if not (r.is_set("consumerAccountIds") or r.is_set("consumerRoleArns")):
        r.problems.append(
            f"{NAMESPACE}:consumerAccountIds or {NAMESPACE}:consumerRoleArns: at "
            "least one consumer principal is required (the endpoint service "
            "never allows `*`)"
        )
    stacks = r.items(
        "consumerStacks",
        pattern_check(
            STACK_NAME,
            "is not a fully qualified stack name: "
            "organization/<project>/<stack> (self-managed backend) or "
            "<org>/<project>/<stack> (Pulumi Cloud)",
        ),
    )
    supported = r.items(
        "supportedRegions",
        pattern_check(REGION_NAME, "is not an AWS region name (e.g. eu-west-1)"),
    )
    if aws.region and aws.region in supported:
        r.fail(
            "supportedRegions",
            list(supported),
            f"lists this stack's own region {aws.region}: give only the other regions whose "
            "consumers may connect (the service's own region always can)",
        )
    workload = _workload(r)
    listener = _listener(r)
    targets = _targets(r, workload)
    _passthrough_backend(r, listener, workload)
    _private_image_pulls(r, network, workload, targets, aws.region)
    monitoring = read_monitoring(r, "provider")
    notifications = r.boolean("connectionNotifications")
    if notifications and not monitoring.enabled:
        r.problems.append(
            f"{NAMESPACE}:connectionNotifications: true needs {NAMESPACE}:monitoring true: the "
            "notifications go to the alarm topic it creates"
        )
    return ProviderSettings(
        name=name,
        network=network,
        cluster=_cluster(r, name, network),
        workload=workload,
        listener=listener,
        targets=targets,
        consumer_account_ids=accounts,
        consumer_role_arns=roles,
        consumer_stacks=stacks,
        create_cloudtrail=r.boolean("createCloudTrail"),
        protect_endpoint_service=r.boolean("protectEndpointService"),
        connection_notifications=notifications and monitoring.enabled,
        log_retention_days=retention,
        monitoring=monitoring,
        supported_regions=supported,
        publish_private_dns_name=r.boolean("publishPrivateDnsName"),
        aws=aws,
    )
