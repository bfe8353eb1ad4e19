"""`verify`: check every hop of the data path with boto3, as each account, then call the API.

Each check takes the boto3 client it needs (so tests drive them against moto or botocore's
Stubber) and returns a `Hop` with pass/fail and a plain-language detail. States still settling
(an endpoint being accepted, targets registering) are polled up to a bounded timeout.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components import outputs as keys


@dataclass(frozen=True)
class Hop:
    name: str
    ok: bool
    detail: str
    settled: bool = True
    """False when the state may still change (worth polling again)."""


def check_endpoint(ec2: Any, endpoint_id: str) -> Hop:
    name = "interface endpoint (A)"
    found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    if not found:
        return Hop(name, False, f"{endpoint_id} does not exist")
    state = found[0]["State"]
    if state.lower() == "available":
        return Hop(name, True, f"{endpoint_id} available")
    if state == "pendingAcceptance":
        return Hop(
            name,
            False,
            f"{endpoint_id} is pendingAcceptance: the provider has not "
            "accepted it; list the consumer stack in the provider's xacct:consumerStacks "
            "and run `python -m xacct_ops up --from gate:accept`",
            settled=False,
        )
    return Hop(name, False, f"{endpoint_id} is {state}", settled=state.lower() != "pending")


def check_connection(ec2: Any, service_id: str, endpoint_id: str) -> Hop:
    name = "endpoint connection accepted (B)"
    connections = ec2.describe_vpc_endpoint_connections(
        Filters=[{"Name": "service-id", "Values": [service_id]}]
    )["VpcEndpointConnections"]
    for connection in connections:
        if connection.get("VpcEndpointId") == endpoint_id:
            state = connection.get("VpcEndpointState", "")
            if state.lower() == "available":
                return Hop(name, True, f"{endpoint_id} accepted on {service_id}")
            return Hop(
                name,
                False,
                f"{endpoint_id} on {service_id} is {state}",
                settled=state not in ("pendingAcceptance", "pending"),
            )
    return Hop(
        name,
        False,
        f"no connection from {endpoint_id} on {service_id}: is the consumer "
        "deployed, in an allowed account?",
    )


def check_vpc_link(client: Any, link_id: str, version: str) -> Hop:
    name = f"VPC link {version} (A)"
    if version == "v2":
        status = client.get_vpc_link(VpcLinkId=link_id)["VpcLinkStatus"]
    else:
        status = client.get_vpc_link(vpcLinkId=link_id)["status"]
    if status == "AVAILABLE":
        return Hop(name, True, f"{link_id} AVAILABLE")
    return Hop(name, False, f"{link_id} is {status}", settled=status not in ("PENDING",))


def check_targets(elbv2: Any, nlb_arn: str, label: str) -> Hop:
    name = f"NLB targets healthy ({label})"
    groups = elbv2.describe_target_groups(LoadBalancerArn=nlb_arn)["TargetGroups"]
    states: list[str] = []
    for group in groups:
        health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
        states += [d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]]
    if not states:
        return Hop(name, False, "no targets registered", settled=False)
    healthy = states.count("healthy")
    detail = f"{healthy}/{len(states)} healthy"
    if healthy == len(states):
        return Hop(name, True, detail)
    return Hop(
        name, False, f"{detail} ({', '.join(sorted(set(states)))})", settled="initial" not in states
    )


Opener = Callable[[urllib.request.Request, float], Any]


def _open(request: urllib.request.Request, timeout: float) -> Any:
    return urllib.request.urlopen(request, timeout=timeout)


def check_api(
    url: str,
    authorization: str,
    *,
    credentials: Any = None,
    region: str = "",
    api_key: str | None = None,
    opener: Opener = _open,
    timeout: float = 10.0,
) -> Hop:
    """GET the API's root; SigV4-signed for IAM auth, with x-api-key for api-key auth."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    name = "HTTPS through the API"
    target = url.rstrip("/") + "/"
    headers: dict[str, str] = {}
    if authorization == "iam":
        if credentials is None:
            return Hop(name, False, "no AWS credentials for the consumer account to sign with")
        signed = AWSRequest(method="GET", url=target)
        SigV4Auth(credentials, "execute-api", region).add_auth(signed)
        headers = dict(signed.headers.items())
    elif authorization == "api-key":
        if not api_key:
            return Hop(name, False, "api-key auth: set XACCT_API_KEY to the key's value to test")
        headers["x-api-key"] = api_key
    try:
        response = opener(urllib.request.Request(target, headers=headers), timeout)
        status = response.status
        body = response.read(200).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read(200).decode("utf-8", "replace")
    except OSError as error:
        return Hop(name, False, f"GET {target}: {error}", settled=False)
    snippet = " ".join(body.split())[:60]
    if 200 <= status < 300:
        return Hop(name, True, f"GET {target} → {status}: {snippet}")
    return Hop(
        name, False, f"GET {target} → {status}: {snippet}", settled=status not in (502, 503, 504)
    )


def guarded(name: str, check: Callable[[], Hop]) -> Callable[[], Hop]:
    """An AWS error (not found, access denied) is a failed hop, not a crash of the table."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    def run() -> Hop:
        try:
            return check()
        except (ClientError, BotoCoreError, ResponseParserError) as error:
            return Hop(name, False, " ".join(str(error).split())[:200])

    return run


def wait_for(
    check: Callable[[], Hop],
    timeout: float,
    interval: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Hop:
    """Re-run a check while its state is still settling, up to `timeout` seconds."""
    deadline = clock() + timeout
    hop = check()
    while not hop.ok and not hop.settled and clock() < deadline:
        sleep(interval)
        hop = check()
    return hop


def format_table(hops: list[Hop]) -> str:
    width = max(len(h.name) for h in hops)
    lines = [f"{'hop'.ljust(width)}  result  detail", f"{'-' * width}  ------  ------"]
    lines += [f"{h.name.ljust(width)}  {'PASS' if h.ok else 'FAIL':6}  {h.detail}" for h in hops]
    return "\n".join(lines)


@dataclass
class Accounts:
    """boto3 clients of each side (the provider's, one consumer's)."""

    provider: Any  # boto3.Session
    consumer: Any


def verify_consumer(
    accounts: Accounts,
    provider_outputs: Mapping[str, Any],
    consumer_outputs: Mapping[str, Any],
    consumer_config: Mapping[str, str],
    *,
    timeout: float = 300.0,
    api_key: str | None = None,
    opener: Opener = _open,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Hop]:
    """Every hop for one consumer, in path order from the provider's side."""
    endpoint_id = consumer_outputs[keys.INTERFACE_ENDPOINT_ID]
    version = consumer_config.get("xacct:vpcLinkVersion", "v2")
    ec2_a = accounts.consumer.client("ec2")
    ec2_b = accounts.provider.client("ec2")
    link_client = accounts.consumer.client("apigatewayv2" if version == "v2" else "apigateway")
    credentials = accounts.consumer.get_credentials()
    checks: list[tuple[str, Callable[[], Hop]]] = [
        (
            "endpoint connection accepted (B)",
            lambda: check_connection(
                ec2_b, provider_outputs[keys.ENDPOINT_SERVICE_ID], endpoint_id
            ),
        ),
        ("interface endpoint (A)", lambda: check_endpoint(ec2_a, endpoint_id)),
        (
            f"VPC link {version} (A)",
            lambda: check_vpc_link(link_client, consumer_outputs[keys.VPC_LINK_ID], version),
        ),
        (
            "NLB targets healthy (A)",
            lambda: check_targets(
                accounts.consumer.client("elbv2"), consumer_outputs[keys.CONSUMER_NLB_ARN], "A"
            ),
        ),
        (
            "NLB targets healthy (B)",
            lambda: check_targets(
                accounts.provider.client("elbv2"), provider_outputs[keys.PROVIDER_NLB_ARN], "B"
            ),
        ),
        (
            "HTTPS through the API",
            lambda: check_api(
                consumer_outputs[keys.INVOKE_URL],
                consumer_outputs[keys.API_AUTHORIZATION],
                credentials=credentials,
                region=consumer_outputs[keys.CONSUMER_REGION],
                api_key=api_key,
                opener=opener,
            ),
        ),
    ]
    return [wait_for(guarded(name, check), timeout, sleep=sleep) for name, check in checks]


def session_for(
    config: Mapping[str, str], session_factory: Callable[..., Any] | None = None
) -> Any:
    """A boto3 session as the stack's own config has it: aws:region, aws:profile, and the
    aws:assumeRoles chain (each role assumed in turn)."""
    import boto3

    factory = session_factory or boto3.Session
    region = config.get("aws:region")
    session = factory(profile_name=config.get("aws:profile") or None, region_name=region)
    roles = json.loads(config.get("aws:assumeRoles") or "[]")
    for role in roles:
        params = {
            "RoleArn": role["roleArn"],
            "RoleSessionName": role.get("sessionName") or "xacct-verify",
        }
        if role.get("externalId"):
            params["ExternalId"] = role["externalId"]
        creds = session.client("sts").assume_role(**params)["Credentials"]
        session = factory(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )
    return session
