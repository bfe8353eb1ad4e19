"""InterfaceEndpoint: account A's end of the PrivateLink connection.

The endpoint gets one ENI per subnet at a fixed IP (`subnet_configurations`), so the NLB's IP
targets are known while the program runs: no ENI lookups, no resources inside `apply`.
Its security group admits only the listener port, only from the consumer NLB's security group
(or, with the HTTP API front, the VPC link's).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.network import NetworkPlan, PlacementError


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
    service_region: str | None = None
    """The service's region when it is another one (cross-region PrivateLink)."""
    private_dns: bool = False
    """Private DNS asked for (xacct:privateDns): the endpoint's own argument is left to
    `vpc.EndpointPrivateDns`..."""
    private_dns_now: bool = False
    """...which is declared once the endpoint is accepted (AWS refuses it before)."""
    admitted: str = "the consumer NLB"
    """Who the endpoint's security group admits (its description says so)."""
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
            description=f"Interface endpoint to the provider: listener port from {args.admitted}",
            tags={**(args.tags or {}), "Name": f"{name}-endpoint"},
            opts=child,
        )
        endpoint = aws.ec2.VpcEndpoint(
            f"{name}-endpoint",
            vpc_id=args.vpc_id,
            service_name=args.service_name,
            service_region=args.service_region,
            vpc_endpoint_type="Interface",
            # Off unless asked for: the API reaches the endpoint by IP (NLB targets or Cloud
            # Map), and TLS is verified against the provider's server name either way. With
            # xacct:privateDns it is left to `vpc.EndpointPrivateDns` below, the resource for
            # endpoints that need acceptance first (the endpoint's own argument stays unset).
            private_dns_enabled=None if args.private_dns else False,
            ip_address_type="ipv4",
            subnet_ids=args.subnet_ids,
            subnet_configurations=[
                aws.ec2.VpcEndpointSubnetConfigurationArgs(subnet_id=subnet_id, ipv4=ip)
                for subnet_id, ip in zip(args.subnet_ids, args.ips, strict=True)
            ],
            security_group_ids=[sg.id],
            tags={**(args.tags or {}), "Name": f"{name}-endpoint"},
            # Its ENIs hold the pinned IPs: a replacement can only take them once this one is gone.
            opts=pulumi.ResourceOptions(
                parent=self,
                delete_before_replace=True,
            ),
        )
        if args.private_dns and args.private_dns_now:
            aws.vpc.EndpointPrivateDns(
                f"{name}-private-dns",
                vpc_endpoint_id=endpoint.id,
                private_dns_enabled=True,
                opts=child,
            )
        self.endpoint_id = endpoint.id
        self.security_group_id = sg.id
        self.register_outputs({"endpoint_id": self.endpoint_id})
