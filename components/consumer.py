"""The consumer side (account A), in request order: the REST API, the VPC link, the internal
NLB, the interface endpoint; or, with xacct:frontend http, the HTTP API, the VPC link v2 and the
interface endpoint, whose IPs AWS Cloud Map lists for the API (no NLB).

Built like the provider side (components/provider.py): `build` takes the settings and the
account's facts, reads and checks what it needs from the provider stack as plain values
(`ProviderService`: the service name's shape, the region, the AZ IDs this account shares with
the service), plans, composes the hops in `ConsumerSide`, and returns the stack's outputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components import outputs as keys
from components.api import PrivateApi, PrivateApiArgs
from components.api_domain import ApiDomain, ApiDomainArgs, PrivateDomainArgs
from components.aws_limits import CROSS_REGION_UNSUPPORTED_AZ_IDS, VPC_LINK_V2_UNSUPPORTED_AZ_IDS
from components.certificate import check_validation_zone
from components.consumer_nlb import ConsumerLoadBalancer, ConsumerLoadBalancerArgs
from components.execute_api_endpoint import ExecuteApiEndpoint, ExecuteApiEndpointArgs
from components.http_api import HttpApi, HttpApiArgs
from components.interface_endpoint import InterfaceEndpoint, InterfaceEndpointArgs, pin_endpoint_ips
from components.keys import LogsKey, LogsKeyArgs
from components.lookups import AccountFacts, endpoint_state, hosted_zone
from components.monitoring import (
    ApiMetrics,
    ConsumerHops,
    ConsumerNlb,
    Monitoring,
    MonitoringArgs,
    consumer_alarms,
    http_api_metrics,
    monitoring_exports,
    rest_api_metrics,
)
from components.network import NetworkPlan, PrivateNetwork, PrivateNetworkArgs, plan_for
from components.service_map import EndpointDirectory, EndpointDirectoryArgs
from components.settings import (
    ACCOUNT_ID,
    HOSTNAME,
    ApiDomainSettings,
    ConfigError,
    ConsumerSettings,
    stack_tags,
)
from components.stack_link import StackLinkError, StackRead, read_stack_outputs
from components.vpc_link import (
    EndpointVpcLink,
    EndpointVpcLinkArgs,
    FormerOwners,
    VpcLink,
    VpcLinkArgs,
)
from components.waf import ApiFirewall, ApiFirewallArgs

_SERVICE_NAME = re.compile(r"^com\.amazonaws\.vpce\.[a-z0-9-]+\.vpce-svc-[0-9a-f]{8,17}$")
_AZ_ID = re.compile(r"^[a-z]{2,4}\d-az\d{1,2}$")


@dataclass(frozen=True, kw_only=True)
class ProviderService:
    """The provider stack's outputs that this side is built from."""

    stack: str
    service_name: str
    az_ids: tuple[str, ...]
    port: int
    server_name: str
    account_id: str
    region: str
    name_prefix: str = ""
    """The provider's xacct:name (its fixed names start with it)."""
    supported_regions: tuple[str, ...] = ()
    """The regions whose consumers may connect (its own first)."""
    private_dns_name: str | None = None
    """The service's private DNS name, when it publishes one."""


def parse_provider_outputs(stack: str, values: Mapping[str, Any]) -> ProviderService:
    problems = []

    def bad(key: str, expected: str) -> None:
        problems.append(f"{key}={values.get(key)!r} {expected}")

    service_name = values[keys.ENDPOINT_SERVICE_NAME]
    if not isinstance(service_name, str) or not _SERVICE_NAME.match(service_name):
        bad(keys.ENDPOINT_SERVICE_NAME, "is not an endpoint service name (com.amazonaws.vpce...)")
    az_ids = values[keys.SERVICE_AZ_IDS]
    if (
        not isinstance(az_ids, list)
        or not az_ids
        or not all(isinstance(a, str) and _AZ_ID.match(a) for a in az_ids)
    ):
        bad(keys.SERVICE_AZ_IDS, "is not a list of availability-zone IDs (use1-az1, ...)")
        az_ids = []
    port = values[keys.LISTENER_PORT]
    if isinstance(port, float) and port.is_integer():
        port = int(port)  # stack outputs travel as JSON numbers
    if not isinstance(port, int) or not 1 <= port <= 65535:
        bad(keys.LISTENER_PORT, "is not a TCP port")
        port = 0
    server_name = values[keys.TLS_SERVER_NAME]
    if not isinstance(server_name, str) or not HOSTNAME.match(server_name):
        bad(keys.TLS_SERVER_NAME, "is not a DNS name")
    account = values[keys.PROVIDER_ACCOUNT_ID]
    if not isinstance(account, str) or not ACCOUNT_ID.match(account):
        bad(keys.PROVIDER_ACCOUNT_ID, "is not a 12-digit account id")
    region = str(values[keys.PROVIDER_REGION])
    supported = values.get(keys.SUPPORTED_REGIONS) or [region]
    if not isinstance(supported, list) or not all(isinstance(r, str) for r in supported):
        bad(keys.SUPPORTED_REGIONS, "is not a list of region names")
        supported = [region]
    if problems:
        raise StackLinkError(
            f"provider stack {stack!r} exports unexpected values: " + "; ".join(problems)
        )
    return ProviderService(
        stack=stack,
        service_name=service_name,
        az_ids=tuple(az_ids),
        port=port,
        server_name=server_name,
        account_id=account,
        region=region,
        name_prefix=str(values[keys.NAME_PREFIX]),
        supported_regions=tuple(supported),
        private_dns_name=values.get(keys.PRIVATE_DNS_NAME) or None,
    )


async def read_provider_service(stack: str, resource_name: str) -> ProviderService:
    values = await read_stack_outputs(
        StackRead(
            resource_name=resource_name,
            stack=stack,
            keys=keys.PROVIDER_KEYS_READ_BY_CONSUMER,
            optional=(keys.SUPPORTED_REGIONS, keys.PRIVATE_DNS_NAME),
            hint=(
                "deploy the provider first (`pulumi up -s <provider stack>` in account B), "
                "and check xacct:providerStack names it"
            ),
        )
    )
    return parse_provider_outputs(stack, values)


@dataclass(frozen=True, kw_only=True)
class ConsumerSideArgs:
    settings: ConsumerSettings
    facts: AccountFacts
    plan: NetworkPlan
    service: ProviderService
    endpoint_ips: tuple[str, ...]
    tags: dict[str, str]
    private_dns_now: bool = False
    """The endpoint is accepted: private DNS can be turned on (xacct:privateDns)."""


class ConsumerSide(pulumi.ComponentResource):
    endpoint_id: pulumi.Output[str]
    """The interface endpoint the provider must accept."""
    invoke_url: pulumi.Output[str]
    """The API's stage URL."""
    api_id: pulumi.Output[str]
    """The REST or HTTP API id."""
    vpc_link_id: pulumi.Output[str]
    """The VPC link id."""
    api_url: pulumi.Output[str]
    """Where callers call: the custom domain's https://<name>/, else the invoke URL."""
    nlb_arn: pulumi.Output[str] | None
    """The consumer NLB (None with the HTTP API front)."""
    cloud_map_service_arn: pulumi.Output[str] | None
    """The Cloud Map service listing the endpoint's IPs (None with the REST front)."""
    monitoring: Monitoring | None
    """Alarms, their topic and the dashboard (None with xacct:monitoring false)."""
    retained: list[pulumi.Output[str]]
    """What `pulumi destroy` leaves in place on purpose (the region's API Gateway logging role)."""

    def __init__(
        self, name: str, args: ConsumerSideArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:ConsumerSide", name, None, opts)
        s, facts, tags, service = args.settings, args.facts, args.tags, args.service
        child = pulumi.ResourceOptions(parent=self)
        logs_key = LogsKey(f"{name}-logs", LogsKeyArgs(facts=facts, tags=tags), opts=child)
        network = PrivateNetwork(
            f"{name}-net",
            PrivateNetworkArgs(
                plan=args.plan,
                facts=facts,
                log_retention_days=s.log_retention_days,
                log_kms_key_arn=logs_key.arn,
                tags=tags,
            ),
            opts=child,
        )
        http = s.frontend == "http"
        self._private_domain: PrivateDomainArgs | None = None
        endpoint = InterfaceEndpoint(
            f"{name}-pl",
            InterfaceEndpointArgs(
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                ips=args.endpoint_ips,
                service_name=service.service_name,
                service_region=service.region if service.region != facts.region else None,
                private_dns=s.private_dns,
                private_dns_now=args.private_dns_now,
                port=service.port,
                admitted="the VPC link" if http else "the consumer NLB",
                tags=tags,
            ),
            opts=child,
        )
        if http:
            api_metrics, nlb_hop = self._http_front(name, args, endpoint, network, logs_key)
        else:
            api_metrics, nlb_hop = self._rest_front(name, args, endpoint, network, logs_key)
        self.api_url = self.invoke_url
        self.domain_target: pulumi.Output[str] | None = None
        if s.domain is not None:
            domain = ApiDomain(
                f"{name}-domain",
                ApiDomainArgs(
                    settings=s.domain,
                    frontend=s.frontend,
                    api_id=self.api_id,
                    stage_name=self._stage_name,
                    private=self._private_domain,
                    tags=tags,
                ),
                opts=child,
            )
            self.api_url = domain.url
            self.domain_target = domain.target
        self.monitoring = None
        if s.monitoring.enabled:
            self.monitoring = Monitoring(
                f"{name}-watch",
                MonitoringArgs(
                    settings=s.monitoring,
                    region=facts.region,
                    kms_key_arn=logs_key.arn,
                    watched=consumer_alarms(
                        s.monitoring,
                        ConsumerHops(
                            api=api_metrics,
                            nlb=nlb_hop,
                            endpoint_count=len(args.endpoint_ips),
                            endpoint_id=endpoint.endpoint_id,
                            vpc_id=network.vpc_id,
                            service_name=service.service_name,
                        ),
                    ),
                    tags=tags,
                ),
                opts=child,
            )
        self.endpoint_id = endpoint.endpoint_id
        self.register_outputs(
            {
                "endpoint_id": self.endpoint_id,
                "invoke_url": self.invoke_url,
                "vpc_link_id": self.vpc_link_id,
            }
        )

    def _rest_front(
        self,
        name: str,
        args: ConsumerSideArgs,
        endpoint: InterfaceEndpoint,
        network: PrivateNetwork,
        logs_key: LogsKey,
    ) -> tuple[ApiMetrics, ConsumerNlb]:
        """REST API → VPC link → consumer NLB → the endpoint's IPs."""
        s, facts, tags, service = args.settings, args.facts, args.tags, args.service
        child = pulumi.ResourceOptions(parent=self)
        nlb = ConsumerLoadBalancer(
            f"{name}-lb",
            ConsumerLoadBalancerArgs(
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                target_ips=args.endpoint_ips,
                port=service.port,
                endpoint_security_group_id=endpoint.security_group_id,
                vpc_link_version=s.vpc_link_version,
                after=[endpoint],
                tags=tags,
            ),
            opts=child,
        )
        link = VpcLink(
            f"{name}-link",
            VpcLinkArgs(
                version=s.vpc_link_version,
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                nlb_arn=nlb.arn,
                nlb_security_group_id=nlb.security_group_id,
                port=service.port,
                after=[endpoint],
                former=FormerOwners(nlb=f"{name}-lb", api=f"{name}-api"),
                tags=tags,
            ),
            opts=child,
        )
        callers: list[pulumi.Input[str]] | None = None
        own_caller: pulumi.Output[str] | None = None
        if s.private_api is not None:
            callers = list(s.private_api.vpc_endpoint_ids)
            if s.private_api.own_endpoint:
                own = ExecuteApiEndpoint(
                    f"{name}-callers",
                    ExecuteApiEndpointArgs(
                        region=facts.region,
                        vpc_id=network.vpc_id,
                        vpc_cidr=args.plan.vpc_cidr,
                        subnet_ids=network.subnet_ids,
                        tags=tags,
                    ),
                    opts=child,
                )
                callers.insert(0, own.endpoint_id)
                own_caller = own.endpoint_id
                self._private_domain = PrivateDomainArgs(
                    vpc_id=network.vpc_id,
                    endpoint_id=own.endpoint_id,
                    endpoint_dns_name=own.dns_name,
                    endpoint_dns_zone_id=own.dns_zone_id,
                )
        api = PrivateApi(
            f"{name}-api",
            PrivateApiArgs(
                facts=facts,
                nlb_arn=nlb.arn,
                server_name=service.server_name,
                port=service.port,
                authorization=s.api_authorization,
                vpc_link_id=link.link_id,
                integration_target=link.integration_target,
                stage_name=s.stage_name,
                throttle_rate_limit=s.throttle_rate_limit,
                throttle_burst_limit=s.throttle_burst_limit,
                log_retention_days=s.log_retention_days,
                log_kms_key_arn=logs_key.arn,
                manage_account=s.manage_api_gateway_account,
                disable_execute_api_endpoint=bool(
                    s.domain and s.domain.disable_execute_api_endpoint
                ),
                caller_endpoint_ids=callers,
                tags=tags,
            ),
            opts=child,
        )
        if s.waf_rate_limit is not None:
            ApiFirewall(
                f"{name}-waf",
                ApiFirewallArgs(stage_arn=api.stage_arn, rate_limit=s.waf_rate_limit, tags=tags),
                opts=child,
            )
        self.invoke_url = api.invoke_url
        if own_caller is not None:
            # A private API through this VPC's endpoint: its endpoint-specific name.
            self.invoke_url = pulumi.Output.format(
                "https://{0}-{1}.execute-api.{2}.amazonaws.com/{3}",
                api.api_id,
                own_caller,
                facts.region,
                api.stage_name,
            )
        self.api_id = api.api_id
        self._stage_name = api.stage_name
        self.vpc_link_id = api.vpc_link_id
        self.nlb_arn = nlb.arn
        self.cloud_map_service_arn = None
        self.retained = api.retained
        return rest_api_metrics(api.api_name, api.stage_name), ConsumerNlb(
            nlb_suffix=nlb.arn_suffix, target_group_suffix=nlb.target_group_arn_suffix
        )

    def _http_front(
        self,
        name: str,
        args: ConsumerSideArgs,
        endpoint: InterfaceEndpoint,
        network: PrivateNetwork,
        logs_key: LogsKey,
    ) -> tuple[ApiMetrics, None]:
        """HTTP API → VPC link v2 → the endpoint's IPs, from Cloud Map: no NLB."""
        s, tags, service = args.settings, args.tags, args.service
        child = pulumi.ResourceOptions(parent=self)
        directory = EndpointDirectory(
            f"{name}-dir",
            EndpointDirectoryArgs(ips=args.endpoint_ips, port=service.port, tags=tags),
            opts=child,
        )
        link = EndpointVpcLink(
            f"{name}-link",
            EndpointVpcLinkArgs(
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                endpoint_security_group_id=endpoint.security_group_id,
                port=service.port,
                after=[endpoint],
                tags=tags,
            ),
            opts=child,
        )
        api = HttpApi(
            f"{name}-http",
            HttpApiArgs(
                server_name=service.server_name,
                authorization=s.api_authorization,
                vpc_link_id=link.link_id,
                directory_service_arn=directory.service_arn,
                stage_name=s.stage_name,
                throttle_rate_limit=s.throttle_rate_limit,
                throttle_burst_limit=s.throttle_burst_limit,
                log_retention_days=s.log_retention_days,
                log_kms_key_arn=logs_key.arn,
                disable_execute_api_endpoint=bool(
                    s.domain and s.domain.disable_execute_api_endpoint
                ),
                tags=tags,
            ),
            opts=child,
        )
        self.invoke_url = api.invoke_url
        self.api_id = api.api_id
        self._stage_name = api.stage_name
        self.vpc_link_id = link.link_id
        self.nlb_arn = None
        self.cloud_map_service_arn = directory.service_arn
        self.retained = []
        return http_api_metrics(api.api_id, api.stage_name), None


def check_api_domain(domain: ApiDomainSettings, region: str) -> None:
    """A regional custom domain takes a certificate of its own region; a new certificate is
    validated in a public zone that holds the name, and the alias record goes in that zone."""
    problems = []
    if domain.certificate_arn is not None:
        cert_region = domain.certificate_arn.split(":")[3]
        if cert_region != region:
            problems.append(
                f"xacct:apiCertificateArn: {domain.certificate_arn!r} is in {cert_region}: a "
                f"regional custom domain takes a certificate from its own region ({region})"
            )
    if problems:
        raise ConfigError(problems)
    if domain.route53_zone_id is not None:
        zone = hosted_zone(domain.route53_zone_id, key="apiRoute53ZoneId")
        if domain.certificate_arn is None:
            check_validation_zone(domain.name, zone, "apiRoute53ZoneId", "apiDomainName")
        elif domain.name != zone.name and not domain.name.endswith(f".{zone.name}"):
            raise ConfigError(
                [
                    f"xacct:apiRoute53ZoneId: {zone.zone_id!r} holds {zone.name}, not "
                    f"xacct:apiDomainName {domain.name!r}: Route 53 refuses the alias record "
                    "there; give the zone of that name (or of a parent domain)"
                ]
            )


async def build(settings: ConsumerSettings, facts: AccountFacts) -> dict[str, Any]:
    """Account A's side: read and check the provider's outputs, plan, compose the hops, return
    the stack's outputs."""
    service = await read_provider_service(settings.provider_stack, f"{settings.name}-provider")
    cross_region = service.region != facts.region
    if cross_region and facts.region not in service.supported_regions:
        raise StackLinkError(
            f"provider stack {service.stack!r} is in {service.region} and offers its service "
            f"to {', '.join(service.supported_regions)}, not to {facts.region} (this stack's "
            f"aws:region): add {facts.region} to the provider's xacct:supportedRegions and run "
            f"`pulumi up` on it, or deploy this stack to {service.region}"
        )
    if service.account_id == facts.account_id and service.name_prefix == settings.name:
        raise StackLinkError(
            f"provider stack {service.stack!r} is in this account ({facts.account_id}) with the "
            f"same xacct:name {settings.name!r}: their KMS alias, flow-log group and dashboard "
            "would have the same names; set another xacct:name on this stack"
        )
    if settings.private_dns and service.private_dns_name is None:
        raise StackLinkError(
            f"xacct:privateDns: true, but provider stack {service.stack!r} publishes no private "
            "DNS name: set xacct:publishPrivateDnsName true on it and run `pulumi up` there "
            "first (its domain must be verified), or leave privateDns false"
        )
    if settings.private_dns and cross_region:
        raise StackLinkError(
            "xacct:privateDns: true is not offered here for a provider in another region "
            f"({service.region}): the name would need verifying for cross-region use, which "
            "this project does not do yet; leave privateDns false"
        )
    private_dns_now = False
    if settings.private_dns:
        state = endpoint_state(service.service_name)
        private_dns_now = state == "available"
        if not private_dns_now:
            pulumi.log.info(
                "xacct:privateDns: the interface endpoint is "
                f"{state or 'not created yet'}; private DNS is turned on at the first `up` "
                "after the provider accepts it (python -m xacct_ops up does that up)"
            )
    if settings.domain is not None:
        check_api_domain(settings.domain, facts.region)
    if cross_region:
        # "Cross-Region access does not require that providers and consumers use the same
        # Availability Zones", but is not offered in some (AWS PrivateLink guide, cross-Region).
        offered = tuple(
            az for az in facts.az_names_by_id if az not in CROSS_REGION_UNSUPPORTED_AZ_IDS
        )
        allowed_from = (
            f"the AZs of {facts.region} that take cross-region endpoints (not "
            f"{', '.join(sorted(CROSS_REGION_UNSUPPORTED_AZ_IDS))})"
        )
    else:
        offered = service.az_ids
        allowed_from = f"the provider's endpoint service {service.service_name}"
    allowed = offered
    if settings.vpc_link_version == "v2":
        allowed = tuple(az for az in allowed if az not in VPC_LINK_V2_UNSUPPORTED_AZ_IDS)
        if len(allowed) < len(offered):
            left_out = sorted(set(offered) - set(allowed))
            allowed_from += (
                f" and VPC link v2 (not offered in {', '.join(left_out)}; "
                "xacct:vpcLinkVersion v1 has no such limit)"
            )
    plan = plan_for(settings, facts, allowed_az_ids=allowed, allowed_from=allowed_from)
    ips = pin_endpoint_ips(plan, settings.endpoint_host_number, settings.endpoint_ips)
    side = ConsumerSide(
        settings.name,
        ConsumerSideArgs(
            settings=settings,
            facts=facts,
            plan=plan,
            service=service,
            endpoint_ips=ips,
            tags=stack_tags(settings),
            private_dns_now=private_dns_now,
        ),
    )
    return {
        keys.INTERFACE_ENDPOINT_ID: side.endpoint_id,
        keys.CONSUMER_ACCOUNT_ID: facts.account_id,
        keys.CONSUMER_REGION: facts.region,
        keys.INVOKE_URL: side.invoke_url,
        keys.API_ID: side.api_id,
        keys.STAGE_NAME: settings.stage_name,
        keys.API_AUTHORIZATION: settings.api_authorization,
        keys.VPC_LINK_ID: side.vpc_link_id,
        keys.CONSUMER_NLB_ARN: side.nlb_arn,
        keys.ENDPOINT_IPS: list(ips),
        keys.FRONTEND: settings.frontend,
        keys.API_URL: side.api_url,
        keys.API_ENDPOINT_TYPE: "private" if settings.private_api else "regional",
        keys.API_DOMAIN_TARGET: side.domain_target,
        keys.CLOUD_MAP_SERVICE_ARN: side.cloud_map_service_arn,
        keys.RETAINED_ON_DESTROY: side.retained,
        **monitoring_exports(side.monitoring),
    }
