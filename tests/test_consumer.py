"""The consumer stack on recording mocks, fed by the provider program's own exports: the round
trip, the wiring of endpoint → NLB → VPC link → API, security groups, logging, auth variants,
and the faults a user meets (provider missing, AZs that do not overlap, another region)."""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest

from components import outputs as keys
from components.api import ACCESS_LOG_FORMAT
from components.consumer import parse_provider_outputs
from components.network import PlacementError
from components.stack_link import StackLinkError
from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG, ROOT
from tests.support.program import Run, run_program
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, FakeAccount, Registration

PROVIDER_STACK = "organization/xacct/provider"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
NLB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
TG_ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
INTEGRATION = "aws:apigateway/integration:Integration"
METHOD = "aws:apigateway/method:Method"
STAGE = "aws:apigateway/stage:Stage"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LINK_V2 = "aws:apigatewayv2/vpcLink:VpcLink"
LINK_V1 = "aws:apigateway/vpcLink:VpcLink"


def consumer_account(**changes: Any) -> FakeAccount:
    return FakeAccount(
        account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT]), **changes
    )


@pytest.fixture(scope="module")
def provider_exports() -> dict[str, Any]:
    return run_program(PROVIDER_CONFIG, stack_name="provider").exports


def consumer_run(
    provider_exports: dict[str, Any], account: FakeAccount | None = None, **changes: Any
) -> Run:
    config = {k: v for k, v in {**CONSUMER_CONFIG, **changes}.items() if v is not None}
    return run_program(
        config,
        account=account or consumer_account(),
        stacks={PROVIDER_STACK: provider_exports},
        stack_name="consumer",
    )


@pytest.fixture(scope="module")
def run(provider_exports: dict[str, Any]) -> Run:
    return consumer_run(provider_exports)


def subnets(run: Run) -> list[Registration]:
    return sorted(run.of_type("aws:ec2/subnet:Subnet"), key=lambda r: r.name)


# ---- the round trip ----------------------------------------------------------------------


def test_consumer_reads_exactly_keys_the_provider_writes(provider_exports: dict[str, Any]) -> None:
    assert set(keys.PROVIDER_KEYS_READ_BY_CONSUMER) <= set(provider_exports)
    assert set(provider_exports) == {*keys.PROVIDER_KEYS, *keys.MONITORING_KEYS}


def test_endpoint_connects_to_the_provider_service_name(
    run: Run, provider_exports: dict[str, Any]
) -> None:
    endpoint = run.one(ENDPOINT).inputs
    assert endpoint["serviceName"] == provider_exports[keys.ENDPOINT_SERVICE_NAME]
    assert endpoint["vpcEndpointType"] == "Interface"
    assert endpoint["privateDnsEnabled"] is False
    ref = run.one("pulumi:pulumi:StackReference")
    assert ref.inputs["name"] == PROVIDER_STACK


def test_endpoint_subnets_are_in_the_services_az_ids_not_names(run: Run) -> None:
    # The provider's service is in use1-az1/use1-az2 (its us-east-1a/b); in the consumer
    # account those are us-east-1c/d. Subnets are placed by ID.
    assert [s.inputs["availabilityZoneId"] for s in subnets(run)] == ["use1-az1", "use1-az2"]


def test_exports_are_the_shared_keys(run: Run) -> None:
    e = run.exports
    assert set(e) == {*keys.CONSUMER_KEYS, *keys.MONITORING_KEYS}
    assert e[keys.INTERFACE_ENDPOINT_ID] == run.one(ENDPOINT).id
    # Its state would be stale the moment the provider accepts it: verify reads it live.
    assert "interfaceEndpointState" not in e
    assert e[keys.CONSUMER_ACCOUNT_ID] == CONSUMER_ACCOUNT
    assert e[keys.INVOKE_URL] == run.one(STAGE).outputs["invokeUrl"]
    assert e[keys.VPC_LINK_ID] == run.one(LINK_V2).id
    assert e[keys.CONSUMER_NLB_ARN] == run.one(NLB).outputs["arn"]
    assert e[keys.ENDPOINT_IPS] == ["10.0.0.10", "10.0.16.10"]


# ---- endpoint and NLB --------------------------------------------------------------------


def test_endpoint_ips_are_pinned_per_subnet_and_are_the_nlb_targets(run: Run) -> None:
    configs = run.one(ENDPOINT).inputs["subnetConfigurations"]
    assert configs == [
        {"subnetId": subnets(run)[0].id, "ipv4": "10.0.0.10"},
        {"subnetId": subnets(run)[1].id, "ipv4": "10.0.16.10"},
    ]
    tg = run.one(TG)
    assert tg.inputs["targetType"] == "ip" and tg.inputs["protocol"] == "TCP"
    assert tg.inputs["port"] == 443
    attachments = run.of_type("aws:lb/targetGroupAttachment:TargetGroupAttachment")
    assert sorted((a.inputs["targetId"], a.inputs["port"]) for a in attachments) == [
        ("10.0.0.10", 443),
        ("10.0.16.10", 443),
    ]
    assert all(a.inputs["targetGroupArn"] == tg.outputs["arn"] for a in attachments)
    # The endpoint comes first: its ENIs take the pinned IPs before any other ENI in those
    # subnets (the NLB's, the VPC link's) can, and the IPs exist before they become targets.
    endpoint = run.one(ENDPOINT).urn
    assert all(endpoint in a.dependencies for a in attachments)
    assert endpoint in run.one(NLB).dependencies
    assert endpoint in run.one(LINK_V2).dependencies


def test_host_number_moves_the_pinned_ips(provider_exports: dict[str, Any]) -> None:
    run = consumer_run(provider_exports, endpointHostNumber="200")
    assert run.exports[keys.ENDPOINT_IPS] == ["10.0.0.200", "10.0.16.200"]


def test_host_number_outside_a_small_subnet_is_refused(provider_exports: dict[str, Any]) -> None:
    with pytest.raises(
        PlacementError,
        match=r"xacct:endpointHostNumber: 20 does not fit subnet "
        r"10\.0\.0\.0/28 \(use1-az1\): expected 4 to 14",
    ):
        consumer_run(provider_exports, vpcCidr="10.0.0.0/24", endpointHostNumber="20")


def test_consumer_nlb_is_internal_tcp_passthrough_on_the_listener_port(run: Run) -> None:
    nlb = run.one(NLB).inputs
    assert nlb["internal"] is True and nlb["loadBalancerType"] == "network"
    assert nlb["subnets"] == [s.id for s in subnets(run)]
    assert nlb["enableCrossZoneLoadBalancing"] is True
    listener = run.one("aws:lb/listener:Listener").inputs
    assert listener["protocol"] == "TCP" and listener["port"] == 443
    assert listener["loadBalancerArn"] == run.one(NLB).outputs["arn"]
    assert listener["defaultActions"][0]["targetGroupArn"] == run.one(TG).outputs["arn"]


def test_security_groups_chain_link_to_nlb_to_endpoint_on_the_port_only(run: Run) -> None:
    endpoint_sg = run.one(SG, "pl-endpoint")
    nlb_sg = run.one(SG, "lb-nlb")
    link_sg = run.one(SG, "vpc-link")
    assert run.one(ENDPOINT).inputs["securityGroupIds"] == [endpoint_sg.id]
    assert run.one(NLB).inputs["securityGroups"] == [nlb_sg.id]
    assert run.one(LINK_V2).inputs["securityGroupIds"] == [link_sg.id]
    ingress = {
        (
            r.inputs["securityGroupId"],
            r.inputs["referencedSecurityGroupId"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
        )
        for r in run.of_type(INGRESS)
    }
    assert ingress == {(endpoint_sg.id, nlb_sg.id, 443, 443), (nlb_sg.id, link_sg.id, 443, 443)}
    egress = {
        (r.inputs["securityGroupId"], r.inputs["referencedSecurityGroupId"])
        for r in run.of_type(EGRESS)
    }
    assert egress == {(nlb_sg.id, endpoint_sg.id), (link_sg.id, nlb_sg.id)}
    for rule in run.of_type(INGRESS, EGRESS):
        assert "cidrIpv4" not in rule.inputs and rule.inputs["ipProtocol"] == "tcp"
        assert rule.inputs["description"]


def test_consumer_network_has_no_internet_path(run: Run) -> None:
    assert not run.of_type(
        "aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway"
    )
    assert run.one("aws:ec2/flowLog:FlowLog").inputs["vpcId"] == run.one("aws:ec2/vpc:Vpc").id


# ---- VPC link and API --------------------------------------------------------------------


def test_integrations_go_over_the_vpc_link_to_the_nlb_with_verified_tls(run: Run) -> None:
    link = run.one(LINK_V2)
    assert link.inputs["subnetIds"] == [s.id for s in subnets(run)]
    integrations = {r.name: r.inputs for r in run.of_type(INTEGRATION)}
    assert set(integrations) == {"xacct-api-root-backend", "xacct-api-proxy-backend"}
    for integration in integrations.values():
        assert integration["connectionType"] == "VPC_LINK"
        assert integration["connectionId"] == link.id
        assert integration["integrationTarget"] == run.one(NLB).outputs["arn"]
        assert integration["type"] == "HTTP_PROXY"
        assert integration["tlsConfig"] == {"insecureSkipVerification": False}
    assert integrations["xacct-api-root-backend"]["uri"] == "https://api.provider.example.com:443/"
    proxy = integrations["xacct-api-proxy-backend"]
    assert proxy["uri"] == "https://api.provider.example.com:443/{proxy}"
    assert proxy["requestParameters"] == {
        "integration.request.path.proxy": "method.request.path.proxy"
    }


def test_tls_server_name_and_port_come_from_the_provider(provider_exports: dict[str, Any]) -> None:
    exports = {
        **provider_exports,
        keys.TLS_SERVER_NAME: "svc.b.example.org",
        keys.LISTENER_PORT: 8443,
    }
    run = consumer_run(exports)
    uris = {r.inputs["uri"] for r in run.of_type(INTEGRATION)}
    assert uris == {"https://svc.b.example.org:8443/", "https://svc.b.example.org:8443/{proxy}"}
    assert run.one(TG).inputs["port"] == 8443


def test_vpc_link_v1_targets_the_nlb_through_privatelink(provider_exports: dict[str, Any]) -> None:
    run = consumer_run(provider_exports, vpcLinkVersion="v1")
    link = run.one(LINK_V1)
    assert link.inputs["targetArn"] == run.one(NLB).outputs["arn"]
    assert not run.of_type(LINK_V2)
    nlb = run.one(NLB).inputs
    assert nlb["enforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] == "off"
    nlb_sg = run.one(SG, "lb-nlb").id
    assert not [r for r in run.of_type(INGRESS) if r.inputs["securityGroupId"] == nlb_sg]
    for integration in run.of_type(INTEGRATION):
        assert integration.inputs["connectionId"] == link.id
        assert "integrationTarget" not in integration.inputs


def test_routes_require_iam_auth_by_default(run: Run) -> None:
    methods = run.of_type(METHOD)
    assert len(methods) == 2
    assert all(m.inputs["authorization"] == "AWS_IAM" for m in methods)
    assert not run.of_type("aws:apigateway/apiKey:ApiKey")


def test_api_key_mode_adds_a_usage_plan(provider_exports: dict[str, Any]) -> None:
    run = consumer_run(provider_exports, apiAuthorization="api-key")
    assert all(m.inputs["apiKeyRequired"] is True for m in run.of_type(METHOD))
    plan = run.one("aws:apigateway/usagePlan:UsagePlan").inputs
    assert plan["apiStages"] == [
        {"apiId": run.one("aws:apigateway/restApi:RestApi").id, "stage": "v1"}
    ]
    key = run.one("aws:apigateway/apiKey:ApiKey")
    assert run.one("aws:apigateway/usagePlanKey:UsagePlanKey").inputs["keyId"] == key.id


def test_no_auth_is_an_explicit_choice(provider_exports: dict[str, Any]) -> None:
    run = consumer_run(provider_exports, apiAuthorization="none")
    assert {
        (m.inputs["authorization"], m.inputs["apiKeyRequired"]) for m in run.of_type(METHOD)
    } == {("NONE", False)}


def test_stage_logs_traces_and_throttles(run: Run) -> None:
    stage = run.one(STAGE).inputs
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "access-logs")
    assert stage["accessLogSettings"] == {
        "destinationArn": group.outputs["arn"],
        "format": ACCESS_LOG_FORMAT,
    }
    assert json.loads(ACCESS_LOG_FORMAT)["requestId"] == "$context.requestId"
    assert stage["xrayTracingEnabled"] is True
    assert stage["deployment"] == run.one("aws:apigateway/deployment:Deployment").id
    assert group.inputs["retentionInDays"] == 365
    settings = run.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert settings["loggingLevel"] == "INFO" and settings["dataTraceEnabled"] is False
    assert settings["throttlingRateLimit"] == 100 and settings["throttlingBurstLimit"] == 200
    assert settings["cachingEnabled"] is False


def test_api_gateway_account_role_can_only_push_logs(run: Run) -> None:
    account = run.one("aws:apigateway/account:Account")
    role = run.one("aws:iam/role:Role", "cloudwatch")
    assert account.inputs["cloudwatchRoleArn"] == role.outputs["arn"]
    attachment = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "cloudwatch")
    assert attachment.inputs["policyArn"].endswith(
        "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    )
    assert account.urn in run.one(STAGE).dependencies


def test_execution_log_group_exists_before_the_stage_logs(run: Run) -> None:
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "execution-logs")
    api = run.one("aws:apigateway/restApi:RestApi")
    assert group.inputs["name"] == f"API-Gateway-Execution-Logs_{api.id}/v1"
    assert group.inputs["retentionInDays"] == 365
    assert group.urn in run.one(STAGE).dependencies


def test_destroy_leaves_the_regions_api_gateway_logging_in_place(run: Run) -> None:
    # One setting per account and region, shared by every API there: deleting it would reset
    # it for all of them.
    kept = {r.type for r in run.registrations if r.retain_on_delete}
    assert kept == {
        "aws:apigateway/account:Account",
        "aws:iam/role:Role",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    }
    role = run.one("aws:iam/role:Role", "cloudwatch")
    assert run.exports[keys.RETAINED_ON_DESTROY] == [
        f"IAM role {role.outputs['name']} (API Gateway logging)"
    ]


def test_account_role_is_optional(provider_exports: dict[str, Any]) -> None:
    run = consumer_run(provider_exports, manageApiGatewayAccount="false")
    assert not run.of_type("aws:apigateway/account:Account")
    assert run.exports[keys.RETAINED_ON_DESTROY] == []


def test_deployment_waits_for_the_integrations(run: Run) -> None:
    deployment = run.one("aws:apigateway/deployment:Deployment")
    for integration in run.of_type(INTEGRATION):
        assert integration.urn in deployment.dependencies
    assert len(deployment.inputs["triggers"]["routes"]) == 64


# ---- faults ------------------------------------------------------------------------------


def test_unknown_provider_stack_fails_the_run() -> None:
    with pytest.raises(Exception, match=r"unknown stack 'organization/xacct/provider'"):
        run_program(CONSUMER_CONFIG, account=consumer_account(), stacks={})


def test_provider_stack_never_deployed_says_deploy_it_first() -> None:
    seen: list[Registration] = []
    with pytest.raises(StackLinkError) as caught:
        run_program(
            CONSUMER_CONFIG,
            account=consumer_account(),
            stacks={PROVIDER_STACK: {}},
            registrations=seen,
        )
    message = str(caught.value)
    assert f"stack {PROVIDER_STACK!r} has no output 'endpointServiceName', " in message
    assert "deploy the provider first (`pulumi up -s <provider stack>` in account B)" in message
    assert [r.type for r in seen] == ["pulumi:pulumi:StackReference"]


def test_a_secret_provider_output_is_refused_not_read_in_plain_text(
    provider_exports: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pulumi

    from components import stack_link

    real = pulumi.runtime.invoke_async

    async def marking_secret(token: str, args: dict[str, Any], *rest: Any, **kw: Any) -> Any:
        value = await real(token, args, *rest, **kw)
        if token == stack_link.READ_STACK_OUTPUTS:
            value["secretOutputNames"] = [keys.TLS_SERVER_NAME]
        return value

    monkeypatch.setattr(stack_link.pulumi.runtime, "invoke_async", marking_secret)
    with pytest.raises(StackLinkError) as caught:
        consumer_run(provider_exports)
    assert str(caught.value) == (
        f"stack {PROVIDER_STACK!r} exports 'tlsServerName' as a secret: this program reads it "
        "as a plain value, so it must not be one"
    )


def test_provider_without_an_expected_output_is_named(provider_exports: dict[str, Any]) -> None:
    partial = {k: v for k, v in provider_exports.items() if k != keys.SERVICE_AZ_IDS}
    with pytest.raises(
        StackLinkError,
        match=r"has no output 'serviceAvailabilityZoneIds': "
        r"deploy the provider first",
    ):
        consumer_run(partial)


def test_malformed_provider_outputs_are_named(provider_exports: dict[str, Any]) -> None:
    bad = {**provider_exports, keys.ENDPOINT_SERVICE_NAME: "my-service", keys.LISTENER_PORT: 0}
    with pytest.raises(StackLinkError) as caught:
        parse_provider_outputs(PROVIDER_STACK, bad)
    assert "endpointServiceName='my-service' is not an endpoint service name" in str(caught.value)
    assert "listenerPort=0 is not a TCP port" in str(caught.value)


def test_no_common_az_id_lists_both_sides(provider_exports: dict[str, Any]) -> None:
    exports = {**provider_exports, keys.SERVICE_AZ_IDS: ["use1-az3", "use1-az5"]}
    with pytest.raises(PlacementError) as caught:
        consumer_run(exports)
    assert str(caught.value) == (
        "no availability zone in common: the provider's endpoint service "
        f"{provider_exports[keys.ENDPOINT_SERVICE_NAME]} and VPC link v2 (not offered in "
        "use1-az3; xacct:vpcLinkVersion v1 has no such limit) is available in ['use1-az5'], "
        "this account's region us-east-1 has ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az6']. "
        "Deploy in the same region, or have the provider add subnets in one of this account's "
        "AZ IDs."
    )


def test_vpc_link_v2_keeps_out_of_the_zones_it_is_not_offered_in(
    provider_exports: dict[str, Any],
) -> None:
    exports = {**provider_exports, keys.SERVICE_AZ_IDS: ["use1-az3", "use1-az1", "use1-az2"]}
    account = FakeAccount(
        account_id=CONSUMER_ACCOUNT,
        azs={"use1-az3": "us-east-1e", **AZS_BY_ACCOUNT[CONSUMER_ACCOUNT]},
    )
    v2 = consumer_run(exports, account)
    assert [s.inputs["availabilityZoneId"] for s in subnets(v2)] == ["use1-az1", "use1-az2"]
    v1 = consumer_run(exports, account, vpcLinkVersion="v1")
    assert [s.inputs["availabilityZoneId"] for s in subnets(v1)] == ["use1-az1", "use1-az3"]


def test_a_provider_in_this_account_needs_another_name(provider_exports: dict[str, Any]) -> None:
    same_account = {**provider_exports, keys.PROVIDER_ACCOUNT_ID: CONSUMER_ACCOUNT}
    with pytest.raises(StackLinkError) as caught:
        consumer_run(same_account)
    assert str(caught.value) == (
        "provider stack 'organization/xacct/provider' is in this account (111111111111) with "
        "the same xacct:name 'xacct': their KMS alias, flow-log group and dashboard would have "
        "the same names; set another xacct:name on this stack"
    )
    assert consumer_run(same_account, name="team-a").exports[keys.CONSUMER_ACCOUNT_ID] == (
        CONSUMER_ACCOUNT
    )


def test_only_overlapping_existing_subnets_are_used(provider_exports: dict[str, Any]) -> None:
    account = consumer_account(
        subnets={
            "subnet-0aaa1111bbbb2222c": {
                "vpc_id": "vpc-0c0c0c0c0c0c0c0c0",
                "az_id": "use1-az4",
                "cidr": "10.50.0.0/24",
            },
            "subnet-0ddd3333eeee4444f": {
                "vpc_id": "vpc-0c0c0c0c0c0c0c0c0",
                "az_id": "use1-az2",
                "cidr": "10.50.1.0/24",
            },
            "subnet-0fff5555aaaa6666b": {
                "vpc_id": "vpc-0c0c0c0c0c0c0c0c0",
                "az_id": "use1-az1",
                "cidr": "10.50.2.0/24",
            },
        },
        vpcs={"vpc-0c0c0c0c0c0c0c0c0": "10.50.0.0/16"},
    )
    run = consumer_run(
        provider_exports,
        account,
        existingVpcId="vpc-0c0c0c0c0c0c0c0c0",
        existingSubnetIds=[
            "subnet-0aaa1111bbbb2222c",
            "subnet-0ddd3333eeee4444f",
            "subnet-0fff5555aaaa6666b",
        ],
    )
    assert not run.of_type("aws:ec2/vpc:Vpc")
    endpoint = run.one(ENDPOINT).inputs
    assert endpoint["subnetIds"] == ["subnet-0ddd3333eeee4444f", "subnet-0fff5555aaaa6666b"]
    assert run.exports[keys.ENDPOINT_IPS] == ["10.50.1.10", "10.50.2.10"]


def test_existing_subnets_without_overlap_are_refused(provider_exports: dict[str, Any]) -> None:
    account = consumer_account(
        subnets={
            "subnet-0aaa1111bbbb2222c": {
                "vpc_id": "vpc-0c0c0c0c0c0c0c0c0",
                "az_id": "use1-az4",
                "cidr": "10.50.0.0/24",
            },
            "subnet-0ddd3333eeee4444f": {
                "vpc_id": "vpc-0c0c0c0c0c0c0c0c0",
                "az_id": "use1-az6",
                "cidr": "10.50.1.0/24",
            },
        },
        vpcs={"vpc-0c0c0c0c0c0c0c0c0": "10.50.0.0/16"},
    )
    with pytest.raises(PlacementError) as caught:
        consumer_run(
            provider_exports,
            account,
            existingVpcId="vpc-0c0c0c0c0c0c0c0c0",
            existingSubnetIds=["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"],
        )
    message = str(caught.value)
    assert "Subnets are in ['use1-az4', 'use1-az6']" in message
    assert "is available in ['use1-az1', 'use1-az2']" in message


def existing_consumer_vpc() -> tuple[FakeAccount, dict[str, Any]]:
    account = consumer_account(
        subnets={
            "subnet-0ddd3333eeee4444f": {
                "vpc_id": "vpc-0c0c0c0c0c0c0c0c0",
                "az_id": "use1-az2",
                "cidr": "10.50.1.0/24",
            },
            "subnet-0fff5555aaaa6666b": {
                "vpc_id": "vpc-0c0c0c0c0c0c0c0c0",
                "az_id": "use1-az1",
                "cidr": "10.50.2.0/24",
            },
        },
        vpcs={"vpc-0c0c0c0c0c0c0c0c0": "10.50.0.0/16"},
    )
    config = {
        "existingVpcId": "vpc-0c0c0c0c0c0c0c0c0",
        "existingSubnetIds": ["subnet-0ddd3333eeee4444f", "subnet-0fff5555aaaa6666b"],
    }
    return account, config


def test_explicit_endpoint_ips_are_pinned_in_their_subnets(
    provider_exports: dict[str, Any],
) -> None:
    account, config = existing_consumer_vpc()
    run = consumer_run(
        provider_exports, account, **config, endpointIps=["10.50.2.77", "10.50.1.200"]
    )
    assert run.one(ENDPOINT).inputs["subnetConfigurations"] == [
        {"subnetId": "subnet-0ddd3333eeee4444f", "ipv4": "10.50.1.200"},
        {"subnetId": "subnet-0fff5555aaaa6666b", "ipv4": "10.50.2.77"},
    ]
    targets = {a.inputs["targetId"] for a in run.of_type(TG_ATTACHMENT)}
    assert targets == {"10.50.1.200", "10.50.2.77"}


BAD_IPS = [
    (
        ["10.50.1.20", "10.50.9.20"],
        "xacct:endpointIps: 10.50.9.20 is in none of the endpoint's subnets; no address for "
        "subnet subnet-0fff5555aaaa6666b (10.50.2.0/24). Give one free address in each subnet "
        "the endpoint uses (subnet-0ddd3333eeee4444f 10.50.1.0/24, subnet-0fff5555aaaa6666b "
        "10.50.2.0/24).",
    ),
    (
        ["10.50.1.3", "10.50.2.255"],
        "xacct:endpointIps: 10.50.1.3 is one AWS reserves in 10.50.1.0/24 (the first four and "
        "the last); 10.50.2.255 is one AWS reserves in 10.50.2.0/24 (the first four and the "
        "last). Give one free address in each subnet the endpoint uses "
        "(subnet-0ddd3333eeee4444f 10.50.1.0/24, subnet-0fff5555aaaa6666b 10.50.2.0/24).",
    ),
    (
        ["10.50.1.20", "10.50.1.21", "10.50.2.20"],
        "xacct:endpointIps: 10.50.1.20 and 10.50.1.21 are both in 10.50.1.0/24: one per subnet. "
        "Give one free address in each subnet the endpoint uses (subnet-0ddd3333eeee4444f "
        "10.50.1.0/24, subnet-0fff5555aaaa6666b 10.50.2.0/24).",
    ),
]


@pytest.mark.parametrize(("ips", "expected"), BAD_IPS)
def test_endpoint_ips_outside_their_subnets_are_refused(
    provider_exports: dict[str, Any], ips: list[str], expected: str
) -> None:
    account, config = existing_consumer_vpc()
    seen: list[Any] = []
    with pytest.raises(PlacementError) as caught:
        run_program(
            {**CONSUMER_CONFIG, **config, "endpointIps": ips},
            account=account,
            stacks={PROVIDER_STACK: provider_exports},
            stack_name="consumer",
            registrations=seen,
        )
    assert str(caught.value) == expected
    assert [r.type for r in seen] == ["pulumi:pulumi:StackReference"]


def test_a_region_the_provider_does_not_offer_is_refused(provider_exports: dict[str, Any]) -> None:
    # tests/test_cross_region.py: the regions a provider does offer.
    with pytest.raises(
        StackLinkError,
        match=r"is in us-east-1 and offers its service to us-east-1, not to eu-west-1",
    ):
        consumer_run(provider_exports, consumer_account(region="eu-west-1"))


def test_every_resource_but_the_reference_sits_under_the_consumer(run: Run) -> None:
    top = run.one("xacct:consumer:ConsumerSide")
    assert [r.type for r in run.outside(top)] == ["pulumi:pulumi:StackReference"]


def test_components_use_only_the_public_pulumi_api() -> None:
    # Private SDK functions (pulumi.runtime.sync_await._sync_await, ...) change without notice;
    # the stack link reads outputs through pulumi.runtime.invoke_async instead.
    for path in sorted((ROOT / "components").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pulumi"):
                module_parts = (node.module or "").split(".")
                names = [alias.name for alias in node.names]
                private = [p for p in [*module_parts, *names] if p.startswith("_")]
                assert not private and node.module != "pulumi.runtime.sync_await", (
                    f"{path.name}: from {node.module} import {', '.join(names)}"
                )
