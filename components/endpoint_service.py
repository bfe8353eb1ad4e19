"""EndpointService and ConnectionAcceptance: publishing the NLB over PrivateLink, and accepting
exactly the consumer endpoints that named consumer stacks export.

The service always requires acceptance and allows only the configured principals, never `*`.
Replacing it changes its service name and breaks every consumer, so it is protected by default.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.errors import StackError


@dataclass(frozen=True, kw_only=True)
class EndpointServiceArgs:
    nlb_arn: pulumi.Input[str]
    allowed_principals: tuple[str, ...]
    protect: bool = True
    private_dns_name: str | None = None
    """The service's private DNS name (xacct:publishPrivateDnsName: the TLS server name)."""
    verification_zone_id: str | None = None
    """The public zone where the domain-verification TXT record goes (None: the user adds it)."""
    supported_regions: tuple[str, ...] = ()
    """Every region whose consumers may connect, the service's own first. Always given when
    known: left unset, the provider keeps what was last set, so regions could not be taken
    back (AWS reports the home region for services that never set it: no diff for them)."""
    tags: dict[str, str] | None = None


class EndpointService(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    """What the consumer's interface endpoint connects to (com.amazonaws.vpce....)."""
    service_id: pulumi.Output[str]
    """The service id (vpce-svc-...), for connection acceptance."""
    service_arn: pulumi.Output[str]
    """The service's ARN (what its connection notifications come from)."""

    def __init__(
        self, name: str, args: EndpointServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:provider:EndpointService", name, None, opts)
        if not args.allowed_principals or "*" in args.allowed_principals:
            raise ValueError("an endpoint service needs named principals, never '*'")
        service = aws.ec2.VpcEndpointService(
            f"{name}-svc",
            acceptance_required=True,
            network_load_balancer_arns=[args.nlb_arn],
            allowed_principals=list(args.allowed_principals),
            supported_ip_address_types=["ipv4"],
            # Cross-region PrivateLink: "You can't remove the host Region from the set of
            # supported Regions" (AWS PrivateLink guide, "Share your services", cross-Region).
            supported_regions=list(args.supported_regions) or None,  # empty only in unit tests
            private_dns_name=args.private_dns_name,
            tags={**(args.tags or {}), "Name": f"{name}-svc"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.service_name = service.service_name
        self.service_id = service.id
        self.service_arn = service.arn
        self.dns_verification: pulumi.Output[Any] | None = None
        if args.private_dns_name is not None:
            self._verify_private_dns(name, service, args)
        self.register_outputs({"service_name": self.service_name, "service_id": self.service_id})

    def _verify_private_dns(
        self, name: str, service: aws.ec2.VpcEndpointService, args: EndpointServiceArgs
    ) -> None:
        """Prove the domain: AWS gives a TXT record (name and value) for the private DNS name's
        domain; with the zone, the record is made and verification started and waited for
        (pulumi-aws `vpc.EndpointServicePrivateDnsVerification`, whose documented example
        writes the record's name as AWS gives it, the provider completing it in the zone)."""
        child = pulumi.ResourceOptions(parent=self)

        def first(configs: Any) -> dict[str, str]:
            """AWS's record for the name (empty until the service has one)."""
            found = (configs or [None])[0]
            if found is None:
                return {"name": "", "type": "TXT", "value": ""}
            return {
                "name": found.name or "",
                "type": found.type or "TXT",
                "value": found.value or "",
            }

        configuration = service.private_dns_name_configurations.apply(first)
        self.dns_verification = configuration
        if args.verification_zone_id is None:
            return
        record = aws.route53.Record(
            f"{name}-dns-verification",
            zone_id=args.verification_zone_id,
            name=configuration.apply(lambda c: c["name"]),
            type="TXT",
            ttl=1800,
            records=[configuration.apply(lambda c: c["value"])],
            opts=child,
        )
        # Verification runs when this resource is created: named for the DNS name, a new name
        # is a new resource, so it is verified again (AWS starts over for a new name).
        digest = hashlib.sha256((args.private_dns_name or "").encode()).hexdigest()[:8]
        aws.vpc.EndpointServicePrivateDnsVerification(
            f"{name}-dns-verified-{digest}",
            service_id=service.id,
            wait_for_verification=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[record]),
        )


@dataclass(frozen=True, kw_only=True)
class ConsumerConnection:
    """One consumer stack's interface endpoint, as that stack exports it."""

    stack: str
    endpoint_id: str
    account_id: str


_ENDPOINT_ID = re.compile(r"^vpce-[0-9a-f]{8,17}$")


class AcceptanceError(StackError):
    """A consumer endpoint cannot be accepted (unknown account, malformed id)."""


def check_connections(
    connections: list[ConsumerConnection], allowed_account_ids: tuple[str, ...]
) -> None:
    problems = []
    for c in connections:
        if not _ENDPOINT_ID.match(c.endpoint_id):
            problems.append(
                f"stack {c.stack!r} exports endpoint id {c.endpoint_id!r}, "
                "which is not a VPC endpoint id (vpce-...)"
            )
        if c.account_id not in allowed_account_ids:
            problems.append(
                f"stack {c.stack!r} is in account {c.account_id}, which is not an allowed "
                f"principal of the endpoint service (allowed accounts: "
                f"{', '.join(allowed_account_ids) or 'none'}); add it to "
                "xacct:consumerAccountIds or remove the stack from xacct:consumerStacks"
            )
    seen: dict[str, str] = {}
    for c in connections:
        if c.endpoint_id in seen:
            problems.append(
                f"stacks {seen[c.endpoint_id]!r} and {c.stack!r} export the same "
                f"endpoint {c.endpoint_id}"
            )
        seen[c.endpoint_id] = c.stack
    if problems:
        raise AcceptanceError("cannot accept consumer endpoints:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True, kw_only=True)
class ConnectionAcceptanceArgs:
    service_id: pulumi.Input[str]
    connections: list[ConsumerConnection]
    allowed_account_ids: tuple[str, ...]


class ConnectionAcceptance(pulumi.ComponentResource):
    accepted_endpoint_ids: pulumi.Output[list[str]]
    """The endpoint ids accepted, one per consumer stack."""

    def __init__(
        self, name: str, args: ConnectionAcceptanceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check_connections(args.connections, args.allowed_account_ids)
        super().__init__("xacct:provider:ConnectionAcceptance", name, None, opts)
        accepted = []
        for c in args.connections:
            accepter = aws.ec2.VpcEndpointConnectionAccepter(
                f"{name}-{c.endpoint_id}",
                vpc_endpoint_id=c.endpoint_id,
                vpc_endpoint_service_id=args.service_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            accepted.append(accepter.vpc_endpoint_id)
        self.accepted_endpoint_ids = pulumi.Output.all(*accepted).apply(list)
        self.register_outputs({"accepted_endpoint_ids": self.accepted_endpoint_ids})
