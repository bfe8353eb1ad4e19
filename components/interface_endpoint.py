"""InterfaceEndpoint and ConsumerLoadBalancer: account A's end of the PrivateLink connection, and
the internal NLB that API Gateway's VPC link needs in front of it.

The endpoint gets one ENI per subnet at a fixed IP (`subnet_configurations`), so the NLB's IP
targets are known while the program runs: no ENI lookups, no resources inside `apply`.
Its security group admits only the listener port, only from the consumer NLB's security group.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config import VpcLinkVersion
from components.network import NetworkPlan, PlacementError
from components.nlb import HEALTH_CHECK_TIMEOUT, listener_options
from components.security import allow_tcp


def pin_endpoint_ips(
    plan: NetworkPlan, host_number: int, explicit: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The endpoint ENI's IP in each subnet, in the order of `plan.subnets`: the address given
    for that subnet (xacct:endpointIps), else its network address + `host_number`. AWS keeps the
    first four and the last address of every subnet."""
    if explicit:
        return _explicit_ips(plan, explicit)
    ips = []
    for subnet in plan.subnets:
        network = ipaddress.ip_network(subnet.cidr)
        last_usable = network.num_addresses - 2  # AWS keeps the broadcast address
        if not 4 <= host_number <= last_usable:
            raise PlacementError(
                f"xacct:endpointHostNumber: {host_number} does not fit subnet {subnet.cidr} "
                f"({subnet.az_id}): expected 4 to {last_usable}"
            )
        ips.append(str(network.network_address + host_number))
    return tuple(ips)


def _explicit_ips(plan: NetworkPlan, explicit: tuple[str, ...]) -> tuple[str, ...]:
    by_subnet: dict[str, list[str]] = {s.cidr: [] for s in plan.subnets}
    problems = []
    for ip in explicit:
        address = ipaddress.ip_address(ip)
        home = next((c for c in by_subnet if address in ipaddress.ip_network(c)), None)
        if home is None:
            problems.append(f"{ip} is in none of the endpoint's subnets")
            continue
        network = ipaddress.ip_network(home)
        if int(address) - int(network.network_address) < 4 or address == network.broadcast_address:
            problems.append(f"{ip} is one AWS reserves in {home} (the first four and the last)")
        by_subnet[home].append(ip)
    for subnet in plan.subnets:
        given = by_subnet[subnet.cidr]
        if not given:
            where = subnet.existing_id or subnet.az_id
            problems.append(f"no address for subnet {where} ({subnet.cidr})")
        elif len(given) > 1:
            problems.append(f"{' and '.join(given)} are both in {subnet.cidr}: one per subnet")
    if problems:
        subnets = ", ".join(f"{s.existing_id or s.az_id} {s.cidr}" for s in plan.subnets)
        raise PlacementError(
            "xacct:endpointIps: "
            + "; ".join(problems)
            + f". Give one free address in each subnet the endpoint uses ({subnets})."
        )
    return tuple(by_subnet[s.cidr][0] for s in plan.subnets)


@dataclass(frozen=True, kw_only=True)
class InterfaceEndpointArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Output[str]]
    ips: tuple[str, ...]
    service_name: str
    port: int
    tags: dict[str, str] | None = None


class InterfaceEndpoint(pulumi.ComponentResource):
    endpoint_id: pulumi.Output[str]
    """The interface endpoint (vpce-...): the provider accepts exactly this id."""
    security_group_id: pulumi.Output[str]
    """The endpoint's security group."""

    def __init__(
        self, name: str, args: InterfaceEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:InterfaceEndpoint", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoint",
            vpc_id=args.vpc_id,
            description="Interface endpoint to the provider: listener port from the consumer NLB",
            tags={**(args.tags or {}), "Name": f"{name}-endpoint"},
            opts=child,
        )
        endpoint = aws.ec2.VpcEndpoint(
            f"{name}-endpoint",
            vpc_id=args.vpc_id,
            service_name=args.service_name,
            vpc_endpoint_type="Interface",
            # The provider publishes no verified private DNS name: the API calls the NLB in
            # this VPC, and TLS is verified against the provider's server name instead.
            private_dns_enabled=False,
            ip_address_type="ipv4",
            subnet_ids=args.subnet_ids,
            subnet_configurations=[
                aws.ec2.VpcEndpointSubnetConfigurationArgs(subnet_id=subnet_id, ipv4=ip)
                for subnet_id, ip in zip(args.subnet_ids, args.ips, strict=True)
            ],
            security_group_ids=[sg.id],
            tags={**(args.tags or {}), "Name": f"{name}-endpoint"},
            # Its ENIs hold the pinned IPs: a replacement can only take them once this one is gone.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.endpoint_id = endpoint.id
        self.security_group_id = sg.id
        self.register_outputs({"endpoint_id": self.endpoint_id})


@dataclass(frozen=True, kw_only=True)
class ConsumerLoadBalancerArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Output[str]]
    target_ips: tuple[str, ...]
    port: int
    endpoint_security_group_id: pulumi.Input[str]
    vpc_link_version: VpcLinkVersion
    after: list[pulumi.Resource]
    """The endpoint: created first, so its ENIs hold the pinned IPs before the NLB's ENIs are
    placed in the same subnets, and the IPs exist before they are registered as targets."""
    tags: dict[str, str] | None = None


class ConsumerLoadBalancer(pulumi.ComponentResource):
    """Internal NLB whose IP targets are the endpoint's ENIs; TCP passthrough, so TLS runs from
    API Gateway to the provider's NLB (or workload) untouched.

    VPC link v2 reaches it from its own ENIs: the NLB admits only the link's security group.
    VPC link v1 reaches it through PrivateLink: inbound rules are then not evaluated for that
    traffic ("off"), and with no inbound rules at all nothing else can connect.
    """

    arn: pulumi.Output[str]
    """The NLB's ARN, the VPC link's target."""
    security_group_id: pulumi.Output[str]
    """The NLB's security group."""
    link_security_group_id: pulumi.Output[str] | None
    """VPC link v2's security group (None with v1)."""
    arn_suffix: pulumi.Output[str]
    """The LoadBalancer dimension of its CloudWatch metrics."""
    target_group_arn_suffix: pulumi.Output[str]
    """The TargetGroup dimension of its CloudWatch metrics."""

    def __init__(
        self,
        name: str,
        args: ConsumerLoadBalancerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("xacct:consumer:ConsumerLoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}
        port = args.port
        sg = aws.ec2.SecurityGroup(
            f"{name}-nlb",
            vpc_id=args.vpc_id,
            description="Consumer NLB: listener port from the VPC link, out to the endpoint",
            tags={**tags, "Name": f"{name}-nlb"},
            opts=child,
        )
        allow_tcp(
            f"{name}-nlb-endpoint",
            source=sg.id,
            target=args.endpoint_security_group_id,
            port=port,
            egress_why="NLB to the interface endpoint ENIs (traffic and health checks)",
            ingress_why="Endpoint admits the consumer NLB on the listener port only",
            opts=child,
        )
        self.link_security_group_id = None
        if args.vpc_link_version == "v2":
            link_sg = aws.ec2.SecurityGroup(
                f"{name}-vpc-link",
                vpc_id=args.vpc_id,
                description="API Gateway VPC link ENIs: out to the consumer NLB only",
                tags={**tags, "Name": f"{name}-vpc-link"},
                opts=child,
            )
            allow_tcp(
                f"{name}-link-nlb",
                source=link_sg.id,
                target=sg.id,
                port=port,
                egress_why="VPC link to the consumer NLB listener",
                ingress_why="Consumer NLB admits the API Gateway VPC link on the listener port",
                opts=child,
            )
            self.link_security_group_id = link_sg.id

        after_endpoint = pulumi.ResourceOptions(parent=self, depends_on=args.after)
        nlb = aws.lb.LoadBalancer(
            # `<name>-nlb` (not `-lb-nlb`): the autonamed name must fit ELB's 32 characters.
            f"{name}-nlb",
            load_balancer_type="network",
            internal=True,
            subnets=args.subnet_ids,
            security_groups=[sg.id],
            enforce_security_group_inbound_rules_on_private_link_traffic=(
                "off" if args.vpc_link_version == "v1" else "on"
            ),
            # Every endpoint ENI serves every AZ: one unhealthy ENI does not black-hole an AZ.
            enable_cross_zone_load_balancing=True,
            tags=tags,
            opts=after_endpoint,
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            vpc_id=args.vpc_id,
            target_type="ip",
            protocol="TCP",
            port=port,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                protocol="TCP",
                port="traffic-port",
                interval=10,
                timeout=HEALTH_CHECK_TIMEOUT,
                healthy_threshold=3,
                unhealthy_threshold=3,
            ),
            tags=tags,
            # Was `<name>-endpoint`, whose autoname could exceed ELB's 32 characters.
            opts=pulumi.ResourceOptions(
                parent=self, aliases=[pulumi.Alias(name=f"{name}-endpoint")]
            ),
        )
        for ip in args.target_ips:
            aws.lb.TargetGroupAttachment(
                f"{name}-endpoint-{ip}",
                target_group_arn=target_group.arn,
                target_id=ip,
                port=port,
                opts=after_endpoint,
            )
        aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn=nlb.arn,
            port=port,
            protocol="TCP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
            ],
            tags=tags,
            opts=listener_options(self),
        )
        self.arn = nlb.arn
        self.security_group_id = sg.id
        self.arn_suffix = nlb.arn_suffix
        self.target_group_arn_suffix = target_group.arn_suffix
        self.register_outputs({"arn": self.arn})
