"""VpcLink: API Gateway's way into the consumer VPC (account A), to the consumer NLB's listener.

v2 (the default): the link's ENIs sit in the consumer's subnets with a security group of their
own, which sends to the NLB's listener only; the NLB admits only that group. v1: a link to the
NLB's ARN over PrivateLink (no security group; creating one takes 8 minutes or more). The
README's "VPC link" section weighs the two.

`EndpointVpcLink` is the HTTP API front's link (xacct:frontend http): v2, its ENIs sending
straight to the interface endpoint's security group on the listener port, no NLB between.

The REST link's resources were created by the NLB's and the API's components before this
module held them: they keep their names, and aliases to their former parents keep their URNs,
so moving them replaced nothing (tests/test_urns.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.security import allow_tcp
from components.settings import VpcLinkVersion

NLB_COMPONENT = "xacct:consumer:ConsumerLoadBalancer"
API_COMPONENT = "xacct:consumer:PrivateApi"


@dataclass(frozen=True, kw_only=True)
class FormerOwners:
    """The components that held the link's resources before: their names prefix the resources'
    names (which must not change), their URNs are the aliases' parents."""

    nlb: str
    api: str


@dataclass(frozen=True, kw_only=True)
class VpcLinkArgs:
    version: VpcLinkVersion
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Output[str]]
    nlb_arn: pulumi.Input[str]
    nlb_security_group_id: pulumi.Input[str]
    port: int
    after: list[pulumi.Resource]
    """What the link's ENIs wait for (the endpoint holding its pinned IPs)."""
    former: FormerOwners
    tags: dict[str, str] | None = None


class VpcLink(pulumi.ComponentResource):
    link_id: pulumi.Output[str]
    """The VPC link (v2 or v1) the API's integrations use."""
    integration_target: pulumi.Output[str] | None
    """With v2, the load balancer each integration names (v1 links name it themselves)."""

    def __init__(
        self, name: str, args: VpcLinkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:VpcLink", name, None, opts)
        side = opts.parent if opts else None
        tags = args.tags or {}

        def formerly(owner: str, type_: str) -> pulumi.ResourceOptions:
            was = pulumi.Alias(parent=pulumi.create_urn(owner, type_, parent=side))
            return pulumi.ResourceOptions(parent=self, aliases=[was])

        nlb_era = formerly(args.former.nlb, NLB_COMPONENT)
        api_era = formerly(args.former.api, API_COMPONENT)
        link_name = f"{args.former.api}-link"
        self.integration_target = None
        if args.version == "v2":
            link_sg = aws.ec2.SecurityGroup(
                f"{args.former.nlb}-vpc-link",
                vpc_id=args.vpc_id,
                description="API Gateway VPC link ENIs: out to the consumer NLB only",
                tags={**tags, "Name": f"{args.former.nlb}-vpc-link"},
                opts=nlb_era,
            )
            allow_tcp(
                f"{args.former.nlb}-link-nlb",
                source=link_sg.id,
                target=args.nlb_security_group_id,
                port=args.port,
                egress_why="VPC link to the consumer NLB listener",
                ingress_why="Consumer NLB admits the API Gateway VPC link on the listener port",
                opts=nlb_era,
            )
            link_v2 = aws.apigatewayv2.VpcLink(
                link_name,
                name=link_name,
                subnet_ids=args.subnet_ids,
                security_group_ids=[link_sg.id],
                tags=tags,
                opts=pulumi.ResourceOptions.merge(
                    api_era, pulumi.ResourceOptions(depends_on=args.after)
                ),
            )
            self.link_id = link_v2.id
            self.integration_target = pulumi.Output.from_input(args.nlb_arn)
        else:
            link_v1 = aws.apigateway.VpcLink(
                link_name,
                name=link_name,
                target_arn=args.nlb_arn,
                description="To the consumer NLB in front of the PrivateLink endpoint",
                tags=tags,
                opts=api_era,
            )
            self.link_id = link_v1.id
        self.register_outputs({"link_id": self.link_id})


@dataclass(frozen=True, kw_only=True)
class EndpointVpcLinkArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Output[str]]
    endpoint_security_group_id: pulumi.Input[str]
    port: int
    after: list[pulumi.Resource]
    """What the link's ENIs wait for (the endpoint holding its pinned IPs)."""
    tags: dict[str, str] | None = None


class EndpointVpcLink(pulumi.ComponentResource):
    """VPC link v2 for the HTTP API: out to the interface endpoint only."""

    link_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: EndpointVpcLinkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:EndpointVpcLink", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}
        link_sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="API Gateway VPC link ENIs: out to the interface endpoint only",
            tags={**tags, "Name": f"{name}-sg"},
            opts=child,
        )
        allow_tcp(
            f"{name}-endpoint",
            source=link_sg.id,
            target=args.endpoint_security_group_id,
            port=args.port,
            egress_why="VPC link to the interface endpoint on the listener port",
            ingress_why="Interface endpoint admits the API Gateway VPC link on the listener port",
            opts=child,
        )
        link = aws.apigatewayv2.VpcLink(
            name,
            name=name,
            subnet_ids=args.subnet_ids,
            security_group_ids=[link_sg.id],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.after),
        )
        self.link_id = link.id
        self.register_outputs({"link_id": self.link_id})
