"""ConsumerLoadBalancer: the internal NLB in account A that API Gateway's VPC link needs in front
of the interface endpoint (a private integration targets a load balancer, never an endpoint).
Its IP targets are the endpoint's pinned ENI addresses, known while the program runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.nlb import HEALTH_CHECK_TIMEOUT, listener_options
from components.security import allow_tcp
from components.settings import VpcLinkVersion


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

    VPC link v2 reaches it from its own ENIs: the NLB admits only the link's security group (the
    rule is the link's, components/vpc_link.py). VPC link v1 reaches it through PrivateLink:
    inbound rules are then not evaluated for that traffic ("off"), and with no inbound rules at
    all nothing else can connect.
    """

    arn: pulumi.Output[str]
    """The NLB's ARN, the VPC link's target."""
    security_group_id: pulumi.Output[str]
    """The NLB's security group."""
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
