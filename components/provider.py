"""The provider side (account B): the endpoint service, the internal NLB behind it, its
certificate, the private EKS cluster, the workload (and the LB controller for ip targets).

Built like the consumer side (components/consumer.py): `build` takes the settings and the
account's facts, plans and checks as plain data (placement, nodes, the consumer connections to
accept), composes the hops in `ProviderSide`, and returns the stack's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import outputs as keys
from components.audit import AuditTrail, AuditTrailArgs
from components.aws_limits import EKS_SUBNET_FREE_ADDRESSES, NLB_SUBNET_FREE_ADDRESSES
from components.certificate import (
    ListenerCertificate,
    ListenerCertificateArgs,
    check_validation_zone,
)
from components.cluster import (
    NodePlan,
    PrivateCluster,
    PrivateClusterArgs,
    plan_nodes,
    unusable_az_ids,
)
from components.endpoint_service import (
    ConnectionAcceptance,
    ConnectionAcceptanceArgs,
    ConsumerConnection,
    EndpointService,
    EndpointServiceArgs,
)
from components.keys import LogsKey, LogsKeyArgs
from components.lb_controller import LoadBalancerController, LoadBalancerControllerArgs
from components.lookups import AccountFacts, eks_versions, hosted_zone, node_type_facts
from components.monitoring import (
    EndpointServiceRef,
    Monitoring,
    MonitoringArgs,
    ProviderHops,
    monitoring_exports,
    provider_alarms,
)
from components.network import (
    NODE_INTERFACE_ENDPOINTS,
    NetworkPlan,
    PrivateNetwork,
    PrivateNetworkArgs,
    check_capacity,
    plan_for,
)
from components.provider_nlb import ProviderLoadBalancer, ProviderLoadBalancerArgs
from components.settings import ProviderSettings, stack_tags
from components.stack_link import StackRead, read_stacks
from components.workload import Workload, WorkloadArgs


@dataclass(frozen=True, kw_only=True)
class ProviderSideArgs:
    settings: ProviderSettings
    facts: AccountFacts
    plan: NetworkPlan
    nodes: NodePlan | None
    """The created cluster's node group as planned (None with an existing cluster)."""
    connections: list[ConsumerConnection]
    tags: dict[str, str]


class ProviderSide(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    """The endpoint service name consumers connect to."""
    service_id: pulumi.Output[str]
    """The endpoint service id."""
    nlb_arn: pulumi.Output[str]
    """The internal NLB behind the service."""
    nlb_dns_name: pulumi.Output[str]
    """The NLB's internal DNS name."""
    dns_verification: pulumi.Output[Any] | None
    """The private DNS name's TXT record (name, type, value), with xacct:publishPrivateDnsName."""
    accepted_endpoint_ids: pulumi.Output[list[str]]
    """Consumer endpoints accepted by this stack (empty until consumer stacks are listed)."""
    monitoring: Monitoring | None
    """Alarms, their topic and the dashboard (None with xacct:monitoring false)."""
    retained: list[pulumi.Output[str]]
    """What `pulumi destroy` leaves in place on purpose (the audit trail's bucket and key)."""

    def __init__(
        self, name: str, args: ProviderSideArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:provider:ProviderSide", name, None, opts)
        s, facts, tags = args.settings, args.facts, args.tags
        child = pulumi.ResourceOptions(parent=self)

        logs_key = LogsKey(
            f"{name}-logs",
            LogsKeyArgs(
                facts=facts,
                retain=s.create_cloudtrail,
                endpoint_notifications=s.connection_notifications,
                tags=tags,
            ),
            opts=child,
        )
        self.retained: list[pulumi.Output[str]] = []
        network = PrivateNetwork(
            f"{name}-net",
            PrivateNetworkArgs(
                plan=args.plan,
                facts=facts,
                log_retention_days=s.log_retention_days,
                node_egress=s.network.node_egress,
                log_kms_key_arn=logs_key.arn,
                tags=tags,
            ),
            opts=child,
        )
        cluster = PrivateCluster(
            f"{name}-cluster",
            PrivateClusterArgs(
                settings=s.cluster,
                facts=facts,
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                log_retention_days=s.log_retention_days,
                log_kms_key_arn=logs_key.arn,
                credentials=s.aws,
                nodes=args.nodes,
                needs_oidc=(
                    s.targets.mode == "ip"
                    and s.targets.install_controller
                    and s.targets.identity == "irsa"
                ),
                tags=tags,
            ),
            opts=child,
        )
        kubernetes = None
        if s.workload.deploy:
            kubernetes = k8s.Provider(f"{name}-k8s", kubeconfig=cluster.kubeconfig, opts=child)
        certificate_arn = None
        if s.listener.tls_mode == "tls":
            certificate_arn = ListenerCertificate(
                f"{name}-tls",
                ListenerCertificateArgs(
                    server_name=s.listener.server_name,
                    certificate_arn=s.listener.certificate_arn,
                    route53_zone_id=s.listener.route53_zone_id,
                    tags=tags,
                ),
                opts=child,
            ).arn
        ip_targets = s.targets.mode == "ip"
        nlb = ProviderLoadBalancer(
            f"{name}-lb",
            ProviderLoadBalancerArgs(
                listener=s.listener,
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                target_type=s.targets.mode,
                target_port=s.workload.port if ip_targets else s.workload.node_port,
                node_security_group_id=cluster.node_security_group_id,
                node_asg_names=cluster.node_asg_names,
                certificate_arn=certificate_arn,
                deletion_protection=s.protect_endpoint_service,
                tags=tags,
            ),
            opts=child,
        )
        controller = None
        if ip_targets and s.targets.install_controller and kubernetes is not None:
            controller = LoadBalancerController(
                f"{name}-lbc",
                LoadBalancerControllerArgs(
                    facts=facts,
                    cluster_name=cluster.cluster_name,
                    vpc_id=network.vpc_id,
                    chart_version=s.targets.chart_version,
                    identity=s.targets.identity,
                    target_group_arn=nlb.target_group_arn,
                    kubernetes=kubernetes,
                    oidc_provider_arn=cluster.oidc_provider_arn,
                    oidc_issuer=cluster.oidc_issuer,
                    install_pod_identity_agent=not s.cluster.existing,
                    depends_on=cluster.nodes,
                    tags=tags,
                ),
                opts=child,
            ).release
        if kubernetes is not None:
            Workload(
                f"{name}-app",
                WorkloadArgs(
                    settings=s.workload,
                    kubernetes=kubernetes,
                    depends_on=[cluster],
                    target_group_arn=nlb.target_group_arn if ip_targets else None,
                    controller=controller,
                    serves_tls=s.listener.tls_mode == "passthrough",
                ),
                opts=child,
            )
        service = EndpointService(
            f"{name}-svc",
            EndpointServiceArgs(
                nlb_arn=nlb.arn,
                allowed_principals=s.allowed_principals,
                protect=s.protect_endpoint_service,
                supported_regions=s.offered_regions(facts.region),
                private_dns_name=s.private_dns_name,
                verification_zone_id=s.listener.route53_zone_id,
                tags=tags,
            ),
            opts=child,
        )
        self.accepted_endpoint_ids = pulumi.Output.from_input([])
        if args.connections:
            self.accepted_endpoint_ids = ConnectionAcceptance(
                f"{name}-accept",
                ConnectionAcceptanceArgs(
                    service_id=service.service_id,
                    connections=args.connections,
                    allowed_account_ids=s.allowed_account_ids,
                ),
                opts=child,
            ).accepted_endpoint_ids
        if s.create_cloudtrail:
            trail = AuditTrail(
                f"{name}-audit",
                AuditTrailArgs(
                    facts=facts,
                    kms_key_arn=logs_key.arn,
                    log_retention_days=s.log_retention_days,
                    tags=tags,
                ),
                opts=child,
            )
            self.retained = [
                pulumi.Output.concat("S3 bucket ", trail.bucket_name, " (CloudTrail log files)"),
                pulumi.Output.concat("KMS key ", logs_key.arn, " (encrypts those log files)"),
            ]

        self.monitoring = None
        if s.monitoring.enabled:
            self.monitoring = Monitoring(
                f"{name}-watch",
                MonitoringArgs(
                    settings=s.monitoring,
                    region=facts.region,
                    kms_key_arn=logs_key.arn,
                    watched=provider_alarms(
                        s.monitoring,
                        ProviderHops(
                            nlb_suffix=nlb.arn_suffix,
                            target_group_suffix=nlb.target_group_arn_suffix,
                            az_names=tuple(subnet.az_name for subnet in args.plan.subnets),
                            service_id=service.service_id,
                            accepted_endpoint_ids=tuple(c.endpoint_id for c in args.connections),
                        ),
                    ),
                    connections_of=(
                        EndpointServiceRef(
                            service_id=service.service_id,
                            service_arn=service.service_arn,
                            account_id=facts.account_id,
                        )
                        if s.connection_notifications
                        else None
                    ),
                    tags=tags,
                ),
                opts=child,
            )

        self.service_name = service.service_name
        self.service_id = service.service_id
        self.dns_verification = service.dns_verification
        self.nlb_arn = nlb.arn
        self.nlb_dns_name = nlb.dns_name
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_id": self.service_id,
                "nlb_arn": self.nlb_arn,
                "accepted_endpoint_ids": self.accepted_endpoint_ids,
            }
        )


async def read_consumer_connections(stacks: tuple[str, ...]) -> list[ConsumerConnection]:
    """Each listed consumer stack's endpoint id and account, read from its outputs, all
    stacks at once."""
    found = await read_stacks(
        [
            StackRead(
                resource_name=f"consumer-{stack.replace('/', '-')}",
                stack=stack,
                keys=keys.CONSUMER_KEYS_READ_BY_PROVIDER,
                hint=f"run `pulumi up` on {stack} first, or remove it from xacct:consumerStacks",
            )
            for stack in stacks
        ]
    )
    return [
        ConsumerConnection(
            stack=stack,
            endpoint_id=str(values[keys.INTERFACE_ENDPOINT_ID]),
            account_id=str(values[keys.CONSUMER_ACCOUNT_ID]),
        )
        for stack, values in zip(stacks, found, strict=True)
    ]


def provider_subnet_needs(
    settings: ProviderSettings, plan: NetworkPlan, nodes: NodePlan | None
) -> list[tuple[str, int]]:
    """What each of the provider's private subnets holds, in addresses."""
    needs = [("the NLB", NLB_SUBNET_FREE_ADDRESSES)]
    if nodes is not None:
        per_subnet = -(-(settings.cluster.node_count + 2) // len(plan.subnets))
        needs = [
            ("EKS", EKS_SUBNET_FREE_ADDRESSES),
            *needs,
            (
                f"{per_subnet} node(s) of {nodes.addresses_per_node} "
                f"({settings.cluster.node_instance_type}, up to nodeCount + 2 while updating)",
                per_subnet * nodes.addresses_per_node,
            ),
        ]
    if settings.network.node_egress == "vpc-endpoints":
        needs.append(("the AWS service endpoints", len(NODE_INTERFACE_ENDPOINTS)))
    return needs


async def build(settings: ProviderSettings, facts: AccountFacts) -> dict[str, Any]:
    """Account B's side: plan and check, compose the hops, return the stack's outputs."""
    nodes = None
    excluded: dict[str, str] = {}
    if not settings.cluster.existing:
        node_type = node_type_facts(settings.cluster.node_instance_type)
        nodes = plan_nodes(settings.cluster, node_type, eks_versions(), facts.region)
        excluded = unusable_az_ids(list(facts.az_names_by_id), node_type)
    if settings.listener.route53_zone_id:
        zone = hosted_zone(settings.listener.route53_zone_id)
        check_validation_zone(settings.listener.server_name, zone)
    plan = plan_for(settings, facts, excluded_az_ids=excluded, min_az_count=2)
    check_capacity(plan, provider_subnet_needs(settings, plan, nodes))
    connections = await read_consumer_connections(settings.consumer_stacks)
    side = ProviderSide(
        settings.name,
        ProviderSideArgs(
            settings=settings,
            facts=facts,
            plan=plan,
            nodes=nodes,
            connections=connections,
            tags=stack_tags(settings),
        ),
    )
    return {
        keys.ENDPOINT_SERVICE_NAME: side.service_name,
        keys.ENDPOINT_SERVICE_ID: side.service_id,
        keys.SERVICE_AZ_IDS: list(plan.az_ids),
        keys.PROVIDER_NLB_ARN: side.nlb_arn,
        keys.PROVIDER_NLB_DNS_NAME: side.nlb_dns_name,
        keys.LISTENER_PORT: settings.listener.port,
        keys.TLS_SERVER_NAME: settings.listener.server_name,
        keys.PROVIDER_ACCOUNT_ID: facts.account_id,
        keys.PROVIDER_REGION: facts.region,
        keys.SUPPORTED_REGIONS: list(settings.offered_regions(facts.region)),
        keys.PRIVATE_DNS_NAME: settings.private_dns_name,
        keys.PRIVATE_DNS_VERIFICATION: side.dns_verification,
        keys.ALLOWED_ACCOUNT_IDS: list(settings.allowed_account_ids),
        keys.ACCEPTED_ENDPOINT_IDS: side.accepted_endpoint_ids,
        keys.CLUSTER_NAME: settings.cluster.name,
        keys.NAME_PREFIX: settings.name,
        keys.RETAINED_ON_DESTROY: side.retained,
        **monitoring_exports(side.monitoring),
    }
