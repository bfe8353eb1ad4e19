"""API Gateway: private, TLS-verified integrations; access and execution logs; TLS 1.2 custom
domains; X-Ray; encrypted caches; authorization on every method; method settings with a throttle
and a WAF on every REST stage."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import (
    PolicyResource,
)

from .core import (
    DOMAIN_NAME,
    INTEGRATION,
    INTEGRATION_V2,
    METHOD,
    METHOD_SETTINGS,
    REST_API,
    ROUTE_V2,
    STAGE,
    STAGE_V2,
    WAF_ASSOCIATION,
    A,
    Config,
    Finding,
    M,
    Props,
    _deps,
    _of,
    resource_rule,
    stack_rule,
)


@resource_rule(
    "apigw-private-integration",
    M,
    [INTEGRATION, INTEGRATION_V2],
    "arch",
    "HTTP integrations go over a VPC link, to an https:// URI, verifying TLS.",
)
def _apigw_private_integration(token: str, props: Props, _: Config) -> Iterator[Finding]:
    kind = str(props.get("type") or props.get("integrationType") or "")
    if kind not in ("HTTP", "HTTP_PROXY"):
        return
    if props.get("connectionType") != "VPC_LINK":
        yield Finding(
            "connectionType",
            props.get("connectionType"),
            "use connection_type VPC_LINK: the backend is private",
        )
    if not props.get("connectionId"):
        yield Finding("connectionId", props.get("connectionId"), "set the VPC link's id")
    uri = props.get("uri") if "uri" in props else props.get("integrationUri")
    if token == INTEGRATION and not str(uri or "").startswith("https://"):
        yield Finding(
            "uri", uri, "call the backend with https://<TLS server name>/ so TLS runs end to end"
        )
    tls = props.get("tlsConfig") or {}
    if token == INTEGRATION_V2 and not tls.get("serverNameToVerify"):
        # HTTP APIs: "If you specify a TLS configuration, private integration traffic uses
        # the HTTPS protocol" (apigatewayv2 TlsConfig); without one it is plain HTTP.
        yield Finding(
            "tlsConfig.serverNameToVerify",
            tls.get("serverNameToVerify"),
            "set tls_config.server_name_to_verify to the backend's TLS server name: without it "
            "the private integration speaks plain HTTP",
        )
    if tls.get("insecureSkipVerification") is True:
        yield Finding(
            "tlsConfig.insecureSkipVerification",
            True,
            "verify the backend's certificate (remove insecure_skip_verification)",
        )


@resource_rule(
    "apigw-access-logging",
    M,
    [STAGE, STAGE_V2],
    "APIGateway.9, CKV_AWS_76",
    "Stages write access logs.",
)
def _apigw_access_logging(token: str, props: Props, _: Config) -> Iterator[Finding]:
    settings = props.get("accessLogSettings") or {}
    if not settings.get("destinationArn"):
        yield Finding(
            "accessLogSettings.destinationArn",
            settings.get("destinationArn"),
            "send access logs to a log group",
        )


@resource_rule(
    "apigw-http-stage-throttle",
    M,
    [STAGE_V2],
    "APIGateway (throttling), the REST stages' apigw-stage-method-settings",
    "HTTP API stages throttle every route (positive rate and burst limits).",
)
def _apigw_http_stage_throttle(token: str, props: Props, _: Config) -> Iterator[Finding]:
    settings = props.get("defaultRouteSettings") or {}
    for key in ("throttlingRateLimit", "throttlingBurstLimit"):
        value = settings.get(key)
        if not isinstance(value, (int, float)) or value <= 0:
            yield Finding(
                f"defaultRouteSettings.{key}",
                value,
                "set a positive limit (xacct:throttleRateLimit / throttleBurstLimit): unset, "
                "the stage takes the account's whole quota",
            )


@resource_rule(
    "apigw-execution-logging",
    M,
    [METHOD_SETTINGS],
    "APIGateway.1, CKV2_AWS_4, CKV_AWS_276",
    "Execution logging is ERROR or INFO, without request/response bodies.",
)
def _apigw_execution_logging(token: str, props: Props, _: Config) -> Iterator[Finding]:
    settings = props.get("settings") or {}
    if settings.get("loggingLevel") not in ("ERROR", "INFO"):
        yield Finding("settings.loggingLevel", settings.get("loggingLevel"), "set ERROR or INFO")
    if settings.get("dataTraceEnabled") is True:
        yield Finding(
            "settings.dataTraceEnabled",
            True,
            "turn data tracing off: it logs request and response bodies",
        )


@resource_rule(
    "apigw-domain-tls",
    M,
    [DOMAIN_NAME, "aws:apigatewayv2/domainName:DomainName"],
    "CKV_AWS_206",
    "Custom domains accept TLS 1.2 or newer only.",
)
def _apigw_domain_tls(token: str, props: Props, _: Config) -> Iterator[Finding]:
    policy = props.get("securityPolicy")
    if token != DOMAIN_NAME:
        policy = (props.get("domainNameConfiguration") or {}).get("securityPolicy")
    if policy is None or str(policy) == "TLS_1_0":
        yield Finding("securityPolicy", policy, "use TLS_1_2 (or a TLS 1.3 policy)")


@resource_rule(
    "apigw-xray", A, [STAGE], "APIGateway.3, CKV_AWS_73", "REST API stages trace with X-Ray."
)
def _apigw_xray(token: str, props: Props, _: Config) -> Iterator[Finding]:
    if props.get("xrayTracingEnabled") is not True:
        yield Finding(
            "xrayTracingEnabled", props.get("xrayTracingEnabled"), "set xray_tracing_enabled=True"
        )


@resource_rule(
    "apigw-cache-encrypted",
    M,
    [METHOD_SETTINGS],
    "APIGateway.5, CKV_AWS_308",
    "A stage cache, when on, is encrypted.",
)
def _apigw_cache_encrypted(token: str, props: Props, _: Config) -> Iterator[Finding]:
    settings = props.get("settings") or {}
    if settings.get("cachingEnabled") is True and settings.get("cacheDataEncrypted") is not True:
        yield Finding(
            "settings.cacheDataEncrypted",
            settings.get("cacheDataEncrypted"),
            "encrypt cached responses (cache_data_encrypted=True)",
        )


@resource_rule(
    "apigw-authorization",
    M,
    [METHOD, ROUTE_V2],
    "APIGateway.8, CKV_AWS_59, CKV2_AWS_70",
    "Methods require authorization (IAM, an authorizer) or an API key.",
)
def _apigw_authorization(token: str, props: Props, _: Config) -> Iterator[Finding]:
    prop = "authorization" if "authorization" in props else "authorizationType"
    value = props.get(prop)
    if value in (None, "NONE") and props.get("apiKeyRequired") is not True:
        yield Finding(
            prop,
            value,
            "use AWS_IAM (xacct:apiAuthorization iam) or require an API "
            "key; NONE only with this rule's enforcement lowered on purpose",
        )


# ---- stack rules -------------------------------------------------------------------------


def _private(api: PolicyResource) -> bool:
    """A REST API of endpoint type PRIVATE (reachable only through execute-api endpoints)."""
    types = (api.props.get("endpointConfiguration") or {}).get("types")
    return (types if isinstance(types, str) else " ".join(types or [])) == "PRIVATE"


def _throttled(settings: PolicyResource) -> bool:
    """Both limits set and positive: -1 (or unset) lifts them to the account's."""
    values = settings.props.get("settings") or {}
    limits = [values.get("throttlingRateLimit"), values.get("throttlingBurstLimit")]
    return all(isinstance(v, (int, float)) and v > 0 for v in limits)


@stack_rule(
    "apigw-stage-method-settings",
    M,
    [STAGE, METHOD_SETTINGS],
    "APIGateway.1",
    "Every REST API stage has method settings for all methods (*/*): its execution logs and "
    "a throttle (positive rate and burst limits).",
)
def _apigw_stage_settings(
    resources: list[PolicyResource], _: Config
) -> Iterator[tuple[PolicyResource, str]]:
    covered = {
        id(stage)
        for settings in _of(resources, METHOD_SETTINGS)
        if settings.props.get("methodPath") == "*/*" and _throttled(settings)
        for stage in _deps(settings, "stageName")
    }
    for stage in _of(resources, STAGE):
        if id(stage) not in covered:
            yield (
                stage,
                (
                    f"{STAGE} '{stage.name}': no aws.apigateway.MethodSettings with method_path "
                    "*/* and positive throttling limits for it; set its logging level and "
                    "throttling"
                ),
            )


@stack_rule(
    "apigw-waf",
    A,
    [STAGE, WAF_ASSOCIATION, REST_API],
    "APIGateway.4, CKV2_AWS_29",
    "A WAF web ACL is associated with each public REST API stage (a private API's stages are "
    "reachable only through its VPC endpoints).",
)
def _apigw_waf(resources: list[PolicyResource], _: Config) -> Iterator[tuple[PolicyResource, str]]:
    protected = {id(s) for a in _of(resources, WAF_ASSOCIATION) for s in _deps(a, "resourceArn")}
    for stage in _of(resources, STAGE):
        apis = _deps(stage, "restApi")
        if apis and all(_private(api) for api in apis):
            continue
        if id(stage) not in protected:
            yield (
                stage,
                (
                    f"{STAGE} '{stage.name}': has no aws.wafv2.WebAclAssociation; associate a "
                    "regional web ACL with the stage"
                ),
            )
