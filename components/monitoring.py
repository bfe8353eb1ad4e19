"""Monitoring: CloudWatch alarms on each hop a side owns, a KMS-encrypted SNS topic for them, and
a dashboard that shows the path left to right.

Every dimension comes from the resource it watches (ARN suffixes, endpoint and VPC ids, API and
stage names), never typed by hand. Alarms are built from `AlarmSpec`s so the README's table,
the tests and the resources come from one list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import outputs as keys
from components.aws_limits import DASHBOARD_METRICS_MAX, WIDGET_METRICS_MAX
from components.settings import MonitoringSettings, default_monitoring

PERIOD_SECONDS = 300


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    key: str
    """Short name, part of the alarm's name."""
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    comparison: str
    threshold: float
    statistic: str | None = "Sum"
    extended_statistic: str | None = None
    description: str = ""
    notify: bool = True
    """False: an advisory alarm, on the dashboard but sending nothing."""
    missing_data: str = "notBreaching"
    rate_of: str | None = None
    """Alarm on `metric` / this metric (both summed over the period), by metric math: for
    counts whose Average AWS does not document as a rate (an HTTP API's `5xx`, `4xx`)."""


def rate_queries(spec: AlarmSpec) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
    """errors / requests over each period, 0 when there were no requests."""

    def summed(query_id: str, metric: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=spec.namespace,
                metric_name=metric,
                dimensions=dict(spec.dimensions),
                period=PERIOD_SECONDS,
                stat="Sum",
            ),
            return_data=False,
        )

    assert spec.rate_of is not None
    return [
        summed("errors", spec.metric),
        summed("requests", spec.rate_of),
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="rate",
            expression="IF(requests > 0, errors / requests, 0)",
            label=f"{spec.metric} / {spec.rate_of}",
            return_data=True,
        ),
    ]


@dataclass(frozen=True, kw_only=True)
class Widget:
    title: str
    namespace: str
    metrics: Sequence[tuple[str, Mapping[str, pulumi.Input[str]], str]]
    """(metric name, dimensions, statistic) per line."""


@dataclass(frozen=True, kw_only=True)
class EndpointServiceRef:
    service_id: pulumi.Input[str]
    service_arn: pulumi.Input[str]
    account_id: str


CONNECTION_EVENTS = ("Connect", "Accept", "Reject", "Delete")
"""Every event of a connection request to the endpoint service."""


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    settings: MonitoringSettings
    region: str
    kms_key_arn: pulumi.Input[str]
    watched: tuple[list[AlarmSpec], list[Widget]]
    """The side's alarms and dashboard widgets (from provider_alarms / consumer_alarms)."""
    connections_of: EndpointServiceRef | None = None
    """Provider with xacct:connectionNotifications: the endpoint service whose connection
    requests are published to the topic."""
    tags: dict[str, str] | None = None


class Monitoring(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    """The SNS topic the alarms notify."""
    dashboard_name: pulumi.Output[str]
    """The CloudWatch dashboard of this side's hops."""

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        topic = aws.sns.Topic(
            f"{name}-alarms", kms_master_key_id=args.kms_key_arn, tags=args.tags, opts=child
        )
        if s.email:
            aws.sns.TopicSubscription(
                f"{name}-email", topic=topic.arn, protocol="email", endpoint=s.email, opts=child
            )
        if s.https_endpoint:
            aws.sns.TopicSubscription(
                f"{name}-https",
                topic=topic.arn,
                protocol="https",
                endpoint=s.https_endpoint,
                opts=child,
            )
        if args.connections_of is not None:
            self._notify_connections(name, topic, args.connections_of)
        alarms, widgets = args.watched
        for spec in alarms:
            actions = [topic.arn] if spec.notify else []
            math = spec.rate_of is not None
            aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                name=f"{name}-{spec.key}",
                alarm_description=spec.description,
                namespace=None if math else spec.namespace,
                metric_name=None if math else spec.metric,
                dimensions=None if math else dict(spec.dimensions),
                statistic=None if math or spec.extended_statistic else spec.statistic,
                extended_statistic=None if math else spec.extended_statistic,
                metric_queries=rate_queries(spec) if math else None,
                period=None if math else PERIOD_SECONDS,
                evaluation_periods=s.evaluation_periods,
                datapoints_to_alarm=s.evaluation_periods,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                treat_missing_data=spec.missing_data,
                alarm_actions=actions,
                ok_actions=actions,
                tags=args.tags,
                opts=child,
            )
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{name}-path",
            dashboard_body=dashboard_body(widgets, args.region),
            opts=child,
        )
        self.topic_arn = topic.arn
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"topic_arn": self.topic_arn})

    def _notify_connections(
        self, name: str, topic: aws.sns.Topic, service: EndpointServiceRef
    ) -> None:
        """Every connection request to the endpoint service, published to the topic: its
        policy keeps SNS's default statement (this account's principals) and lets PrivateLink
        publish for this service only."""
        policy = aws.sns.TopicPolicy(
            f"{name}-alarms-policy",
            arn=topic.arn,
            policy=pulumi.Output.json_dumps(
                topic_policy(topic.arn, service.account_id, service.service_arn)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ec2.VpcEndpointConnectionNotification(
            f"{name}-connections",
            vpc_endpoint_service_id=service.service_id,
            connection_notification_arn=topic.arn,
            connection_events=list(CONNECTION_EVENTS),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )


def topic_policy(
    topic_arn: pulumi.Input[str], account_id: str, service_arn: pulumi.Input[str]
) -> dict[str, Any]:
    """SNS's default topic policy (the owner account's principals) plus PrivateLink publishing
    the connection notifications of one endpoint service (AWS PrivateLink guide, "Receive
    alerts for endpoint service events": the access policy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ThisAccountUsesTheTopic",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
            },
            {
                "Sid": "EndpointServiceNotifications",
                "Effect": "Allow",
                "Principal": {"Service": "vpce.amazonaws.com"},
                "Action": "SNS:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": service_arn},
                },
            },
        ],
    }


def dashboard_body(widgets: Sequence[Widget], region: str) -> pulumi.Output[str]:
    """Widgets side by side, left to right in path order, 8 units wide each."""
    body = {
        "widgets": [
            {
                "type": "metric",
                "x": (index * 8) % 24,
                "y": (index * 8) // 24 * 6,
                "width": 8,
                "height": 6,
                "properties": {
                    "title": widget.title,
                    "region": region,
                    "view": "timeSeries",
                    "period": PERIOD_SECONDS,
                    "metrics": [
                        [
                            widget.namespace,
                            metric,
                            *[part for key, value in dims.items() for part in (key, value)],
                            {"stat": stat},
                        ]
                        for metric, dims, stat in widget.metrics
                    ],
                },
            }
            for index, widget in enumerate(widgets)
        ]
    }
    return pulumi.Output.json_dumps(body)


NLB = "AWS/NetworkELB"
ENDPOINT_SERVICE = "AWS/PrivateLinkServices"
ENDPOINT = "AWS/PrivateLinkEndpoints"
API = "AWS/ApiGateway"
GREATER = "GreaterThanThreshold"
LESS = "LessThanThreshold"


@dataclass(frozen=True, kw_only=True)
class ProviderHops:
    nlb_suffix: pulumi.Input[str]
    target_group_suffix: pulumi.Input[str]
    az_names: tuple[str, ...]
    service_id: pulumi.Input[str]
    accepted_endpoint_ids: tuple[str, ...]


PER_ENDPOINT_LINES_MAX = DASHBOARD_METRICS_MAX - 100
"""Lines the per-endpoint graphs may use: the dashboard's 2,500 less room for every other
graph (a dozen lines today)."""


def bytes_by_endpoint(
    service: Mapping[str, pulumi.Input[str]], endpoint_ids: Sequence[str]
) -> list[Widget]:
    """One line per accepted consumer endpoint, in graphs of at most 500 lines; with more
    endpoints than a dashboard can chart one by one, the service's total."""
    title = "Endpoint service: bytes by consumer endpoint"
    if not endpoint_ids or len(endpoint_ids) > PER_ENDPOINT_LINES_MAX:
        # No consumer yet: the title it always had (a changed title would update every
        # deployed dashboard for nothing).
        shown = (
            title
            if not endpoint_ids
            else (f"Endpoint service: bytes (all {len(endpoint_ids)}: per endpoint in Metrics)")
        )
        return [
            Widget(
                title=shown,
                namespace=ENDPOINT_SERVICE,
                metrics=[("BytesProcessed", service, "Sum")],
            )
        ]
    chunks = [
        endpoint_ids[i : i + WIDGET_METRICS_MAX]
        for i in range(0, len(endpoint_ids), WIDGET_METRICS_MAX)
    ]
    return [
        Widget(
            title=title
            if len(chunks) == 1
            else f"{title} ({n * WIDGET_METRICS_MAX + 1}-{n * WIDGET_METRICS_MAX + len(chunk)})",
            namespace=ENDPOINT_SERVICE,
            metrics=[("BytesProcessed", {**service, "VPC Endpoint Id": e}, "Sum") for e in chunk],
        )
        for n, chunk in enumerate(chunks)
    ]


def provider_alarms(
    s: MonitoringSettings, hops: ProviderHops
) -> tuple[list[AlarmSpec], list[Widget]]:
    lb = {"LoadBalancer": hops.nlb_suffix, "TargetGroup": hops.target_group_suffix}
    service = {"Service Id": hops.service_id}
    alarms = [
        AlarmSpec(
            key="nlb-no-healthy-targets",
            namespace=NLB,
            metric="HealthyHostCount",
            dimensions=lb,
            statistic="Minimum",
            comparison=LESS,
            threshold=1,
            missing_data="breaching",
            description="No healthy node behind the provider NLB: every consumer's calls "
            "fail. Check the node group, the workload's pods and the node port.",
        ),
        *[
            AlarmSpec(
                key=f"nlb-unhealthy-{az}",
                namespace=NLB,
                metric="UnHealthyHostCount",
                dimensions={**lb, "AvailabilityZone": az},
                statistic="Maximum",
                comparison=GREATER,
                threshold=0,
                description=f"Unhealthy targets in {az}: check that zone's nodes and pods.",
            )
            for az in hops.az_names
        ],
        AlarmSpec(
            key="endpoint-service-resets",
            namespace=ENDPOINT_SERVICE,
            metric="RstPacketsSent",
            dimensions=service,
            comparison=GREATER,
            threshold=s.resets_per_period,
            description="The endpoint service resets consumer connections: check the "
            "NLB's listener and targets.",
        ),
    ]
    widgets = [
        Widget(
            title="Endpoint service: new connections and resets",
            namespace=ENDPOINT_SERVICE,
            metrics=[("NewConnections", service, "Sum"), ("RstPacketsSent", service, "Sum")],
        ),
        *bytes_by_endpoint(service, hops.accepted_endpoint_ids),
        Widget(
            title="Provider NLB: healthy and unhealthy targets",
            namespace=NLB,
            metrics=[("HealthyHostCount", lb, "Minimum"), ("UnHealthyHostCount", lb, "Maximum")],
        ),
    ]
    return alarms, widgets


@dataclass(frozen=True, kw_only=True)
class ApiMetrics:
    """Where an API's metrics are: the same namespace for both fronts, other names and
    dimensions (REST: `5XXError` by ApiName and Stage; HTTP: `5xx` by ApiId and Stage)."""

    dimensions: Mapping[str, pulumi.Input[str]]
    errors_5xx: str
    errors_4xx: str
    rate_of: str | None = None
    """REST's error metrics average to a rate (AWS documents it); HTTP's are counts, divided
    by `Count` in metric math."""


def rest_api_metrics(api_name: pulumi.Input[str], stage: pulumi.Input[str]) -> ApiMetrics:
    return ApiMetrics(
        dimensions={"ApiName": api_name, "Stage": stage},
        errors_5xx="5XXError",
        errors_4xx="4XXError",
    )


def http_api_metrics(api_id: pulumi.Input[str], stage: pulumi.Input[str]) -> ApiMetrics:
    return ApiMetrics(
        dimensions={"ApiId": api_id, "Stage": stage},
        errors_5xx="5xx",
        errors_4xx="4xx",
        rate_of="Count",
    )


@dataclass(frozen=True, kw_only=True)
class ConsumerNlb:
    nlb_suffix: pulumi.Input[str]
    target_group_suffix: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class ConsumerHops:
    api: ApiMetrics
    nlb: ConsumerNlb | None
    """The consumer NLB (None with the HTTP API front, which has none)."""
    endpoint_count: int
    endpoint_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    service_name: str


def consumer_alarms(
    s: MonitoringSettings, hops: ConsumerHops
) -> tuple[list[AlarmSpec], list[Widget]]:
    api = hops.api.dimensions
    endpoint = {
        "Endpoint Type": "Interface",
        "Service Name": hops.service_name,
        "VPC Endpoint Id": hops.endpoint_id,
        "VPC Id": hops.vpc_id,
    }
    alarms = [
        AlarmSpec(
            key="api-5xx-rate",
            namespace=API,
            metric=hops.api.errors_5xx,
            dimensions=api,
            statistic="Average",
            rate_of=hops.api.rate_of,
            comparison=GREATER,
            threshold=s.error_5xx_percent / 100,
            description="API answers 5XX: the path to the provider is failing. Check the "
            + (
                "consumer NLB's healthy targets, then the endpoint's state."
                if hops.nlb
                else "endpoint's state, then the VPC link's."
            ),
        ),
        AlarmSpec(
            key="api-latency-p99",
            namespace=API,
            metric="Latency",
            dimensions=api,
            statistic=None,
            extended_statistic="p99",
            comparison=GREATER,
            threshold=s.latency_p99_ms,
            description="API p99 latency is high: compare IntegrationLatency; then the "
            "provider's workload.",
        ),
        AlarmSpec(
            key="api-4xx-rate",
            namespace=API,
            metric=hops.api.errors_4xx,
            dimensions=api,
            statistic="Average",
            rate_of=hops.api.rate_of,
            comparison=GREATER,
            threshold=s.error_4xx_percent / 100,
            notify=False,
            description="Advisory: many 4XX (auth or client errors). Check callers' "
            "credentials and the access log.",
        ),
        AlarmSpec(
            key="endpoint-dropped",
            namespace=ENDPOINT,
            metric="PacketsDropped",
            dimensions=endpoint,
            comparison=GREATER,
            threshold=0,
            description="The interface endpoint drops packets: check its security group "
            f"admits the {'NLB' if hops.nlb else 'VPC link'} on the listener port.",
        ),
        AlarmSpec(
            key="endpoint-resets",
            namespace=ENDPOINT,
            metric="RstPacketsReceived",
            dimensions=endpoint,
            comparison=GREATER,
            threshold=s.resets_per_period,
            description="The provider side resets connections through the endpoint.",
        ),
    ]
    widgets = [
        Widget(
            title="API: requests, 4XX, 5XX",
            namespace=API,
            metrics=[
                ("Count", api, "Sum"),
                (hops.api.errors_4xx, api, "Sum"),
                (hops.api.errors_5xx, api, "Sum"),
            ],
        ),
        Widget(
            title="API: latency p99 and integration latency",
            namespace=API,
            metrics=[("Latency", api, "p99"), ("IntegrationLatency", api, "p99")],
        ),
        Widget(
            title="Interface endpoint: bytes, drops, resets",
            namespace=ENDPOINT,
            metrics=[
                ("BytesProcessed", endpoint, "Sum"),
                ("PacketsDropped", endpoint, "Sum"),
                ("RstPacketsReceived", endpoint, "Sum"),
            ],
        ),
    ]
    if hops.nlb is not None:
        alarms[3:3] = nlb_alarms(s, hops.nlb, hops.endpoint_count)
        widgets[2:2] = [nlb_widget(hops.nlb)]
    return alarms, widgets


def nlb_alarms(s: MonitoringSettings, nlb: ConsumerNlb, endpoint_count: int) -> list[AlarmSpec]:
    lb = {"LoadBalancer": nlb.nlb_suffix, "TargetGroup": nlb.target_group_suffix}
    return [
        AlarmSpec(
            key="nlb-healthy-endpoints",
            namespace=NLB,
            metric="HealthyHostCount",
            dimensions=lb,
            statistic="Minimum",
            comparison=LESS,
            threshold=endpoint_count,
            missing_data="breaching",
            description="Fewer healthy endpoint ENIs than there are: check the endpoint "
            "is available and the provider accepts connections.",
        ),
        AlarmSpec(
            key="nlb-target-resets",
            namespace=NLB,
            metric="TCP_Target_Reset_Count",
            dimensions={"LoadBalancer": nlb.nlb_suffix},
            comparison=GREATER,
            threshold=s.resets_per_period,
            description="The endpoint resets connections: check the provider's NLB.",
        ),
    ]


def nlb_widget(nlb: ConsumerNlb) -> Widget:
    lb = {"LoadBalancer": nlb.nlb_suffix, "TargetGroup": nlb.target_group_suffix}
    return Widget(
        title="Consumer NLB: healthy endpoint ENIs, resets",
        namespace=NLB,
        metrics=[
            ("HealthyHostCount", lb, "Minimum"),
            ("TCP_Target_Reset_Count", {"LoadBalancer": nlb.nlb_suffix}, "Sum"),
        ],
    )


def alarms_table() -> str:
    """The README's table of alarms, from the same specs the stacks build, with the thresholds
    Pulumi.yaml declares."""
    defaults = default_monitoring("consumer")
    provider, _ = provider_alarms(
        defaults,
        ProviderHops(
            nlb_suffix="",
            target_group_suffix="",
            az_names=("<az>",),
            service_id="",
            accepted_endpoint_ids=(),
        ),
    )
    consumer, _ = consumer_alarms(
        defaults,
        ConsumerHops(
            api=rest_api_metrics("", ""),
            nlb=ConsumerNlb(nlb_suffix="", target_group_suffix=""),
            endpoint_count=2,
            endpoint_id="",
            vpc_id="",
            service_name="",
        ),
    )
    lines = [
        "| side | alarm | metric | fires when (default) | meaning, and the first thing to check |",
        "|---|---|---|---|---|",
    ]
    for side, specs in (("provider", provider), ("consumer", consumer)):
        for spec in specs:
            stat = spec.extended_statistic or spec.statistic
            op = ">" if spec.comparison == GREATER else "<"
            threshold = f"{spec.threshold:g}"
            if spec.key == "nlb-healthy-endpoints":
                threshold = "the number of endpoint ENIs"
            elif spec.metric in ("5XXError", "4XXError"):
                threshold = f"{spec.threshold * 100:g}% of requests"
            lines.append(
                f"| {side} | `{spec.key}` | `{spec.namespace}` `{spec.metric}` ({stat}) "
                f"| {op} {threshold} | {spec.description} |"
            )
    return "\n".join(lines)


def monitoring_exports(monitoring: Monitoring | None) -> dict[str, Any]:
    if monitoring is None:
        return {}
    return {
        keys.ALARM_TOPIC_ARN: monitoring.topic_arn,
        keys.DASHBOARD_NAME: monitoring.dashboard_name,
    }
