"""The fixed monthly cost and the network hops of a planned consumer stack, per front, priced
from what the program registers (not from a hand-kept total).

us-east-1 on-demand list prices, 730 h/month, from the AWS pricing pages as README "Fixed
monthly cost" records them; usage (requests, GB processed, NLCUs, discovery calls) comes on top.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from xacct_ops.offline_engine import Registration

HOURS = 730
MONTHLY: dict[str, float] = {
    "aws:lb/loadBalancer:LoadBalancer": 0.0225 * HOURS,  # NLB hour, before NLCUs
    "aws:kms/key:Key": 1.00,
    "aws:cloudwatch/metricAlarm:MetricAlarm": 0.10,  # per alarm metric (standard resolution)
    "aws:cloudwatch/dashboard:Dashboard": 3.00,
    "aws:servicediscovery/instance:Instance": 0.10,  # Cloud Map registered resource
}
ENDPOINT_AZ_HOUR = 0.01
"""An interface endpoint, per AZ (one ENI per subnet)."""

HOP_TYPES = {
    "aws:apigatewayv2/vpcLink:VpcLink": "VPC link ENI",
    "aws:apigateway/vpcLink:VpcLink": "VPC link (v1)",
    "aws:lb/loadBalancer:LoadBalancer": "consumer NLB",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "interface endpoint ENI",
}
PROVIDER_HOPS = ("PrivateLink", "provider NLB", "node (node port)", "kube-proxy → pod")
"""After the endpoint, the same for every consumer (instance targets)."""


def _billed_units(r: Registration) -> int:
    """CloudWatch bills an alarm per metric it evaluates: a metric-math alarm on two metrics
    counts twice (CloudWatch pricing, "alarm metric"; not re-read for this bench)."""
    queries = r.inputs.get("metricQueries") or []
    return max(1, sum(1 for q in queries if q.get("metric")))


@dataclass(frozen=True)
class FrontCost:
    monthly: float
    hops: tuple[str, ...]


def price(registrations: Iterable[Registration]) -> FrontCost:
    monthly = 0.0
    hops: list[str] = []
    for r in registrations:
        monthly += MONTHLY.get(r.type, 0.0) * _billed_units(r)
        if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint":
            monthly += ENDPOINT_AZ_HOUR * HOURS * len(r.inputs.get("subnetIds") or [])
        if r.type in HOP_TYPES and HOP_TYPES[r.type] not in hops:
            hops.append(HOP_TYPES[r.type])
    order = list(HOP_TYPES.values())
    return FrontCost(round(monthly, 2), (*sorted(hops, key=order.index), *PROVIDER_HOPS))
