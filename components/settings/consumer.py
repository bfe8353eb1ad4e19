"""The consumer stack's settings (account A): the provider stack it reads, the VPC link, the
API and its throttling, the endpoint's pinned IPs."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from components.settings.common import (
    PROJECT_FILE,
    STACK_NAME,
    AwsSettings,
    MonitoringSettings,
    NetworkSettings,
    Reader,
    read_monitoring,
    read_network,
)
from components.settings.provider import CERT_ARN, HOSTNAME, ZONE_ID

ApiAuthorization = Literal["iam", "api-key", "none"]


VpcLinkVersion = Literal["v2", "v1"]


ApiEndpointType = Literal["regional", "private"]
"""regional: a public, authenticated endpoint. private: reachable only through execute-api
interface endpoints (REST only)."""

_VPCE_ID = re.compile(r"^vpce-[0-9a-f]{8,17}$")

Frontend = Literal["rest", "http"]
"""rest: REST API → VPC link → consumer NLB → endpoint. http: HTTP API → VPC link v2 → the
endpoint's IPs (from AWS Cloud Map), no consumer NLB."""


CONSUMER_ONLY_KEYS = (
    "providerStack",
    "frontend",
    "vpcLinkVersion",
    "apiAuthorization",
    "manageApiGatewayAccount",
    "stageName",
    "throttleRateLimit",
    "throttleBurstLimit",
    "endpointHostNumber",
    "endpointIps",
    "alarm5xxPercent",
    "alarm4xxPercent",
    "alarmLatencyP99Ms",
    "apiDomainName",
    "apiCertificateArn",
    "apiRoute53ZoneId",
    "disableExecuteApiEndpoint",
    "apiMutualTlsTruststore",
    "apiWaf",
    "apiWafRateLimit",
    "privateDns",
    "apiEndpointType",
    "privateApiVpcEndpointIds",
    "privateApiOwnEndpoint",
)


_STAGE = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True, kw_only=True)
class ApiDomainSettings:
    """The API's custom domain (xacct:apiDomainName)."""

    name: str
    certificate_arn: str | None
    """An ACM certificate in the stack's region; None: one is made and validated in the zone."""
    route53_zone_id: str | None
    """The public zone for the alias record (and the new certificate's validation)."""
    disable_execute_api_endpoint: bool
    truststore: Path | None = None
    """The PEM bundle of CAs whose client certificates the domain accepts (mutual TLS)."""


@dataclass(frozen=True, kw_only=True)
class PrivateApiSettings:
    """Who may call a private API: execute-api interface endpoints."""

    own_endpoint: bool
    """An execute-api endpoint in this stack's VPC (private DNS on)."""
    vpc_endpoint_ids: tuple[str, ...]
    """Other execute-api endpoints (in other VPCs of this account or others) that may call it."""


@dataclass(frozen=True, kw_only=True)
class ConsumerSettings:
    name: str
    network: NetworkSettings
    provider_stack: str
    frontend: Frontend
    vpc_link_version: VpcLinkVersion
    api_authorization: ApiAuthorization
    manage_api_gateway_account: bool
    stage_name: str
    throttle_rate_limit: int
    throttle_burst_limit: int
    endpoint_host_number: int
    endpoint_ips: tuple[str, ...]
    """Fixed IPs of the endpoint's ENIs, one per subnet used (empty: from endpoint_host_number)."""
    log_retention_days: int
    monitoring: MonitoringSettings
    private_dns: bool = False
    """Private DNS on the interface endpoint: the provider's name resolves to it in this VPC."""
    private_api: PrivateApiSettings | None = None
    """Set when the API is private (xacct:apiEndpointType private)."""
    domain: ApiDomainSettings | None = None
    waf_rate_limit: int | None = None
    """Requests per 5 minutes per client IP the stage's web ACL allows (None: no WAF)."""
    aws: AwsSettings = field(default_factory=AwsSettings)
    role: Literal["consumer"] = "consumer"


def _check_ip(item: str) -> str | None:
    try:
        address = ipaddress.ip_address(item)
    except ValueError:
        return "is not an IPv4 address (e.g. 10.0.0.10)"
    return None if address.version == 4 else "is not an IPv4 address"


def read_consumer(r: Reader, name: str, retention: int, aws: AwsSettings) -> ConsumerSettings:
    network = read_network(r, "consumer")
    r.require(
        "providerStack",
        "on the consumer: the provider stack to read the endpoint "
        "service from, organization/<project>/<stack> (self-managed backend) or "
        "<org>/<project>/<stack> (Pulumi Cloud); deploy it first",
    )
    provider_stack = r.string(
        "providerStack",
        STACK_NAME,
        "is not a fully qualified stack name: organization/<project>/"
        "<stack> or <org>/<project>/<stack>",
    )
    auth = r.choice("apiAuthorization", ApiAuthorization)
    frontend = r.choice("frontend", Frontend)
    link = r.choice("vpcLinkVersion", VpcLinkVersion)
    if frontend == "http":
        # HTTP APIs link through VPC link v2 only, and have no API keys or usage plans
        # (API Gateway developer guide: "Choose between REST APIs and HTTP APIs").
        if link == "v1":
            r.fail("vpcLinkVersion", link, "is REST only: xacct:frontend http links with v2")
        if auth == "api-key":
            r.fail(
                "apiAuthorization",
                auth,
                "is REST only: HTTP APIs have no API keys; use iam with xacct:frontend http, "
                "or xacct:frontend rest",
            )
    return ConsumerSettings(
        name=name,
        network=network,
        provider_stack=provider_stack or "",
        frontend=frontend,
        vpc_link_version=link,
        api_authorization=auth,  # type: ignore[arg-type]
        manage_api_gateway_account=r.boolean("manageApiGatewayAccount"),
        stage_name=r.string("stageName", _STAGE, "is not a stage name (letters, digits, _)")
        or "v1",
        throttle_rate_limit=r.integer("throttleRateLimit", 1, 10000, " requests per second"),
        throttle_burst_limit=r.integer("throttleBurstLimit", 1, 5000, " requests"),
        endpoint_host_number=r.integer(
            "endpointHostNumber",
            4,
            250,
            ": the host number of each endpoint ENI's fixed IP in its subnet "
            "(AWS reserves the first four)",
        ),
        endpoint_ips=_endpoint_ips(r),
        log_retention_days=retention,
        monitoring=read_monitoring(r, "consumer"),
        private_dns=r.boolean("privateDns"),
        private_api=_private_api(r, frontend),
        domain=_domain(r),
        waf_rate_limit=_waf(r, frontend),
        aws=aws,
    )


def _domain(r: Reader) -> ApiDomainSettings | None:
    name = r.string("apiDomainName", HOSTNAME, "is not a DNS name (e.g. api.example.com)")
    certificate = r.string("apiCertificateArn", CERT_ARN, "is not an ACM certificate ARN")
    zone = r.string("apiRoute53ZoneId", ZONE_ID, "is not a Route 53 hosted zone id (Z...)")
    disable = r.boolean("disableExecuteApiEndpoint")
    truststore = _truststore(r, disable)
    if not r.is_set("apiDomainName"):
        r.reject(
            ("apiCertificateArn", "apiRoute53ZoneId", "apiMutualTlsTruststore"),
            "without xacct:apiDomainName (they are its certificate and its zone)",
        )
        if disable:
            r.fail(
                "disableExecuteApiEndpoint",
                disable,
                "needs xacct:apiDomainName: without a custom domain it leaves the API unreachable",
            )
        return None
    if name and not r.is_set("apiCertificateArn") and not r.is_set("apiRoute53ZoneId"):
        r.problems.append(
            "xacct:apiDomainName: needs a certificate: set xacct:apiCertificateArn (an ACM "
            "certificate for the name, in this stack's region), or xacct:apiRoute53ZoneId (the "
            "public zone to validate a new one in)"
        )
    if name is None:
        return None
    return ApiDomainSettings(
        name=name,
        certificate_arn=certificate,
        route53_zone_id=zone,
        disable_execute_api_endpoint=disable,
        truststore=truststore,
    )


def _truststore(r: Reader, disable_default_endpoint: bool) -> Path | None:
    """A PEM file of CA certificates, relative to the project (Pulumi.yaml's directory)."""
    if not r.is_set("apiMutualTlsTruststore"):
        return None
    given = r.text("apiMutualTlsTruststore")
    path = Path(given) if Path(given).is_absolute() else PROJECT_FILE.parent / given
    if not path.is_file():
        r.fail("apiMutualTlsTruststore", given, f"is not a file (looked for {path})")
        return None
    if "-----BEGIN CERTIFICATE-----" not in path.read_text(errors="replace"):
        r.fail(
            "apiMutualTlsTruststore",
            given,
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA bundle "
            "that signs the clients' certificates",
        )
        return None
    if not disable_default_endpoint:
        r.problems.append(
            "xacct:apiMutualTlsTruststore: needs xacct:disableExecuteApiEndpoint true: the "
            "execute-api URL takes no client certificate, so callers could go around mutual TLS"
        )
    return path


def _waf(r: Reader, frontend: str) -> int | None:
    limit = r.integer("apiWafRateLimit", 10, 2_000_000_000, " requests per 5 minutes per IP")
    if not r.boolean("apiWaf"):
        r.reject(("apiWafRateLimit",), "without xacct:apiWaf true")
        return None
    if frontend == "http":
        r.fail("apiWaf", True, "is REST only: AWS WAF cannot be associated with an HTTP API")
        return None
    return limit


def _endpoint_ips(r: Reader) -> tuple[str, ...]:
    """Explicit endpoint IPs (checked against the subnets' CIDRs once they are known)."""
    if r.is_set("endpointIps"):
        r.reject(
            ("endpointHostNumber",),
            "with xacct:endpointIps (the addresses are given one by one)",
        )
    return r.items("endpointIps", _check_ip)


def _private_api(r: Reader, frontend: str) -> PrivateApiSettings | None:
    kind = r.choice("apiEndpointType", ApiEndpointType)
    ids = r.items(
        "privateApiVpcEndpointIds",
        lambda item: None if _VPCE_ID.match(item) else "is not a VPC endpoint id (vpce-...)",
    )
    own = r.boolean("privateApiOwnEndpoint")
    if kind != "private":
        r.reject(
            ("privateApiVpcEndpointIds", "privateApiOwnEndpoint"),
            "without xacct:apiEndpointType private",
        )
        return None
    if frontend == "http":
        r.fail("apiEndpointType", kind, "is REST only: HTTP APIs have no private endpoint type")
    for key, what in (
        ("apiWaf", "a web ACL is not offered here with a private API yet"),
        ("apiMutualTlsTruststore", "mutual TLS on a private custom domain is not offered here"),
    ):
        if r.is_set(key):
            r.problems.append(
                f"xacct:{key}: must not be set with xacct:apiEndpointType private: {what}"
            )
    if r.is_set("apiDomainName") and not own:
        r.problems.append(
            "xacct:apiDomainName: a private custom domain needs this stack's own execute-api "
            "endpoint (xacct:privateApiOwnEndpoint true): the domain is associated with it and "
            "resolves to it in this VPC; other VPCs' endpoints make their own associations"
        )
    if not own and not ids:
        r.problems.append(
            "xacct:apiEndpointType: private with xacct:privateApiOwnEndpoint false and no "
            "xacct:privateApiVpcEndpointIds: no VPC endpoint could call the API; list the "
            "execute-api endpoints of the callers' VPCs, or let this stack make one"
        )
    return PrivateApiSettings(own_endpoint=own, vpc_endpoint_ids=ids)
