"""One TCP port from one security group to another: the egress rule on the source and the
ingress rule on the target, both described. Every hop of the path is opened this way."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def allow_tcp(
    name: str,
    *,
    source: pulumi.Input[str],
    target: pulumi.Input[str],
    port: int,
    egress_why: str,
    ingress_why: str,
    opts: pulumi.ResourceOptions,
) -> None:
    """`<name>-out` lets `source` send to `target` on `port`; `<name>-in` lets `target` admit it."""
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-out",
        security_group_id=source,
        referenced_security_group_id=target,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=egress_why,
        opts=opts,
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-in",
        security_group_id=target,
        referenced_security_group_id=source,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=ingress_why,
        opts=opts,
    )
