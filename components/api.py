"""PrivateApi: the REST API in account A, the request's first hop. Every route goes over the VPC
link (components/vpc_link.py) to the consumer NLB, then over PrivateLink to the provider, with
TLS verified against the provider's server name.

Routes: `/` and the greedy `/{proxy+}`, method ANY, HTTP_PROXY to `https://<server name>:<port>/`.
Authorization is IAM (SigV4) by default, an API key with a usage plan, or none by explicit choice.
The stage has access logs (JSON, to a log group with retention), execution logs at INFO without
request/response bodies, X-Ray and throttling.

VPC link v2 (the default) needs each integration to name the load balancer
(`integration_target`, pulumi-aws >= 7.x); v1 links name it themselves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.lookups import AccountFacts
from components.settings import ApiAuthorization

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.caller",
        "user": "$context.identity.user",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationStatus": "$context.integration.status",
        "integrationLatency": "$context.integration.latency",
        "integrationError": "$context.integration.error",
        "xrayTraceId": "$context.xrayTraceId",
    },
    separators=(",", ":"),
)
AUTHORIZATION = {"iam": "AWS_IAM", "api-key": "NONE", "none": "NONE"}


def access_log_group(
    name: str,
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogGroup:
    """An API stage's access-log group (either front): `/xacct/<name>/api-access`, with
    retention and the stack's KMS key."""
    return aws.cloudwatch.LogGroup(
        f"{name}-access-logs",
        name=f"/xacct/{name}/api-access",
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=tags,
        opts=opts,
    )


@dataclass(frozen=True, kw_only=True)
class PrivateApiArgs:
    facts: AccountFacts
    nlb_arn: pulumi.Input[str]
    server_name: str
    port: int
    authorization: ApiAuthorization
    vpc_link_id: pulumi.Input[str]
    integration_target: pulumi.Input[str] | None
    """VPC link v2: the load balancer each integration names (None with v1)."""
    stage_name: str
    throttle_rate_limit: int
    throttle_burst_limit: int
    log_retention_days: int
    log_kms_key_arn: pulumi.Input[str]
    manage_account: bool
    disable_execute_api_endpoint: bool = False
    """Only the custom domain answers (xacct:disableExecuteApiEndpoint)."""
    caller_endpoint_ids: list[pulumi.Input[str]] | None = None
    """A private API (xacct:apiEndpointType private): the execute-api endpoints that may call
    it; None: a regional API."""
    tags: dict[str, str] | None = None


def private_api_policy(execution_arn: str, endpoint_ids: list[str], open_allow: bool) -> str:
    """Invocations from any source but these execute-api endpoints are denied (API Gateway
    developer guide, "Private REST APIs", resource policy examples).

    With IAM authorization there is no Allow statement: in one account "an allow in either
    policy is enough" (developer guide, "How API Gateway resource policies affect authorization
    workflow", tables A and B), so an Allow to `*` would let any principal in through a listed
    endpoint without an IAM grant; the callers' own IAM policies decide instead (callers in
    other accounts would need this policy to name them, which it does not). Without IAM
    (`api-key`, `none`) nothing else grants access, so the listed endpoints are allowed; an
    API key, if required, is checked on top."""
    resource = f"{execution_arn}/*"
    deny = {
        "Sid": "DenyEveryOtherSource",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": resource,
        "Condition": {"StringNotEquals": {"aws:SourceVpce": endpoint_ids}},
    }
    allow = {
        "Sid": "InvokeFromTheListedEndpoints",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": resource,
        "Condition": {"StringEquals": {"aws:SourceVpce": endpoint_ids}},
    }
    statements = [allow, deny] if open_allow else [deny]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class PrivateApi(pulumi.ComponentResource):
    invoke_url: pulumi.Output[str]
    """https://<api>.execute-api.<region>.amazonaws.com/<stage>"""
    api_id: pulumi.Output[str]
    """The REST API id."""
    vpc_link_id: pulumi.Output[str]
    """The VPC link (v2 or v1) the integrations use."""
    api_name: pulumi.Output[str]
    """The ApiName dimension of its CloudWatch metrics."""
    stage_name: pulumi.Output[str]
    """The Stage dimension."""
    stage_arn: pulumi.Output[str]
    """What a WAF web ACL is associated with."""
    retained: list[pulumi.Output[str]]
    """What `pulumi destroy` leaves in place on purpose (the region's API Gateway logging role)."""

    def __init__(
        self, name: str, args: PrivateApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:PrivateApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags or {}

        self.retained: list[pulumi.Output[str]] = []
        account: list[pulumi.Resource] = []
        if args.manage_account:
            account = [self._cloudwatch_account(name, args, child)]

        link_id = pulumi.Output.from_input(args.vpc_link_id)

        api = aws.apigateway.RestApi(
            f"{name}-api",
            name=f"{name}-api",
            description="Private integration to the provider's workload over PrivateLink",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL")
            if args.caller_endpoint_ids is None
            else aws.apigateway.RestApiEndpointConfigurationArgs(
                types="PRIVATE", vpc_endpoint_ids=args.caller_endpoint_ids
            ),
            # Always given: left unset, the provider keeps the last value, so turning it off again
            # would not (AWS reports false for APIs that never set it: no diff for them).
            disable_execute_api_endpoint=args.disable_execute_api_endpoint,
            tags=tags,
            opts=child,
        )
        proxy = aws.apigateway.Resource(
            f"{name}-proxy",
            rest_api=api.id,
            parent_id=api.root_resource_id,
            path_part="{proxy+}",
            opts=child,
        )
        backend = f"https://{args.server_name}:{args.port}"
        routes = [
            ("root", api.root_resource_id, f"{backend}/", {}),
            (
                "proxy",
                proxy.id,
                f"{backend}/{{proxy}}",
                {"integration.request.path.proxy": "method.request.path.proxy"},
            ),
        ]
        integrations: list[aws.apigateway.Integration] = []
        for route, resource_id, uri, params in routes:
            method = aws.apigateway.Method(
                f"{name}-{route}-any",
                rest_api=api.id,
                resource_id=resource_id,
                http_method="ANY",
                authorization=AUTHORIZATION[args.authorization],
                api_key_required=args.authorization == "api-key",
                request_parameters={"method.request.path.proxy": True} if params else None,
                opts=child,
            )
            integrations.append(
                aws.apigateway.Integration(
                    f"{name}-{route}-backend",
                    rest_api=api.id,
                    resource_id=resource_id,
                    http_method=method.http_method,
                    type="HTTP_PROXY",
                    integration_http_method="ANY",
                    uri=uri,
                    connection_type="VPC_LINK",
                    connection_id=link_id,
                    integration_target=args.integration_target,
                    request_parameters=params or None,
                    tls_config=aws.apigateway.IntegrationTlsConfigArgs(
                        insecure_skip_verification=False
                    ),
                    timeout_milliseconds=29000,
                    opts=child,
                )
            )

        policy: list[pulumi.Resource] = []
        snapshot: list[pulumi.Input[object]] = [
            backend,
            args.authorization,
            link_id,
            args.nlb_arn,
            [i.id for i in integrations],
        ]
        if args.caller_endpoint_ids is not None:
            document = pulumi.Output.all(
                api.execution_arn, pulumi.Output.all(*args.caller_endpoint_ids)
            ).apply(
                lambda both: private_api_policy(
                    both[0], list(both[1]), open_allow=args.authorization != "iam"
                )
            )
            policy.append(
                aws.apigateway.RestApiPolicy(
                    f"{name}-policy", rest_api_id=api.id, policy=document, opts=child
                )
            )
            snapshot.append(document)  # a new policy takes effect with a new deployment
        # Redeploy whenever what the API routes to changes (a deployment is a snapshot).
        fingerprint = pulumi.Output.json_dumps(snapshot).apply(
            lambda text: hashlib.sha256(text.encode()).hexdigest()
        )
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=api.id,
            triggers={"routes": fingerprint},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*integrations, *policy]),
        )
        access_logs = access_log_group(
            name, args.log_retention_days, args.log_kms_key_arn, tags, child
        )
        # Execution logs: API Gateway names the group itself. Created before the stage (which
        # starts logging), or API Gateway creates it first, without retention or key.
        execution_logs = aws.cloudwatch.LogGroup(
            f"{name}-execution-logs",
            name=pulumi.Output.format(
                "API-Gateway-Execution-Logs_{0}/{1}", api.id, args.stage_name
            ),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            tags=tags,
            opts=child,
        )
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name=args.stage_name,
            xray_tracing_enabled=True,
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=access_logs.arn, format=ACCESS_LOG_FORMAT
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*account, execution_logs]),
        )
        aws.apigateway.MethodSettings(
            f"{name}-all-methods",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                logging_level="INFO",
                data_trace_enabled=False,
                metrics_enabled=True,
                throttling_rate_limit=args.throttle_rate_limit,
                throttling_burst_limit=args.throttle_burst_limit,
                caching_enabled=False,
            ),
            opts=child,
        )
        if args.authorization == "api-key":
            self._usage_plan(name, args, api, stage, child)

        self.invoke_url = stage.invoke_url
        self.api_id = api.id
        self.api_name = api.name
        self.stage_name = stage.stage_name
        self.stage_arn = stage.arn
        self.vpc_link_id = link_id
        self.register_outputs(
            {"invoke_url": self.invoke_url, "api_id": self.api_id, "vpc_link_id": link_id}
        )

    def _cloudwatch_account(
        self, name: str, args: PrivateApiArgs, child: pulumi.ResourceOptions
    ) -> aws.apigateway.Account:
        """The region-wide CloudWatch role API Gateway logs with (once per account/region).
        Every API of the account and region logs through it, so `pulumi destroy` leaves the
        role, its policy and the setting in place (deleting the setting resets it for all)."""
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        role = aws.iam.Role(
            f"{name}-cloudwatch",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=kept,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cloudwatch",
            role=role.name,
            policy_arn=(
                f"arn:{args.facts.partition}:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs"
            ),
            opts=kept,
        )
        self.retained.append(pulumi.Output.concat("IAM role ", role.name, " (API Gateway logging)"))
        return aws.apigateway.Account(
            f"{name}-account",
            cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[attachment], retain_on_delete=True
            ),
        )

    def _usage_plan(
        self,
        name: str,
        args: PrivateApiArgs,
        api: aws.apigateway.RestApi,
        stage: aws.apigateway.Stage,
        child: pulumi.ResourceOptions,
    ) -> None:
        key = aws.apigateway.ApiKey(f"{name}-key", name=f"{name}-key", enabled=True, opts=child)
        plan = aws.apigateway.UsagePlan(
            f"{name}-plan",
            name=f"{name}-plan",
            api_stages=[
                aws.apigateway.UsagePlanApiStageArgs(api_id=api.id, stage=stage.stage_name)
            ],
            throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
                rate_limit=args.throttle_rate_limit, burst_limit=args.throttle_burst_limit
            ),
            opts=child,
        )
        aws.apigateway.UsagePlanKey(
            f"{name}-plan-key",
            key_id=key.id,
            key_type="API_KEY",
            usage_plan_id=plan.id,
            opts=child,
        )
