"""ExecuteApiEndpoint: for a private API (xacct:apiEndpointType private), the execute-api
interface endpoint in the consumer's VPC through which callers there reach the API, the first
hop of their request. Private DNS stays off: on, it would take over every
`*.execute-api.<region>.amazonaws.com` name in the VPC (calls to public APIs from it would then
fail) and clash with an execute-api endpoint the VPC may already have. Callers use the
endpoint-specific name `https://<api id>-<vpce id>.execute-api.<region>.amazonaws.com/<stage>`
instead (the `apiUrl` output), which AWS publishes for every endpoint the API lists. Its
security group admits HTTPS from the VPC's primary CIDR only.

A private REST API "is accessible only from within a VPC by using an interface VPC endpoint
for API Gateway" (API Gateway developer guide, "Private REST APIs"); the API's resource policy
(components/api.py) names the endpoints that may call it, this one and any listed in
xacct:privateApiVpcEndpointIds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class ExecuteApiEndpointArgs:
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: list[pulumi.Output[str]]
    tags: dict[str, str] | None = None


class ExecuteApiEndpoint(pulumi.ComponentResource):
    endpoint_id: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    """The endpoint's regional DNS name (what a private custom domain's alias points at)."""
    dns_zone_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ExecuteApiEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:ExecuteApiEndpoint", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="execute-api endpoint: HTTPS from this VPC only",
            tags={**tags, "Name": f"{name}-sg"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-https-in",
            security_group_id=sg.id,
            cidr_ipv4=args.vpc_cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="Callers in this VPC to the private API",
            opts=child,
        )
        endpoint = aws.ec2.VpcEndpoint(
            f"{name}-endpoint",
            vpc_id=args.vpc_id,
            service_name=f"com.amazonaws.{args.region}.execute-api",
            vpc_endpoint_type="Interface",
            private_dns_enabled=False,
            subnet_ids=args.subnet_ids,
            security_group_ids=[sg.id],
            tags={**tags, "Name": f"{name}-endpoint"},
            opts=child,
        )
        self.endpoint_id = endpoint.id
        # The first entry is the endpoint's regional name (the others are per AZ); AWS lists
        # it once the endpoint exists (unknown in a preview before that).
        self.dns_name = endpoint.dns_entries.apply(
            lambda entries: (entries[0].dns_name or "") if entries else ""
        )
        self.dns_zone_id = endpoint.dns_entries.apply(
            lambda entries: (entries[0].hosted_zone_id or "") if entries else ""
        )
        self.register_outputs({"endpoint_id": self.endpoint_id})
