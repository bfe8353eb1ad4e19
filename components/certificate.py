"""ListenerCertificate: the provider NLB's TLS certificate (account B), an existing ACM
certificate or a new one validated by DNS in a Route 53 zone, and the check that the zone can
validate the listener's server name.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.lookups import ZoneFacts
from components.settings import ConfigError


def check_validation_zone(
    server_name: str,
    zone: ZoneFacts,
    zone_key: str = "route53ZoneId",
    name_key: str = "tlsServerName",
) -> None:
    """ACM validates the certificate with a record in the zone: the zone must hold the name,
    and be public (ACM's validation reads public DNS)."""
    problems = []
    if zone.private:
        problems.append(
            f"xacct:{zone_key}: {zone.zone_id!r} ({zone.name}) is a private hosted zone: "
            "ACM validates a certificate through public DNS; give the public zone of the name"
        )
    if server_name != zone.name and not server_name.endswith(f".{zone.name}"):
        problems.append(
            f"xacct:{zone_key}: {zone.zone_id!r} holds {zone.name}, not xacct:{name_key} "
            f"{server_name!r}: Route 53 refuses the records there; give the zone of "
            "that name (or of a parent domain)"
        )
    if problems:
        raise ConfigError(problems)


@dataclass(frozen=True, kw_only=True)
class ListenerCertificateArgs:
    server_name: str
    certificate_arn: str | None = None
    route53_zone_id: str | None = None
    tags: dict[str, str] | None = None


class ListenerCertificate(pulumi.ComponentResource):
    """An existing ACM certificate, or a new one validated by DNS in a Route 53 zone."""

    arn: pulumi.Output[str]
    """The certificate ARN, once validated."""

    def __init__(
        self, name: str, args: ListenerCertificateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:tls:ListenerCertificate", name, None, opts)
        if args.certificate_arn is not None:
            self.arn = pulumi.Output.from_input(args.certificate_arn)
        else:
            child = pulumi.ResourceOptions(parent=self)
            certificate = aws.acm.Certificate(
                f"{name}-cert",
                domain_name=args.server_name,
                validation_method="DNS",
                tags=args.tags,
                opts=child,
            )
            option = certificate.domain_validation_options[0]
            record = aws.route53.Record(
                f"{name}-validation",
                zone_id=args.route53_zone_id or "",
                name=option.resource_record_name,
                type=option.resource_record_type,
                records=[option.resource_record_value],
                ttl=300,
                allow_overwrite=True,
                opts=child,
            )
            validation = aws.acm.CertificateValidation(
                f"{name}-validation",
                certificate_arn=certificate.arn,
                validation_record_fqdns=[record.fqdn],
                opts=child,
            )
            self.arn = validation.certificate_arn
        self.register_outputs({"arn": self.arn})
