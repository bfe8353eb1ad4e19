"""The HTTP API front (xacct:frontend http): HTTP API → VPC link v2 → the interface endpoint's
IPs, listed in AWS Cloud Map; no consumer NLB. What it builds, how the hops are wired, what it
keeps from the REST front (TLS verified against the provider's name, IAM on every route,
throttling, encrypted access logs, alarms) and what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import outputs as keys
from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG
from tests.support.program import Run, run_program
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, FakeAccount

PROVIDER_STACK = "organization/xacct/provider"
HTTP_API = "aws:apigatewayv2/api:Api"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
LINK = "aws:apigatewayv2/vpcLink:VpcLink"
NAMESPACE = "aws:servicediscovery/httpNamespace:HttpNamespace"
SERVICE = "aws:servicediscovery/service:Service"
INSTANCE = "aws:servicediscovery/instance:Instance"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


@pytest.fixture(scope="module")
def provider_exports() -> dict[str, Any]:
    return run_program(
        {**PROVIDER_CONFIG, "consumerAccountIds": [CONSUMER_ACCOUNT]}, stack_name="provider"
    ).exports


def http_front(provider_exports: dict[str, Any], **changes: Any) -> Run:
    return run_program(
        {**CONSUMER_CONFIG, "frontend": "http", **changes},
        account=FakeAccount(
            account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT])
        ),
        stacks={PROVIDER_STACK: provider_exports},
        stack_name="consumer",
    )


@pytest.fixture(scope="module")
def run(provider_exports: dict[str, Any]) -> Run:
    return http_front(provider_exports)


def test_there_is_no_consumer_nlb_and_no_rest_api(run: Run) -> None:
    assert not run.of_type(
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:apigateway/restApi:RestApi",
        "aws:apigateway/account:Account",
    )
    assert run.one(HTTP_API).inputs["protocolType"] == "HTTP"
    assert run.exports[keys.FRONTEND] == "http"
    assert run.exports[keys.CONSUMER_NLB_ARN] is None
    assert run.exports[keys.CLOUD_MAP_SERVICE_ARN] == run.one(SERVICE).outputs["arn"]


def test_cloud_map_lists_each_endpoint_ip_with_the_listener_port(
    run: Run, provider_exports: dict[str, Any]
) -> None:
    service = run.one(SERVICE)
    assert service.inputs["type"] == "HTTP"
    assert service.inputs["namespaceId"] == run.one(NAMESPACE).id
    instances = run.of_type(INSTANCE)
    port = str(provider_exports[keys.LISTENER_PORT])
    assert sorted(i.inputs["attributes"]["AWS_INSTANCE_IPV4"] for i in instances) == sorted(
        run.exports[keys.ENDPOINT_IPS]
    )
    assert {i.inputs["attributes"]["AWS_INSTANCE_PORT"] for i in instances} == {port}
    assert {i.inputs["serviceId"] for i in instances} == {service.id}
    # The endpoint's ENIs hold exactly these addresses.
    pinned = [c["ipv4"] for c in run.one(ENDPOINT).inputs["subnetConfigurations"]]
    assert sorted(pinned) == sorted(run.exports[keys.ENDPOINT_IPS])


def test_the_integration_goes_over_the_link_to_cloud_map_verifying_the_providers_name(
    run: Run, provider_exports: dict[str, Any]
) -> None:
    integration = run.one(INTEGRATION)
    assert integration.inputs["integrationType"] == "HTTP_PROXY"
    assert integration.inputs["connectionType"] == "VPC_LINK"
    assert integration.inputs["connectionId"] == run.one(LINK).id
    assert integration.inputs["integrationUri"] == run.one(SERVICE).outputs["arn"]
    assert integration.inputs["tlsConfig"] == {
        "serverNameToVerify": provider_exports[keys.TLS_SERVER_NAME]
    }
    # The backend sees the request's path, not the stage's name in front of it.
    assert integration.inputs["requestParameters"] == {"overwrite:path": "$request.path"}
    route = run.one(ROUTE)
    assert route.inputs["routeKey"] == "$default"
    assert route.inputs["target"] == f"integrations/{integration.id}"


def test_every_route_takes_iam_unless_none_is_chosen(
    run: Run, provider_exports: dict[str, Any]
) -> None:
    assert run.one(ROUTE).inputs["authorizationType"] == "AWS_IAM"
    assert http_front(provider_exports, apiAuthorization="none").one(ROUTE).inputs[
        "authorizationType"
    ] == ("NONE")


def test_the_stage_throttles_and_writes_encrypted_access_logs(run: Run) -> None:
    stage = run.one(STAGE)
    assert stage.inputs["name"] == CONSUMER_CONFIG.get("stageName", "v1")
    assert stage.inputs["autoDeploy"] is True
    assert stage.inputs["defaultRouteSettings"] == {
        "throttlingRateLimit": 100,
        "throttlingBurstLimit": 200,
        "detailedMetricsEnabled": True,
    }
    logs = run.one("aws:cloudwatch/logGroup:LogGroup", "http-access-logs")
    assert stage.inputs["accessLogSettings"]["destinationArn"] == logs.outputs["arn"]
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["requestId"]
    key = run.one("aws:kms/key:Key")
    assert logs.inputs["kmsKeyId"] == key.outputs["arn"]


def test_only_the_vpc_link_reaches_the_endpoint_on_the_listener_port(
    run: Run, provider_exports: dict[str, Any]
) -> None:
    port = provider_exports[keys.LISTENER_PORT]
    link = run.one(LINK)
    (link_sg_id,) = link.inputs["securityGroupIds"]
    endpoint_sg_id = run.one(ENDPOINT).inputs["securityGroupIds"][0]
    ingress = [r for r in run.of_type(INGRESS) if r.inputs["securityGroupId"] == endpoint_sg_id]
    assert [
        (r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"])
        for r in ingress
    ] == [(link_sg_id, port, port)]
    egress = [r for r in run.of_type(EGRESS) if r.inputs["securityGroupId"] == link_sg_id]
    assert [(r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"]) for r in egress] == [
        (endpoint_sg_id, port)
    ]
    endpoint_sg = next(r for r in run.of_type(SG) if r.id == endpoint_sg_id)
    assert endpoint_sg.inputs["description"].endswith("listener port from the VPC link")
    assert sorted(link.inputs["subnetIds"]) == sorted(
        r.id for r in run.of_type("aws:ec2/subnet:Subnet")
    )


def test_alarms_watch_the_http_apis_own_metrics_and_no_nlb(run: Run) -> None:
    alarms = {
        r.name.rsplit("-watch-", 1)[1]: r
        for r in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    api = {"ApiId": run.one(HTTP_API).id, "Stage": "v1"}
    latency = alarms["api-latency-p99"].inputs
    assert (latency["namespace"], latency["metricName"], latency["dimensions"]) == (
        "AWS/ApiGateway",
        "Latency",
        api,
    )
    # An HTTP API's 5xx and 4xx are counts (AWS documents no rate for their Average): the
    # alarm divides them by Count in metric math, 0 when there were no requests.
    for key, metric in (("api-5xx-rate", "5xx"), ("api-4xx-rate", "4xx")):
        alarm = alarms[key].inputs
        assert "metricName" not in alarm and "namespace" not in alarm
        errors, requests, rate = alarm["metricQueries"]
        assert errors["metric"] == {
            "namespace": "AWS/ApiGateway",
            "metricName": metric,
            "dimensions": api,
            "period": 300,
            "stat": "Sum",
        }
        assert requests["metric"]["metricName"] == "Count"
        assert rate["expression"] == "IF(requests > 0, errors / requests, 0)"
        assert [q["returnData"] for q in (errors, requests, rate)] == [False, False, True]
    assert alarms["api-5xx-rate"].inputs["threshold"] == 0.05
    assert not any(a.inputs.get("namespace") == "AWS/NetworkELB" for a in alarms.values())
    assert (
        "AWS/NetworkELB"
        not in run.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"]
    )
