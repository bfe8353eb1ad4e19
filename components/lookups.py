"""Facts about the account and region the stack deploys into, read once before any resource.

These are synchronous data-source calls (plain values, not Outputs): the program needs the AZ IDs,
subnet CIDRs and account id to decide *how many* resources to declare (one subnet per AZ, one
target per endpoint IP), and deciding that inside `apply` would mean creating resources there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pulumi
import pulumi_aws as aws

from components.errors import StackError

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class AccountFacts:
    account_id: str
    region: str
    partition: str
    az_names_by_id: dict[str, str]
    """Availability-zone ID → this account's name for it, in the region's order."""
    deployer_arn: str = ""
    """The IAM role or user running Pulumi (an assumed role's role ARN, not the session's)."""


@dataclass(frozen=True, kw_only=True)
class SubnetFacts:
    id: str
    vpc_id: str
    az_id: str
    cidr: str


def account_facts() -> AccountFacts:
    identity = aws.get_caller_identity()
    region = aws.get_region()
    partition = aws.get_partition()
    zones = aws.get_availability_zones(
        state="available",
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    )
    deployer = aws.iam.get_session_context(arn=identity.arn)
    return AccountFacts(
        deployer_arn=deployer.issuer_arn,
        account_id=identity.account_id,
        region=region.region,
        partition=partition.partition,
        az_names_by_id=dict(zip(zones.zone_ids, zones.names, strict=True)),
    )


def lookup(what: str, call: Callable[[], T]) -> T:
    """A data-source call whose failure is the user's to fix (a wrong id, a missing cluster)."""
    try:
        return call()
    except Exception as error:  # the engine reports a failed invoke as a plain Exception
        raise StackError(f"{what}: {error}") from error


def subnet_facts(subnet_ids: tuple[str, ...]) -> list[SubnetFacts]:
    facts = []
    for subnet_id in subnet_ids:
        subnet = lookup(
            f"xacct:existingSubnetIds: cannot read subnet {subnet_id} in this account and region",
            lambda subnet_id=subnet_id: aws.ec2.get_subnet(id=subnet_id),  # type: ignore[misc]
        )
        facts.append(
            SubnetFacts(
                id=subnet_id,
                vpc_id=subnet.vpc_id,
                az_id=subnet.availability_zone_id,
                cidr=subnet.cidr_block,
            )
        )
    return facts


def vpc_cidr(vpc_id: str) -> str:
    found = lookup(
        f"xacct:existingVpcId: cannot read VPC {vpc_id} in this account and region",
        lambda: aws.ec2.get_vpc(id=vpc_id),
    )
    return found.cidr_block


@dataclass(frozen=True, kw_only=True)
class NodeTypeFacts:
    """What EC2 says about the node group's instance type in this region."""

    instance_type: str
    offered_az_ids: tuple[str, ...]
    """The AZ IDs that offer it (empty: not offered in this region, or no such type)."""
    architectures: tuple[str, ...] = ()
    max_network_interfaces: int = 0
    ipv4_per_interface: int = 0

    @property
    def max_pod_addresses(self) -> int:
        """The most VPC addresses one node can hold (the VPC CNI fills every interface)."""
        return self.max_network_interfaces * self.ipv4_per_interface


def node_type_facts(instance_type: str) -> NodeTypeFacts:
    offerings = aws.ec2.get_instance_type_offerings(
        filters=[{"name": "instance-type", "values": [instance_type]}],
        location_type="availability-zone-id",
    )
    offered = tuple(sorted(set(offerings.locations)))
    if not offered:
        return NodeTypeFacts(instance_type=instance_type, offered_az_ids=())
    found = aws.ec2.get_instance_type(instance_type=instance_type)
    return NodeTypeFacts(
        instance_type=instance_type,
        offered_az_ids=offered,
        architectures=tuple(found.supported_architectures or ()),
        max_network_interfaces=int(found.maximum_network_interfaces or 0),
        ipv4_per_interface=int(found.maximum_ipv4_addresses_per_interface or 0),
    )


def eks_versions() -> dict[str, str]:
    """Kubernetes versions EKS offers in this region → their support status
    (STANDARD_SUPPORT, EXTENDED_SUPPORT)."""
    found = aws.eks.get_cluster_versions()
    return {v.cluster_version: v.version_status for v in found.cluster_versions}


@dataclass(frozen=True, kw_only=True)
class ZoneFacts:
    zone_id: str
    name: str
    """Without the trailing dot."""
    private: bool


def hosted_zone(zone_id: str, key: str = "route53ZoneId") -> ZoneFacts:
    found = lookup(
        f"xacct:{key}: cannot read hosted zone {zone_id} in this account",
        lambda: aws.route53.get_zone(zone_id=zone_id),
    )
    return ZoneFacts(zone_id=zone_id, name=found.name.rstrip("."), private=bool(found.private_zone))


def endpoint_state(service_name: str) -> str | None:
    """The state of this stack's interface endpoint to `service_name` (tagged with the stack's
    project and stack), or None before it exists: private DNS can be turned on only once the
    provider has accepted it (`available`)."""
    try:
        found = aws.ec2.get_vpc_endpoint(
            service_name=service_name,
            tags={"xacct:project": pulumi.get_project(), "xacct:stack": pulumi.get_stack()},
            # A deleted endpoint stays listed for a while: after a replacement it would make
            # two matches.
            filters=[
                aws.ec2.GetVpcEndpointFilterArgs(
                    name="vpc-endpoint-state",
                    values=["pendingAcceptance", "pending", "available"],
                )
            ],
        )
    except Exception as error:  # the engine reports a failed invoke as a plain Exception
        if "no matching" in str(error).lower():
            return None
        raise StackError(f"cannot read this stack's interface endpoint: {error}") from error
    return str(found.state)
