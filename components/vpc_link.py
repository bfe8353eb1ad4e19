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
class LinkGroup:
    """The link's security group and the one port it opens, as each link names them (the
    REST link's names and descriptions are its deployed resources'; they must not change)."""

    name: str
    description: str
    rule: str
    egress_why: str
    ingress_why: str
    opts: pulumi.ResourceOptions


def link_with_its_group(
    group: LinkGroup,
    *,
    link_name: str,
    vpc_id: pulumi.Input[str],
    subnet_ids: list[pulumi.Output[str]],
    target: pulumi.Input[str],
    port: int,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.apigatewayv2.VpcLink:
    """A VPC link v2 whose ENIs carry a security group of their own, which sends to `target`
    on `port` only (and `target` admits it)."""
    link_sg = aws.ec2.SecurityGroup(
        group.name,
        vpc_id=vpc_id,
        description=group.description,
        tags={**tags, "Name": group.name},
        opts=group.opts,
    )
    allow_tcp(
        group.rule,
        source=link_sg.id,
        target=target,
        port=port,
        egress_why=group.egress_why,
        ingress_why=group.ingress_why,
        opts=group.opts,
    )
    return aws.apigatewayv2.VpcLink(
        link_name,
        name=link_name,
        subnet_ids=subnet_ids,
        security_group_ids=[link_sg.id],
        tags=tags,
        opts=opts,
    )


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
            link_v2 = link_with_its_group(
                LinkGroup(
                    name=f"{args.former.nlb}-vpc-link",
                    description="API Gateway VPC link ENIs: out to the consumer NLB only",
                    rule=f"{args.former.nlb}-link-nlb",
                    egress_why="VPC link to the consumer NLB listener",
                    ingress_why="Consumer NLB admits the API Gateway VPC link on the listener port",
                    opts=nlb_era,
                ),
                link_name=link_name,
                vpc_id=args.vpc_id,
                subnet_ids=args.subnet_ids,
                target=args.nlb_security_group_id,
                port=args.port,
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
        link = link_with_its_group(
            LinkGroup(
                name=f"{name}-sg",
                description="API Gateway VPC link ENIs: out to the interface endpoint only",
                rule=f"{name}-endpoint",
                egress_why="VPC link to the interface endpoint on the listener port",
                ingress_why=(
                    "Interface endpoint admits the API Gateway VPC link on the listener port"
                ),
                opts=child,
            ),
            link_name=name,
            vpc_id=args.vpc_id,
            subnet_ids=args.subnet_ids,
            target=args.endpoint_security_group_id,
            port=args.port,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.after),
        )
        self.link_id = link.id
        self.register_outputs({"link_id": self.link_id})
