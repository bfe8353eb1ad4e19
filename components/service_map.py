"""EndpointDirectory: the interface endpoint's IPs, listed in AWS Cloud Map for the HTTP API
front (xacct:frontend http), which integrates with a Cloud Map service instead of a load
balancer (components/http_api.py).

An HTTP namespace (no DNS: the instances are found only through DiscoverInstances), one service
in it, and one instance per endpoint ENI, with its pinned IP and the listener's port as the
`AWS_INSTANCE_IPV4` and `AWS_INSTANCE_PORT` attributes. "For integrations with AWS Cloud Map,
API Gateway uses DiscoverInstances to identify resources ... The registered resources'
attributes must include IP addresses and ports. API Gateway distributes requests across healthy
resources that are returned from DiscoverInstances" (API Gateway developer guide, "Create private
integrations for HTTP APIs"). Nothing health-checks these instances (Cloud Map checks only
public DNS namespaces): README "Choosing the front" says what that means.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class EndpointDirectoryArgs:
    ips: tuple[str, ...]
    """The endpoint ENIs' pinned IPs, one per subnet."""
    port: int
    """The provider's listener port."""
    tags: dict[str, str] | None = None


class EndpointDirectory(pulumi.ComponentResource):
    service_arn: pulumi.Output[str]
    """The Cloud Map service the HTTP API's integration names."""
    namespace_name: pulumi.Output[str]
    """Its HTTP namespace (what `verify` discovers the instances in)."""
    service_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: EndpointDirectoryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:EndpointDirectory", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}
        namespace = aws.servicediscovery.HttpNamespace(
            f"{name}-ns",
            description="The PrivateLink endpoint's IPs, for the HTTP API's private integration",
            tags=tags,
            opts=child,
        )
        service = aws.servicediscovery.Service(
            f"{name}-endpoint",
            namespace_id=namespace.id,
            type="HTTP",
            description="One instance per interface endpoint ENI: its IP and the listener port",
            # Deleting the service deletes its instances with it (they are this component's).
            force_destroy=True,
            tags=tags,
            opts=child,
        )
        for index, ip in enumerate(args.ips):
            aws.servicediscovery.Instance(
                f"{name}-eni-{index}",
                # The instance id is the address: a new address is a new instance.
                instance_id=ip,
                service_id=service.id,
                attributes={"AWS_INSTANCE_IPV4": ip, "AWS_INSTANCE_PORT": str(args.port)},
                opts=child,
            )
        self.service_arn = service.arn
        self.namespace_name = namespace.name
        self.service_name = service.name
        self.register_outputs({"service_arn": self.service_arn})
