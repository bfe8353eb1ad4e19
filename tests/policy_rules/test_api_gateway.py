"""The API Gateway rules (policy/rules/api_gateway.py)."""

from __future__ import annotations

from typing import Any

import pytest

from policy import rules
from tests.policy_rules.support import (
    Case,
    resource,
    uncovered,
    validate,
    validate_stack,
)

# (policy, token, props, config, expected messages); [] means the props pass.
CASES: list[Case] = [
    (
        "apigw-private-integration",
        rules.INTEGRATION_V2,
        {
            "integrationType": "HTTP_PROXY",
            "connectionType": "VPC_LINK",
            "connectionId": "abc",
            "integrationUri": "arn:aws:servicediscovery:us-east-1:1:service/srv-1",
            "tlsConfig": {"serverNameToVerify": "api.example.com"},
        },
        {},
        [],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION_V2,
        {
            "integrationType": "HTTP_PROXY",
            "connectionType": "VPC_LINK",
            "connectionId": "abc",
            "integrationUri": "arn:aws:servicediscovery:us-east-1:1:service/srv-1",
        },
        {},
        [
            "aws:apigatewayv2/integration:Integration 'r': tlsConfig.serverNameToVerify is not "
            "set; set tls_config.server_name_to_verify to the backend's TLS server name: without "
            "it the private integration speaks plain HTTP"
        ],
    ),
    (
        "apigw-http-stage-throttle",
        rules.STAGE_V2,
        {"defaultRouteSettings": {"throttlingRateLimit": 100, "throttlingBurstLimit": 200}},
        {},
        [],
    ),
    (
        "apigw-http-stage-throttle",
        rules.STAGE_V2,
        {"defaultRouteSettings": {"throttlingRateLimit": -1}},
        {},
        [
            "aws:apigatewayv2/stage:Stage 'r': defaultRouteSettings.throttlingRateLimit is -1; "
            "set a positive limit (xacct:throttleRateLimit / throttleBurstLimit): unset, the "
            "stage takes the account's whole quota",
            "aws:apigatewayv2/stage:Stage 'r': defaultRouteSettings.throttlingBurstLimit is not "
            "set; set a positive limit (xacct:throttleRateLimit / throttleBurstLimit): unset, the "
            "stage takes the account's whole quota",
        ],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION,
        {
            "type": "HTTP_PROXY",
            "connectionType": "VPC_LINK",
            "connectionId": "abc",
            "uri": "https://api.example.com/",
            "tlsConfig": {"insecureSkipVerification": False},
        },
        {},
        [],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION,
        {"type": "AWS_PROXY", "uri": "arn:lambda"},
        {},
        [],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION,
        {
            "type": "HTTP_PROXY",
            "connectionType": "INTERNET",
            "uri": "http://api.example.com/",
            "tlsConfig": {"insecureSkipVerification": True},
        },
        {},
        [
            "aws:apigateway/integration:Integration 'r': connectionType is 'INTERNET'; use "
            "connection_type VPC_LINK: the backend is private",
            "aws:apigateway/integration:Integration 'r': connectionId is not set; set the VPC link's "
            "id",
            "aws:apigateway/integration:Integration 'r': uri is 'http://api.example.com/'; call the "
            "backend with https://<TLS server name>/ so TLS runs end to end",
            "aws:apigateway/integration:Integration 'r': tlsConfig.insecureSkipVerification is True; "
            "verify the backend's certificate (remove insecure_skip_verification)",
        ],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION_V2,
        {
            "integrationType": "HTTP_PROXY",
            "connectionType": "VPC_LINK",
            "connectionId": "l",
            "integrationUri": "arn:aws:elasticloadbalancing:listener",
            "tlsConfig": {"serverNameToVerify": "api.example.com"},
        },
        {},
        [],
    ),
    (
        "apigw-access-logging",
        rules.STAGE,
        {"accessLogSettings": {"destinationArn": "arn:lg"}},
        {},
        [],
    ),
    (
        "apigw-access-logging",
        rules.STAGE_V2,
        {},
        {},
        [
            "aws:apigatewayv2/stage:Stage 'r': accessLogSettings.destinationArn is not set; send "
            "access logs to a log group"
        ],
    ),
    (
        "apigw-execution-logging",
        rules.METHOD_SETTINGS,
        {"settings": {"loggingLevel": "ERROR", "dataTraceEnabled": False}},
        {},
        [],
    ),
    (
        "apigw-execution-logging",
        rules.METHOD_SETTINGS,
        {"settings": {"loggingLevel": "OFF", "dataTraceEnabled": True}},
        {},
        [
            "aws:apigateway/methodSettings:MethodSettings 'r': settings.loggingLevel is 'OFF'; set "
            "ERROR or INFO",
            "aws:apigateway/methodSettings:MethodSettings 'r': settings.dataTraceEnabled is True; "
            "turn data tracing off: it logs request and response bodies",
        ],
    ),
    ("apigw-xray", rules.STAGE, {"xrayTracingEnabled": True}, {}, []),
    (
        "apigw-xray",
        rules.STAGE,
        {"xrayTracingEnabled": False},
        {},
        [
            "aws:apigateway/stage:Stage 'r': xrayTracingEnabled is False; set "
            "xray_tracing_enabled=True"
        ],
    ),
    (
        "apigw-cache-encrypted",
        rules.METHOD_SETTINGS,
        {"settings": {"cachingEnabled": True, "cacheDataEncrypted": True}},
        {},
        [],
    ),
    (
        "apigw-cache-encrypted",
        rules.METHOD_SETTINGS,
        {"settings": {"cachingEnabled": True}},
        {},
        [
            "aws:apigateway/methodSettings:MethodSettings 'r': settings.cacheDataEncrypted is not "
            "set; encrypt cached responses (cache_data_encrypted=True)"
        ],
    ),
    ("apigw-authorization", rules.METHOD, {"authorization": "AWS_IAM"}, {}, []),
    (
        "apigw-authorization",
        rules.METHOD,
        {"authorization": "NONE", "apiKeyRequired": True},
        {},
        [],
    ),
    (
        "apigw-authorization",
        rules.ROUTE_V2,
        {"authorizationType": "NONE"},
        {},
        [
            "aws:apigatewayv2/route:Route 'r': authorizationType is 'NONE'; use AWS_IAM "
            "(xacct:apiAuthorization iam) or require an API key; NONE only with this rule's "
            "enforcement lowered on purpose"
        ],
    ),
    ("apigw-domain-tls", rules.DOMAIN_NAME, {"securityPolicy": "TLS_1_2"}, {}, []),
    (
        "apigw-domain-tls",
        rules.DOMAIN_NAME,
        {"securityPolicy": "TLS_1_0"},
        {},
        [
            "aws:apigateway/domainName:DomainName 'r': securityPolicy is 'TLS_1_0'; use TLS_1_2 (or a TLS 1.3 policy)"
        ],
    ),
    (
        "apigw-domain-tls",
        rules.DOMAIN_NAME,
        {},
        {},
        [
            "aws:apigateway/domainName:DomainName 'r': securityPolicy is not set; use TLS_1_2 (or a TLS 1.3 policy)"
        ],
    ),
    (
        "apigw-domain-tls",
        "aws:apigatewayv2/domainName:DomainName",
        {"domainNameConfiguration": {"securityPolicy": "TLS_1_2"}},
        {},
        [],
    ),
    (
        "apigw-domain-tls",
        "aws:apigatewayv2/domainName:DomainName",
        {"domainNameConfiguration": {"securityPolicy": "TLS_1_0"}},
        {},
        [
            "aws:apigatewayv2/domainName:DomainName 'r': securityPolicy is 'TLS_1_0'; use TLS_1_2 (or a TLS 1.3 policy)"
        ],
    ),
]


@pytest.mark.parametrize(
    ("policy", "token", "props", "config", "expected"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_table(
    policy: str, token: str, props: dict[str, Any], config: dict[str, Any], expected: list[str]
) -> None:
    assert validate(policy, token, props, config) == expected


def test_stage_without_waf_is_caught() -> None:
    guarded, open_stage = resource(rules.STAGE, "a", {}), resource(rules.STAGE, "b", {})
    association = resource(rules.WAF_ASSOCIATION, "waf", {}, {"resourceArn": [guarded]})
    assert validate_stack("apigw-waf", [guarded, open_stage, association]) == [
        "aws:apigateway/stage:Stage 'b': has no aws.wafv2.WebAclAssociation; associate a "
        "regional web ACL with the stage"
    ]


def test_a_private_apis_stage_needs_no_waf_but_a_public_ones_does() -> None:
    private = resource(rules.REST_API, "p", {"endpointConfiguration": {"types": "PRIVATE"}})
    public = resource(rules.REST_API, "r", {"endpointConfiguration": {"types": "REGIONAL"}})
    inner = resource(rules.STAGE, "inner", {}, {"restApi": [private]})
    outer = resource(rules.STAGE, "outer", {}, {"restApi": [public]})
    assert validate_stack("apigw-waf", [private, public, inner, outer]) == [
        "aws:apigateway/stage:Stage 'outer': has no aws.wafv2.WebAclAssociation; associate a "
        "regional web ACL with the stage"
    ]


def test_stage_without_method_settings_for_every_method_is_caught() -> None:
    throttled = {"settings": {"throttlingRateLimit": 50, "throttlingBurstLimit": 100}}
    lifted = {"settings": {"throttlingRateLimit": -1, "throttlingBurstLimit": -1}}
    stages = [resource(rules.STAGE, f"v{i}", {"stageName": f"v{i}"}) for i in range(3)]
    settings = [
        resource(
            rules.METHOD_SETTINGS,
            f"v{i}-settings",
            {"methodPath": path, **limits},
            {"stageName": [stages[i]]},
        )
        for i, (path, limits) in enumerate(
            [("*/*", throttled), ("items/GET", throttled), ("*/*", lifted)]
        )
    ]
    assert validate_stack("apigw-stage-method-settings", [*stages, *settings]) == [
        f"aws:apigateway/stage:Stage 'v{i}': no aws.apigateway.MethodSettings with method_path "
        "*/* and positive throttling limits for it; set its logging level and throttling"
        for i in (1, 2)
    ]


def test_every_rule_here_has_a_passing_and_a_failing_case() -> None:
    assert uncovered(CASES, "api_gateway") == []
