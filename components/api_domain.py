"""ApiDomain: the API's custom domain (xacct:apiDomainName), the name callers use before the
request reaches API Gateway. Regional, TLS 1.2 security policy, mapped to the stage; its
certificate is given (xacct:apiCertificateArn, in the stack's region: a regional domain takes a
certificate from its own region) or made and DNS-validated in xacct:apiRoute53ZoneId, where
the alias record goes too. For either front: a REST API's `DomainName` + `BasePathMapping`, an
HTTP API's `apigatewayv2.DomainName` + `ApiMapping`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.buckets import deny_insecure_transport, private_bucket
from components.certificate import ListenerCertificate, ListenerCertificateArgs
from components.settings import ApiDomainSettings, Frontend

SECURITY_POLICY = "TLS_1_2"
"""API Gateway's policy for TLS 1.2 and newer on a custom domain ("TLS_1_0" is the other)."""


@dataclass(frozen=True, kw_only=True)
class PrivateDomainArgs:
    """A private API's custom domain: reached through this VPC's execute-api endpoint."""

    vpc_id: pulumi.Input[str]
    endpoint_id: pulumi.Input[str]
    endpoint_dns_name: pulumi.Input[str]
    endpoint_dns_zone_id: pulumi.Input[str]


def private_domain_policy(endpoint_id: str) -> str:
    """A private custom domain starts with "a deny all resource policy": this one lets the
    stack's execute-api endpoint invoke through it and denies every other source (API Gateway
    developer guide, "Tutorial: Create and invoke a custom domain name for private APIs").
    The API behind it keeps its own policy and authorization."""
    statements = [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": ["execute-api:/*"],
            "Condition": {"StringEquals": {"aws:SourceVpce": endpoint_id}},
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": ["execute-api:/*"],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": endpoint_id}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass(frozen=True, kw_only=True)
class ApiDomainArgs:
    settings: ApiDomainSettings
    frontend: Frontend
    api_id: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    private: PrivateDomainArgs | None = None
    """Set for a private API (xacct:apiEndpointType private)."""
    tags: dict[str, str] | None = None


class ApiDomain(pulumi.ComponentResource):
    url: pulumi.Output[str]
    """https://<domain>/ (the stage is mapped at the root)."""
    target: pulumi.Output[str]
    """The regional name the domain's DNS record must point at."""
    truststore_bucket: pulumi.Output[str] | None
    """s3://<bucket>/truststore.pem with mutual TLS, else None."""

    def __init__(
        self, name: str, args: ApiDomainArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:ApiDomain", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s, tags = args.settings, args.tags or {}
        certificate = ListenerCertificate(
            f"{name}-cert",
            ListenerCertificateArgs(
                server_name=s.name,
                certificate_arn=s.certificate_arn,
                route53_zone_id=s.route53_zone_id,
                tags=tags,
            ),
            opts=child,
        )
        mutual_tls = self._truststore(name, s, tags) if s.truststore else None
        if args.private is not None:
            self._private(name, args, certificate.arn, tags)
            self.url = pulumi.Output.from_input(f"https://{s.name}/")
            self.target = pulumi.Output.from_input(args.private.endpoint_dns_name)
            self.truststore_bucket = None
            self.register_outputs({"url": self.url})
            return
        if args.frontend == "rest":
            domain = aws.apigateway.DomainName(
                f"{name}-domain",
                domain_name=s.name,
                regional_certificate_arn=certificate.arn,
                endpoint_configuration=aws.apigateway.DomainNameEndpointConfigurationArgs(
                    types="REGIONAL"
                ),
                security_policy=SECURITY_POLICY,
                mutual_tls_authentication=aws.apigateway.DomainNameMutualTlsAuthenticationArgs(
                    **mutual_tls
                )
                if mutual_tls
                else None,
                tags=tags,
                opts=child,
            )
            aws.apigateway.BasePathMapping(
                f"{name}-mapping",
                rest_api=args.api_id,
                stage_name=args.stage_name,
                domain_name=domain.domain_name,
                opts=child,
            )
            target, zone_id = domain.regional_domain_name, domain.regional_zone_id
        else:
            http_domain = aws.apigatewayv2.DomainName(
                f"{name}-domain",
                domain_name=s.name,
                domain_name_configuration=aws.apigatewayv2.DomainNameDomainNameConfigurationArgs(
                    certificate_arn=certificate.arn,
                    endpoint_type="REGIONAL",
                    security_policy=SECURITY_POLICY,
                ),
                mutual_tls_authentication=aws.apigatewayv2.DomainNameMutualTlsAuthenticationArgs(
                    **mutual_tls
                )
                if mutual_tls
                else None,
                tags=tags,
                opts=child,
            )
            aws.apigatewayv2.ApiMapping(
                f"{name}-mapping",
                api_id=args.api_id,
                stage=args.stage_name,
                domain_name=http_domain.domain_name,
                opts=child,
            )
            configuration = http_domain.domain_name_configuration
            target = configuration.target_domain_name.apply(lambda t: t or "")
            zone_id = configuration.hosted_zone_id.apply(lambda z: z or "")
        if s.route53_zone_id:
            aws.route53.Record(
                f"{name}-alias",
                zone_id=s.route53_zone_id,
                name=s.name,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=target, zone_id=zone_id, evaluate_target_health=False
                    )
                ],
                opts=child,
            )
        self.url = pulumi.Output.from_input(f"https://{s.name}/")
        self.truststore_bucket = mutual_tls["truststore_uri"] if mutual_tls else None
        self.target = pulumi.Output.from_input(target)
        self.register_outputs({"url": self.url, "target": self.target})

    def _truststore(
        self, name: str, s: ApiDomainSettings, tags: dict[str, str]
    ) -> dict[str, pulumi.Output[str]]:
        """The CA bundle in a private, versioned bucket (SSE-S3: API Gateway reads it when the
        domain is created or updated); the domain names the object's version, so a new bundle
        is a new version the domain moves to."""
        assert s.truststore is not None
        child = pulumi.ResourceOptions(parent=self)
        bucket = private_bucket(f"{name}-truststore", kms_key_arn=None, tags=tags, opts=child)
        aws.s3.BucketPolicy(
            f"{name}-truststore",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(
                {"Version": "2012-10-17", "Statement": [deny_insecure_transport(bucket.arn)]}
            ),
            opts=child,
        )
        bundle = aws.s3.BucketObjectv2(
            f"{name}-truststore",
            bucket=bucket.id,
            key="truststore.pem",
            source=pulumi.FileAsset(str(s.truststore)),
            content_type="application/x-pem-file",
            opts=child,
        )
        return {
            "truststore_uri": pulumi.Output.concat("s3://", bucket.id, "/", bundle.key),
            "truststore_version": bundle.version_id,
        }

    def _private(
        self,
        name: str,
        args: ApiDomainArgs,
        certificate_arn: pulumi.Input[str],
        tags: dict[str, str],
    ) -> None:
        """The domain (endpoint type PRIVATE, dualstack: the only IP type AWS takes for it),
        its mapping (which needs the domain's id), its access association with this VPC's
        execute-api endpoint, and a private hosted zone in this VPC where the name is an alias
        of that endpoint."""
        assert args.private is not None
        child = pulumi.ResourceOptions(parent=self)
        s, private = args.settings, args.private
        # Named apart from the regional domain's resources: AWS cannot turn a regional domain
        # private in place, and the two may coexist while one replaces the other.
        domain = aws.apigateway.DomainName(
            f"{name}-private-domain",
            domain_name=s.name,
            certificate_arn=certificate_arn,
            endpoint_configuration=aws.apigateway.DomainNameEndpointConfigurationArgs(
                types="PRIVATE", ip_address_type="dualstack"
            ),
            security_policy=SECURITY_POLICY,
            policy=pulumi.Output.from_input(private.endpoint_id).apply(private_domain_policy),
            tags=tags,
            opts=child,
        )
        aws.apigateway.BasePathMapping(
            f"{name}-private-mapping",
            rest_api=args.api_id,
            stage_name=args.stage_name,
            domain_name=domain.domain_name,
            domain_name_id=domain.domain_name_id,
            opts=child,
        )
        aws.apigateway.DomainNameAccessAssociation(
            f"{name}-access",
            access_association_source=private.endpoint_id,
            access_association_source_type="VPCE",
            domain_name_arn=domain.arn,
            tags=tags,
            opts=child,
        )
        zone = aws.route53.Zone(
            f"{name}-private-zone",
            name=s.name,
            comment="The private API's custom domain, resolved in this VPC only",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=private.vpc_id)],
            tags=tags,
            opts=child,
        )
        aws.route53.Record(
            f"{name}-private-alias",
            zone_id=zone.zone_id,
            name=s.name,
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=private.endpoint_dns_name,
                    zone_id=private.endpoint_dns_zone_id,
                    evaluate_target_health=False,
                )
            ],
            opts=child,
        )
