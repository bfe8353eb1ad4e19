"""ProviderLoadBalancer: the internal NLB in account B that the endpoint service publishes.

Listener on the configured port: TLS with an ACM certificate and a TLS 1.2/1.3 policy, or TCP
passthrough when (and only when) the workload terminates TLS itself. Targets: the node group's
instances on the workload's node port (the target group is attached to each node ASG).

Security groups can only be put on an NLB when it is created, so it always gets one. Inbound
rules are *not* evaluated for PrivateLink traffic (`enforce_..._private_link_traffic = "off"`):
consumers reach the NLB only through the endpoint service, whose allowed principals and manual
acceptance are the access control, and their source addresses come from other accounts' VPCs
(which may overlap this one), so no CIDR rule could name them. With no inbound rules at all, the
NLB admits nothing but PrivateLink traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.nlb import HEALTH_CHECK_TIMEOUT, listener_options
from components.security import allow_tcp
from components.settings import ListenerSettings


@dataclass(frozen=True, kw_only=True)
class ProviderLoadBalancerArgs:
    listener: ListenerSettings
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Output[str]]
    target_type: Literal["instance", "ip"]
    target_port: int
    """The node port (instance targets) or the pods' port (ip targets)."""
    node_security_group_id: pulumi.Input[str]
    """The nodes' security group: with the VPC CNI, pods use it too."""
    node_asg_names: list[pulumi.Output[str]]
    """Instance targets only: the ASGs attached to the target group."""
    certificate_arn: pulumi.Input[str] | None = None
    deletion_protection: bool = True
    """On while the endpoint service is protected: the service cannot outlive its NLB."""
    tags: dict[str, str] | None = None


class ProviderLoadBalancer(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    """The NLB's ARN: what the endpoint service publishes."""
    dns_name: pulumi.Output[str]
    """The NLB's internal DNS name."""
    target_group_arn: pulumi.Output[str]
    """The target group (nodes on the node port, or pod IPs)."""
    security_group_id: pulumi.Output[str]
    """The NLB's security group (no inbound rules; egress to the nodes only)."""
    arn_suffix: pulumi.Output[str]
    """The LoadBalancer dimension of its CloudWatch metrics."""
    target_group_arn_suffix: pulumi.Output[str]
    """The TargetGroup dimension of its CloudWatch metrics."""

    def __init__(
        self, name: str, args: ProviderLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:provider:ProviderLoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}
        listener = args.listener
        tls = listener.tls_mode == "tls"

        sg = aws.ec2.SecurityGroup(
            f"{name}-nlb",
            vpc_id=args.vpc_id,
            description="Provider NLB: PrivateLink traffic in, node port out to the nodes",
            tags={**tags, "Name": f"{name}-nlb"},
            opts=child,
        )
        allow_tcp(
            f"{name}-nlb-nodes",
            source=sg.id,
            target=args.node_security_group_id,
            port=args.target_port,
            egress_why="NLB to the workload port on the nodes or pods (traffic and checks)",
            ingress_why="Nodes and pods admit the provider NLB on the workload port only",
            opts=child,
        )

        nlb = aws.lb.LoadBalancer(
            # `<name>-nlb` (not `-lb-nlb`): the autonamed name must fit ELB's 32 characters.
            f"{name}-nlb",
            load_balancer_type="network",
            internal=True,
            subnets=args.subnet_ids,
            security_groups=[sg.id],
            enforce_security_group_inbound_rules_on_private_link_traffic="off",
            enable_cross_zone_load_balancing=True,
            # The endpoint service stands on this NLB: deleting it breaks every consumer, so it
            # is protected for as long as the service is (xacct:protectEndpointService).
            enable_deletion_protection=args.deletion_protection,
            tags=tags,
            opts=child,
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            vpc_id=args.vpc_id,
            target_type=args.target_type,
            protocol="TCP",
            port=args.target_port,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                # TLS ends at the NLB, so the workload speaks HTTP; in passthrough it speaks
                # TLS, and an HTTPS check (the NLB does not verify the certificate) proves it
                # answers requests, which a TCP check would not.
                protocol="HTTP" if tls else "HTTPS",
                path="/",
                port="traffic-port",
                healthy_threshold=3,
                unhealthy_threshold=3,
                interval=10,
                timeout=HEALTH_CHECK_TIMEOUT,
            ),
            tags=tags,
            # Was `<name>-nodes`, whose autoname could exceed ELB's 32 characters.
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name=f"{name}-nodes")]),
        )
        asgs = args.node_asg_names if args.target_type == "instance" else []
        for index, asg_name in enumerate(asgs):
            aws.autoscaling.Attachment(
                f"{name}-nodes-{index}",
                autoscaling_group_name=asg_name,
                lb_target_group_arn=target_group.arn,
                opts=child,
            )
        aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn=nlb.arn,
            port=listener.port,
            protocol="TLS" if tls else "TCP",
            certificate_arn=args.certificate_arn if tls else None,
            ssl_policy=listener.tls_policy if tls else None,
            alpn_policy="HTTP1Only" if tls else None,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
            ],
            tags=tags,
            opts=listener_options(self),
        )
        self.arn = nlb.arn
        self.dns_name = nlb.dns_name
        self.target_group_arn = target_group.arn
        self.security_group_id = sg.id
        self.arn_suffix = nlb.arn_suffix
        self.target_group_arn_suffix = target_group.arn_suffix
        self.register_outputs(
            {"arn": self.arn, "dns_name": self.dns_name, "target_group_arn": self.target_group_arn}
        )
