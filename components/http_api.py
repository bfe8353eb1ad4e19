"""HttpApi: the HTTP API front in account A (xacct:frontend http), the request's first hop when
there is no consumer NLB. Every request goes over the VPC link v2 (components/vpc_link.py
`EndpointVpcLink`) to one of the interface endpoint's IPs, which AWS Cloud Map lists
(components/service_map.py), then over PrivateLink to the provider.

- TLS to the provider, verified: "If you specify a TLS configuration, private integration
  traffic uses the HTTPS protocol"; "If you specify a server name, API Gateway uses it to verify
  the hostname on the integration's certificate. The server name is also included in the TLS
  handshake" (apigatewayv2 API reference, TlsConfig). Without it the integration speaks plain
  HTTP, so the server name is always set (and the policy pack refuses an integration without it).
- The path: "For private integrations, API Gateway includes the stage portion of the API
  endpoint in the request to your backend resources ... use parameter mapping to overwrite the
  request path to $request.path" (developer guide, "Create private integrations for HTTP
  APIs"), so the backend sees the same path as behind the REST front.
- One `$default` route, AWS_IAM (SigV4) unless xacct:apiAuthorization none; the stage deploys
  itself, throttles, writes JSON access logs to a KMS-encrypted log group and detailed metrics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.api import access_log_group
from components.settings import ApiAuthorization

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.caller",
        "user": "$context.identity.user",
        "userArn": "$context.identity.userArn",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationStatus": "$context.integration.status",
        "integrationLatency": "$context.integration.latency",
        "integrationError": "$context.integration.error",
    },
    separators=(",", ":"),
)
AUTHORIZATION = {"iam": "AWS_IAM", "none": "NONE"}


@dataclass(frozen=True, kw_only=True)
class HttpApiArgs:
    server_name: str
    """The provider's TLS server name, verified on every connection."""
    authorization: ApiAuthorization
    vpc_link_id: pulumi.Input[str]
    directory_service_arn: pulumi.Input[str]
    """The Cloud Map service listing the endpoint's IPs."""
    stage_name: str
    throttle_rate_limit: int
    throttle_burst_limit: int
    log_retention_days: int
    log_kms_key_arn: pulumi.Input[str]
    disable_execute_api_endpoint: bool = False
    """Only the custom domain answers (xacct:disableExecuteApiEndpoint)."""
    tags: dict[str, str] | None = None


class HttpApi(pulumi.ComponentResource):
    invoke_url: pulumi.Output[str]
    """https://<api>.execute-api.<region>.amazonaws.com/<stage>"""
    api_id: pulumi.Output[str]
    """The HTTP API id (the ApiId dimension of its CloudWatch metrics)."""
    stage_name: pulumi.Output[str]
    """The Stage dimension."""

    def __init__(
        self, name: str, args: HttpApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:HttpApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}
        api = aws.apigatewayv2.Api(
            f"{name}-api",
            name=f"{name}-api",
            protocol_type="HTTP",
            description="Private integration to the provider's workload over PrivateLink",
            disable_execute_api_endpoint=args.disable_execute_api_endpoint,
            tags=tags,
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-backend",
            api_id=api.id,
            integration_type="HTTP_PROXY",
            integration_method="ANY",
            integration_uri=args.directory_service_arn,
            connection_type="VPC_LINK",
            connection_id=args.vpc_link_id,
            tls_config=aws.apigatewayv2.IntegrationTlsConfigArgs(
                server_name_to_verify=args.server_name
            ),
            request_parameters={"overwrite:path": "$request.path"},
            payload_format_version="1.0",
            timeout_milliseconds=29000,
            opts=child,
        )
        aws.apigatewayv2.Route(
            f"{name}-default",
            api_id=api.id,
            route_key="$default",
            target=pulumi.Output.concat("integrations/", integration.id),
            authorization_type=AUTHORIZATION[args.authorization],
            opts=child,
        )
        access_logs = access_log_group(
            name, args.log_retention_days, args.log_kms_key_arn, tags, child
        )
        stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=api.id,
            name=args.stage_name,
            auto_deploy=True,
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=access_logs.arn, format=ACCESS_LOG_FORMAT
            ),
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_rate_limit=args.throttle_rate_limit,
                throttling_burst_limit=args.throttle_burst_limit,
                detailed_metrics_enabled=True,
            ),
            tags=tags,
            opts=child,
        )
        self.invoke_url = stage.invoke_url
        self.api_id = api.id
        self.stage_name = stage.name
        self.register_outputs({"invoke_url": self.invoke_url, "api_id": self.api_id})
