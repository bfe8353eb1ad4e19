"""PrivateNetwork: a VPC with private subnets in chosen AZ IDs, or an existing VPC's subnets.

Placement is decided first, as plain data (`plan_network`), from settings and account facts:
which AZ IDs, which CIDRs, which existing subnets. The component then declares what the plan says.
AZ *IDs* (use1-az1) are what match across accounts; AZ names (us-east-1a) do not.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_limits import SUBNET_RESERVED_ADDRESSES
from components.errors import StackError
from components.lookups import AccountFacts, SubnetFacts, subnet_facts, vpc_cidr
from components.settings import NetworkSettings, NodeEgress, Settings

# Interface endpoints a private node group needs when it has no NAT: image pulls (ECR API and
# registry, plus the S3 gateway for layers), node bootstrap (EC2, STS), logs and Pod Identity.
NODE_INTERFACE_ENDPOINTS = (
    "ec2",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "eks-auth",
    "elasticloadbalancing",
)


class PlacementError(StackError):
    """The subnets cannot be placed as asked (AZ IDs, VPC membership, sizes)."""


@dataclass(frozen=True, kw_only=True)
class PlannedSubnet:
    az_id: str
    az_name: str
    cidr: str
    existing_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class NetworkPlan:
    vpc_cidr: str
    existing_vpc_id: str | None
    subnets: tuple[PlannedSubnet, ...]
    public_cidrs: tuple[str, ...] = ()
    """Created only with NAT egress: one small public subnet per AZ for the NAT gateway."""

    @property
    def az_ids(self) -> tuple[str, ...]:
        return tuple(s.az_id for s in self.subnets)


def plan_network(
    settings: NetworkSettings,
    facts: AccountFacts,
    existing: list[SubnetFacts] | None = None,
    *,
    existing_vpc_cidr: str | None = None,
    allowed_az_ids: tuple[str, ...] | None = None,
    allowed_from: str = "",
    excluded_az_ids: Mapping[str, str] | None = None,
    min_az_count: int = 1,
) -> NetworkPlan:
    """Choose subnets. `allowed_az_ids` limits them (the consumer: the service's AZ IDs);
    `excluded_az_ids` are AZ IDs the provider cannot use, each with the reason (EKS does not
    create clusters there, the node type is not offered there); `min_az_count` is how many AZs
    the subnets must span (the provider's cluster: two)."""
    excluded = dict(excluded_az_ids or {})
    region_az_ids = [az for az in facts.az_names_by_id if az not in excluded]

    def usable(az_id: str) -> bool:
        return allowed_az_ids is None or az_id in allowed_az_ids

    def why_excluded() -> str:
        return "; ".join(f"{az}: {why}" for az, why in sorted(excluded.items()))

    if not settings.create:
        assert existing is not None and existing_vpc_cidr is not None
        wrong_vpc = [s.id for s in existing if s.vpc_id != settings.existing_vpc_id]
        if wrong_vpc:
            raise PlacementError(
                f"xacct:existingSubnetIds: {', '.join(wrong_vpc)} not in "
                f"xacct:existingVpcId {settings.existing_vpc_id}"
            )
        refused = [s for s in existing if s.az_id in excluded]
        if refused:
            raise PlacementError(
                "xacct:existingSubnetIds: "
                + "; ".join(f"{s.id} is in {s.az_id}: {excluded[s.az_id]}" for s in refused)
                + ". Use subnets in other availability zones."
            )
        chosen = [s for s in existing if usable(s.az_id)]
        if not chosen:
            raise PlacementError(
                f"xacct:existingSubnetIds: none of the subnets is in an availability zone "
                f"{allowed_from} supports. Subnets are in {sorted({s.az_id for s in existing})}; "
                f"{allowed_from} is available in {sorted(allowed_az_ids or [])}. Add a subnet "
                "in one of those AZ IDs."
            )
        by_az: dict[str, SubnetFacts] = {}
        for subnet in chosen:  # an interface endpoint takes one subnet per AZ
            by_az.setdefault(subnet.az_id, subnet)
        if len(by_az) < min_az_count:
            raise PlacementError(
                f"xacct:existingSubnetIds: the subnets span {len(by_az)} availability zone(s) "
                f"({', '.join(sorted(by_az))}); the cluster and the NLB need subnets in at least "
                f"{min_az_count} different ones"
            )
        return NetworkPlan(
            vpc_cidr=existing_vpc_cidr,
            existing_vpc_id=settings.existing_vpc_id,
            subnets=tuple(
                PlannedSubnet(
                    az_id=s.az_id,
                    az_name=facts.az_names_by_id.get(s.az_id, s.az_id),
                    cidr=s.cidr,
                    existing_id=s.id,
                )
                for s in by_az.values()
            ),
        )

    candidates = (
        region_az_ids
        if allowed_az_ids is None
        else [az for az in allowed_az_ids if az in facts.az_names_by_id]
    )
    if not candidates:
        raise PlacementError(
            f"no availability zone in common: {allowed_from} is available in "
            f"{sorted(allowed_az_ids or [])}, this account's region {facts.region} has "
            f"{sorted(region_az_ids)}. Deploy in the same region, or have the provider add "
            "subnets in one of this account's AZ IDs."
        )
    if allowed_az_ids is None and len(candidates) < settings.az_count:
        left_out = f"; not usable here: {why_excluded()}" if excluded else ""
        raise PlacementError(
            f"xacct:azCount: {settings.az_count} is more than the {len(candidates)} usable "
            f"availability zones of {facts.region} ({', '.join(candidates) or 'none'}){left_out}"
        )
    az_ids = candidates[: settings.az_count]
    blocks = list(ipaddress.ip_network(settings.vpc_cidr).subnets(prefixlen_diff=4))
    nat = settings.node_egress == "nat"
    return NetworkPlan(
        vpc_cidr=settings.vpc_cidr,
        existing_vpc_id=None,
        subnets=tuple(
            PlannedSubnet(az_id=az, az_name=facts.az_names_by_id[az], cidr=str(blocks[i]))
            for i, az in enumerate(az_ids)
        ),
        public_cidrs=tuple(str(blocks[8 + i]) for i in range(len(az_ids))) if nat else (),
    )


def check_capacity(plan: NetworkPlan, needs: list[tuple[str, int]]) -> None:
    """Every private subnet must hold what the stack puts in it, plus what AWS reserves.
    `needs` names each tenant with its addresses per subnet (EKS's six, the NLB's eight, ...)."""
    total = SUBNET_RESERVED_ADDRESSES + sum(count for _, count in needs)
    small = [s for s in plan.subnets if ipaddress.ip_network(s.cidr).num_addresses < total]
    if not small:
        return
    tenants = ", ".join(f"{what} {count}" for what, count in needs)
    holds = f"each private subnet must hold {total} addresses (AWS reserves 5; {tenants})"
    bits = 32 - (total - 1).bit_length()
    if plan.existing_vpc_id is None:
        subnet = ipaddress.ip_network(small[0].cidr)
        raise PlacementError(
            f"xacct:vpcCidr: {plan.vpc_cidr!r} gives each private subnet a /{subnet.prefixlen} "
            f"({subnet.num_addresses} addresses), and {holds}: use a /{bits - 4} or larger VPC "
            "(its private subnets are a sixteenth of it)"
        )
    raise PlacementError(
        "xacct:existingSubnetIds: "
        + ", ".join(f"{s.existing_id} ({s.cidr})" for s in small)
        + f" too small: {holds}; use subnets of /{bits} or larger"
    )


@dataclass(frozen=True, kw_only=True)
class PrivateNetworkArgs:
    plan: NetworkPlan
    facts: AccountFacts
    log_retention_days: int
    node_egress: NodeEgress | None = None
    log_kms_key_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] | None = None


class PrivateNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    """The VPC, created or existing."""
    subnet_ids: list[pulumi.Output[str]]
    """Private subnet ids in the order of `plan.subnets` (one per AZ ID)."""

    def __init__(
        self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:network:PrivateNetwork", name, None, opts)
        if args.plan.existing_vpc_id is not None:
            self.vpc_id = pulumi.Output.from_input(args.plan.existing_vpc_id)
            self.subnet_ids = [
                pulumi.Output.from_input(s.existing_id or "") for s in args.plan.subnets
            ]
            self.register_outputs({"vpc_id": self.vpc_id})
            return

        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.plan.vpc_cidr,
            enable_dns_hostnames=True,  # interface endpoints and EKS need VPC DNS
            enable_dns_support=True,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        # Close the default security group (EC2.2): nothing here should ever use it.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, tags=tags, opts=child)

        private_rt = aws.ec2.RouteTable(
            f"{name}-private-rt",
            vpc_id=vpc.id,
            tags={**tags, "Name": f"{name}-private"},
            opts=child,
        )
        self.subnet_ids = []
        subnets = []
        for planned in args.plan.subnets:
            subnet = aws.ec2.Subnet(
                f"{name}-private-{planned.az_id}",
                vpc_id=vpc.id,
                cidr_block=planned.cidr,
                availability_zone_id=planned.az_id,
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    "Name": f"{name}-private-{planned.az_id}",
                    "kubernetes.io/role/internal-elb": "1",
                },
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{planned.az_id}",
                subnet_id=subnet.id,
                route_table_id=private_rt.id,
                opts=child,
            )
            subnets.append(subnet)
            self.subnet_ids.append(subnet.id)

        self._flow_log(name, vpc, args, child)
        if args.node_egress == "nat":
            self._nat_egress(name, vpc, private_rt, args, child)
        elif args.node_egress == "vpc-endpoints":
            self._endpoint_egress(name, vpc, private_rt, subnets, args, child)

        self.vpc_id = vpc.id
        self.register_outputs({"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids})

    def _flow_log(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        args: PrivateNetworkArgs,
        child: pulumi.ResourceOptions,
    ) -> None:
        """Every created VPC gets a flow log (EC2.6) into a log group with retention."""
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/xacct/{name}/vpc-flow-logs",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": args.facts.account_id}
                            },
                        }
                    ],
                }
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                            ],
                            "Resource": [group.arn, pulumi.Output.concat(group.arn, ":*")],
                        }
                    ],
                }
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            opts=child,
        )

    def _nat_egress(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        private_rt: aws.ec2.RouteTable,
        args: PrivateNetworkArgs,
        child: pulumi.ResourceOptions,
    ) -> None:
        """One NAT gateway (in the first AZ) for image pulls: the cheap default, not zonal HA."""
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)
        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, opts=child)
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        public_subnets = []
        for planned, cidr in zip(args.plan.subnets, args.plan.public_cidrs, strict=True):
            subnet = aws.ec2.Subnet(
                f"{name}-public-{planned.az_id}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone_id=planned.az_id,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{planned.az_id}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{planned.az_id}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child,
            )
            public_subnets.append(subnet)
        eip = aws.ec2.Eip(f"{name}-nat", domain="vpc", opts=child)
        nat = aws.ec2.NatGateway(
            f"{name}-nat",
            allocation_id=eip.id,
            subnet_id=public_subnets[0].id,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
        )
        aws.ec2.Route(
            f"{name}-private-default",
            route_table_id=private_rt.id,
            destination_cidr_block="0.0.0.0/0",
            nat_gateway_id=nat.id,
            opts=child,
        )

    def _endpoint_egress(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        private_rt: aws.ec2.RouteTable,
        subnets: list[aws.ec2.Subnet],
        args: PrivateNetworkArgs,
        child: pulumi.ResourceOptions,
    ) -> None:
        """No internet path at all: AWS service endpoints inside the VPC instead of a NAT."""
        region = args.facts.region
        sg = aws.ec2.SecurityGroup(
            f"{name}-aws-endpoints",
            vpc_id=vpc.id,
            description="AWS service interface endpoints: HTTPS from inside the VPC",
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-aws-endpoints-https",
            security_group_id=sg.id,
            cidr_ipv4=args.plan.vpc_cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS service endpoints from the VPC",
            opts=child,
        )
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[private_rt.id],
            opts=child,
        )
        for service in NODE_INTERFACE_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in subnets],
                security_group_ids=[sg.id],
                opts=child,
            )


def plan_for(settings: Settings, facts: AccountFacts, **kwargs: Any) -> NetworkPlan:
    """Where this side's subnets go: a new VPC's, or the existing subnets' (looked up)."""
    network = settings.network
    if network.create:
        return plan_network(network, facts, **kwargs)
    return plan_network(
        network,
        facts,
        subnet_facts(network.existing_subnet_ids),
        existing_vpc_cidr=vpc_cidr(network.existing_vpc_id or ""),
        **kwargs,
    )
