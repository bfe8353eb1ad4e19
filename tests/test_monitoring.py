"""Monitoring on the mocks: each alarm's metric, namespace and dimensions come from the resource it
watches; the dashboard is valid JSON naming each widget's metrics; the topic is encrypted;
monitoring off removes it all; bad thresholds fail with clear messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import outputs as keys
from components.settings import ConfigError, parse_settings
from policy.offline import evaluate, mandatory
from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG
from tests.support.program import Run, run_program
from tests.support.variants import GATE
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, FakeAccount

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
PROVIDER_STACK = "organization/xacct/provider"


@pytest.fixture(scope="module")
def provider() -> Run:
    return run_program(
        {**PROVIDER_CONFIG, "alarmEmail": "oncall@example.com"}, stack_name="provider"
    )


@pytest.fixture(scope="module")
def consumer(provider: Run) -> Run:
    account = FakeAccount(account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT]))
    return run_program(
        CONSUMER_CONFIG,
        account=account,
        stack_name="consumer",
        stacks={PROVIDER_STACK: provider.exports},
    )


def alarms(run: Run) -> dict[str, dict[str, Any]]:
    return {a.name.split("-watch-", 1)[1]: a.inputs for a in run.of_type(ALARM)}


def test_provider_alarms_watch_its_nlb_per_az_and_its_endpoint_service(
    provider: Run,
) -> None:
    found = alarms(provider)
    nlb = provider.one("aws:lb/loadBalancer:LoadBalancer").outputs
    tg = provider.one("aws:lb/targetGroup:TargetGroup").outputs
    service = provider.one("aws:ec2/vpcEndpointService:VpcEndpointService")
    assert set(found) == {
        "nlb-no-healthy-targets",
        "nlb-unhealthy-us-east-1a",
        "nlb-unhealthy-us-east-1b",
        "endpoint-service-resets",
    }
    healthy = found["nlb-no-healthy-targets"]
    assert (healthy["namespace"], healthy["metricName"]) == ("AWS/NetworkELB", "HealthyHostCount")
    assert healthy["dimensions"] == {
        "LoadBalancer": nlb["arnSuffix"],
        "TargetGroup": tg["arnSuffix"],
    }
    assert healthy["comparisonOperator"] == "LessThanThreshold" and healthy["threshold"] == 1
    per_az = found["nlb-unhealthy-us-east-1b"]
    assert per_az["dimensions"]["AvailabilityZone"] == "us-east-1b"
    resets = found["endpoint-service-resets"]
    assert (resets["namespace"], resets["metricName"]) == (
        "AWS/PrivateLinkServices",
        "RstPacketsSent",
    )
    assert resets["dimensions"] == {"Service Id": service.id}


def test_alarms_notify_the_encrypted_topic_and_email_subscribes(provider: Run) -> None:
    topic = provider.one(TOPIC)
    key = provider.one("aws:kms/key:Key", "logs")
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    policy = json.loads(key.inputs["policy"])
    alarms_sid = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchAlarmsOfThisAccount")
    assert alarms_sid["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    for alarm in provider.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]
        assert alarm.inputs["evaluationPeriods"] == 3 and alarm.inputs["period"] == 300
    subscription = provider.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert subscription == {
        "topic": topic.outputs["arn"],
        "protocol": "email",
        "endpoint": "oncall@example.com",
    }
    assert provider.exports[keys.ALARM_TOPIC_ARN] == topic.outputs["arn"]


def test_consumer_alarms_watch_api_nlb_and_endpoint(consumer: Run) -> None:
    found = alarms(consumer)
    api = consumer.one("aws:apigateway/restApi:RestApi").inputs["name"]
    stage = consumer.one("aws:apigateway/stage:Stage").inputs["stageName"]
    endpoint = consumer.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    nlb = consumer.one("aws:lb/loadBalancer:LoadBalancer").outputs
    tg = consumer.one("aws:lb/targetGroup:TargetGroup").outputs
    for key in ("api-5xx-rate", "api-latency-p99", "api-4xx-rate"):
        assert found[key]["namespace"] == "AWS/ApiGateway"
        assert found[key]["dimensions"] == {"ApiName": api, "Stage": stage}
    assert (
        found["api-5xx-rate"]["threshold"] == 0.05
        and found["api-5xx-rate"]["statistic"] == "Average"
    )
    assert found["api-latency-p99"]["extendedStatistic"] == "p99"
    assert found["api-latency-p99"]["threshold"] == 3000
    assert found["api-4xx-rate"]["alarmActions"] == []  # advisory: no notification
    healthy = found["nlb-healthy-endpoints"]
    assert healthy["dimensions"] == {
        "LoadBalancer": nlb["arnSuffix"],
        "TargetGroup": tg["arnSuffix"],
    }
    assert healthy["threshold"] == len(consumer.exports[keys.ENDPOINT_IPS]) == 2
    dropped = found["endpoint-dropped"]
    assert dropped["namespace"] == "AWS/PrivateLinkEndpoints"
    assert dropped["dimensions"] == {
        "Endpoint Type": "Interface",
        "Service Name": endpoint.inputs["serviceName"],
        "VPC Endpoint Id": endpoint.id,
        "VPC Id": consumer.one("aws:ec2/vpc:Vpc").id,
    }
    assert found["endpoint-resets"]["metricName"] == "RstPacketsReceived"


def test_dashboard_is_json_naming_each_widgets_metrics(consumer: Run) -> None:
    dashboard = consumer.one(DASHBOARD)
    body = json.loads(dashboard.inputs["dashboardBody"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert titles == [
        "API: requests, 4XX, 5XX",
        "API: latency p99 and integration latency",
        "Consumer NLB: healthy endpoint ENIs, resets",
        "Interface endpoint: bytes, drops, resets",
    ]
    for widget in body["widgets"]:
        for line in widget["properties"]["metrics"]:
            namespace, metric = line[0], line[1]
            assert namespace.startswith("AWS/") and metric
            assert "" not in line[2:-1]  # every dimension resolved to a value
    assert body["widgets"][0]["x"] < body["widgets"][1]["x"] < body["widgets"][2]["x"]
    assert consumer.exports[keys.DASHBOARD_NAME] == dashboard.inputs["dashboardName"]


def test_provider_dashboard_shows_bytes_per_accepted_endpoint(consumer: Run) -> None:
    endpoint_id = consumer.exports[keys.INTERFACE_ENDPOINT_ID]
    accepting = run_program(
        {**PROVIDER_CONFIG, "consumerStacks": ["organization/xacct/consumer"]},
        stacks={"organization/xacct/consumer": consumer.exports},
    )
    body = json.loads(accepting.one(DASHBOARD).inputs["dashboardBody"])
    lines = next(w for w in body["widgets"] if "bytes by consumer" in w["properties"]["title"])
    assert lines["properties"]["metrics"][0][2:6] == [
        "Service Id",
        accepting.one("aws:ec2/vpcEndpointService:VpcEndpointService").id,
        "VPC Endpoint Id",
        endpoint_id,
    ]


def test_monitoring_off_removes_it_all(provider: Run) -> None:
    run = run_program({**PROVIDER_CONFIG, "monitoring": "false"})
    assert not run.of_type(ALARM, TOPIC, DASHBOARD, "xacct:monitoring:Monitoring")
    assert keys.ALARM_TOPIC_ARN not in run.exports


def test_thresholds_flow_from_config(provider: Run) -> None:
    account = FakeAccount(account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT]))
    run = run_program(
        {
            **CONSUMER_CONFIG,
            "alarm5xxPercent": "2",
            "alarmLatencyP99Ms": "800",
            "alarmEvaluationPeriods": "5",
        },
        account=account,
        stacks={PROVIDER_STACK: provider.exports},
    )
    found = alarms(run)
    assert found["api-5xx-rate"]["threshold"] == 0.02
    assert found["api-latency-p99"]["threshold"] == 800
    assert {a["evaluationPeriods"] for a in found.values()} == {5}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"alarm5xxPercent": "0"},
            "xacct:alarm5xxPercent: 0 is out of range: expected 1 to 100 percent of requests",
        ),
        (
            {"alarmLatencyP99Ms": "60000"},
            "xacct:alarmLatencyP99Ms: 60000 is out of range: expected "
            "50 to 29000 milliseconds (API Gateway times out at 29000)",
        ),
        (
            {"alarmEvaluationPeriods": "0"},
            "xacct:alarmEvaluationPeriods: 0 is out of range: "
            "expected 1 to 24 five-minute periods before an alarm fires",
        ),
        ({"alarmEmail": "oncall"}, "xacct:alarmEmail: 'oncall' is not an email address"),
        (
            {"alarmHttpsEndpoint": "http://hooks.example.com/x"},
            "xacct:alarmHttpsEndpoint: 'http://hooks.example.com/x' is not an https:// URL (SNS "
            "delivers to HTTPS only)",
        ),
        (
            {"monitoring": "false", "alarmEmail": "a@example.com"},
            "xacct:alarmEmail: must not be set with xacct:monitoring false (no alarms are created)",
        ),
    ],
)
def test_bad_monitoring_settings_are_named(values: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"role": "consumer", "providerStack": PROVIDER_STACK, **values})
    assert expected in caught.value.problems


def test_consumer_thresholds_are_refused_on_the_provider() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in {**PROVIDER_CONFIG, "alarm5xxPercent": "3"}.items()
            }
        )
    assert (
        "xacct:alarm5xxPercent: must not be set on a provider stack (xacct:role is provider)"
        in (caught.value.problems)
    )


def test_policy_pack_stays_green_with_monitoring(provider: Run, consumer: Run) -> None:
    assert mandatory(evaluate(provider.registrations, GATE["provider"])) == []
    assert mandatory(evaluate(consumer.registrations, GATE["consumer"])) == []
    import dataclasses

    topic = provider.one(TOPIC)
    weakened = [
        dataclasses.replace(r, inputs={**r.inputs, "kmsMasterKeyId": None}) if r is topic else r
        for r in provider.registrations
    ]
    assert {v.policy for v in mandatory(evaluate(weakened, GATE["provider"]))} == {
        "sns-topic-encrypted"
    }


# ---- connection notifications (xacct:connectionNotifications) -------------------------------

NOTIFICATION = "aws:ec2/vpcEndpointConnectionNotification:VpcEndpointConnectionNotification"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
KEY = "aws:kms/key:Key"


@pytest.fixture(scope="module")
def notifying() -> Run:
    return run_program(
        {**PROVIDER_CONFIG, "connectionNotifications": "true"}, stack_name="provider"
    )


def test_every_connection_request_is_published_to_the_alarm_topic(notifying: Run) -> None:
    notification = notifying.one(NOTIFICATION)
    service = notifying.one("aws:ec2/vpcEndpointService:VpcEndpointService")
    topic = notifying.one(TOPIC)
    assert notification.inputs["vpcEndpointServiceId"] == service.id
    assert notification.inputs["connectionNotificationArn"] == topic.outputs["arn"]
    assert sorted(notification.inputs["connectionEvents"]) == [
        "Accept",
        "Connect",
        "Delete",
        "Reject",
    ]
    # The topic's policy lets PrivateLink publish before the notification is created.
    policy = notifying.one(TOPIC_POLICY)
    assert policy.urn in notification.dependencies


def test_only_this_service_may_publish_and_the_owner_keeps_the_topic(notifying: Run) -> None:
    service = notifying.one("aws:ec2/vpcEndpointService:VpcEndpointService").outputs
    topic = notifying.one(TOPIC).outputs["arn"]
    policy = notifying.one(TOPIC_POLICY)
    assert policy.inputs["arn"] == topic
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["EndpointServiceNotifications"] == {
        "Sid": "EndpointServiceNotifications",
        "Effect": "Allow",
        "Principal": {"Service": "vpce.amazonaws.com"},
        "Action": "SNS:Publish",
        "Resource": topic,
        "Condition": {
            "StringEquals": {"aws:SourceAccount": "222222222222"},
            "ArnLike": {"aws:SourceArn": service["arn"]},
        },
    }
    # SNS's default statement (this account's principals), which a topic policy replaces.
    owner = statements["ThisAccountUsesTheTopic"]
    assert owner["Principal"] == {"AWS": "*"}
    assert owner["Condition"] == {"StringEquals": {"AWS:SourceOwner": "222222222222"}}
    assert "SNS:Publish" in owner["Action"] and owner["Resource"] == topic


def test_the_encrypted_topic_lets_privatelink_use_the_key_for_this_account(
    notifying: Run, provider: Run
) -> None:
    def vpce(run: Run) -> list[dict[str, Any]]:
        key = run.one(KEY, "logs-key")
        document = json.loads(key.inputs["policy"])
        return [
            s for s in document["Statement"] if s["Principal"] == {"Service": "vpce.amazonaws.com"}
        ]

    assert vpce(notifying) == [
        {
            "Sid": "EndpointServiceNotificationsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "vpce.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "222222222222"},
                "ArnLike": {
                    "aws:SourceArn": "arn:aws:ec2:us-east-1:222222222222:vpc-endpoint-service/*"
                },
            },
        }
    ]
    # Off by default: today's stacks keep their key policy, topic and no notification.
    assert vpce(provider) == []
    assert provider.of_type(NOTIFICATION, TOPIC_POLICY) == []


def test_notifications_need_the_alarm_topic() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in {
                    **PROVIDER_CONFIG,
                    "connectionNotifications": "true",
                    "monitoring": "false",
                }.items()
            }
        )
    assert caught.value.problems == [
        "xacct:connectionNotifications: true needs xacct:monitoring true: the notifications go "
        "to the alarm topic it creates"
    ]


def test_notifications_pass_the_gate(notifying: Run) -> None:
    assert mandatory(evaluate(notifying.registrations, GATE["provider"])) == []


def test_per_endpoint_graphs_keep_within_the_dashboard_limits() -> None:
    from components.aws_limits import DASHBOARD_METRICS_MAX, WIDGET_METRICS_MAX
    from components.monitoring import bytes_by_endpoint

    service = {"Service Id": "vpce-svc-1"}
    ids = [f"vpce-{i:017x}" for i in range(1200)]
    graphs = bytes_by_endpoint(service, ids)
    assert [len(g.metrics) for g in graphs] == [WIDGET_METRICS_MAX, WIDGET_METRICS_MAX, 200]
    assert [m[1]["VPC Endpoint Id"] for g in graphs for m in g.metrics] == ids
    assert graphs[2].title.endswith("(1001-1200)")
    # More endpoints than a dashboard can chart one by one: the service's total, one line.
    many = [f"vpce-{i:017x}" for i in range(DASHBOARD_METRICS_MAX)]
    (total,) = bytes_by_endpoint(service, many)
    assert total.metrics == [("BytesProcessed", service, "Sum")]
    assert f"all {DASHBOARD_METRICS_MAX}" in total.title
    assert bytes_by_endpoint(service, [])[0].metrics == [("BytesProcessed", service, "Sum")]
