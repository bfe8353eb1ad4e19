"""`verify`: check every hop of the data path with boto3, as each account, then call the API.

Each check takes the boto3 client it needs (so tests drive them against moto or botocore's
Stubber) and returns a `Hop` with pass/fail and a plain-language detail. States still settling
(an endpoint being accepted, targets registering) are polled up to a bounded timeout.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
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
    skipped: bool = False
    """Not checked from here (it does not fail verify; `detail` says why and how to check)."""


def check_endpoint(ec2: Any, endpoint_id: str, private_dns: bool = False) -> Hop:
    """Available (and, with xacct:privateDns, private DNS on)."""
    name = "interface endpoint (A)"
    found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    if not found:
        return Hop(name, False, f"{endpoint_id} does not exist")
    state = found[0]["State"]
    if state.lower() == "available":
        if private_dns and not found[0].get("PrivateDnsEnabled"):
            return Hop(
                name,
                False,
                f"{endpoint_id} available, but private DNS is off (xacct:privateDns): it is "
                "turned on at the first `up` of this consumer after the provider accepted it; "
                "run `python -m xacct_ops up --from dns:<consumer>` or `pulumi up` on it",
            )
        return Hop(
            name, True, f"{endpoint_id} available" + (", private DNS on" if private_dns else "")
        )
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
        Filters=[
            {"Name": "service-id", "Values": [service_id]},
            {"Name": "vpc-endpoint-id", "Values": [endpoint_id]},
        ]
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


def check_directory(
    cloudmap: Any, service_arn: str, endpoint_ips: list[str], port: int | None = None
) -> Hop:
    """The HTTP front's Cloud Map service lists exactly the endpoint's IPs, on the provider's
    listener port (what the API discovers and sends to)."""
    name = "Cloud Map lists the endpoint IPs (A)"
    service_id = service_arn.rsplit("/", 1)[-1]
    instances = cloudmap.list_instances(ServiceId=service_id)["Instances"]
    attributes = [i.get("Attributes", {}) for i in instances]
    listed = sorted(a.get("AWS_INSTANCE_IPV4", "?") for a in attributes)
    ports = sorted({a.get("AWS_INSTANCE_PORT", "?") for a in attributes})
    if port is not None and listed and ports != [str(port)]:
        return Hop(
            name,
            False,
            f"instances on port {', '.join(ports)}, the provider listens on {port}: "
            "run `pulumi up` on this consumer",
        )
    if listed == sorted(endpoint_ips):
        return Hop(name, True, f"{len(listed)} instances: {', '.join(listed)}")
    return Hop(
        name,
        False,
        f"lists {', '.join(listed) or 'nothing'}, the endpoint has {', '.join(endpoint_ips)}",
        settled=bool(listed),
    )


def private_api_hop(consumer_outputs: Mapping[str, Any]) -> Hop:
    """A private API answers only inside the VPCs of its execute-api endpoints: not from here."""
    return Hop(
        "HTTPS through the API",
        True,
        "not checked from here: the API is private (apiEndpointType private) and answers only "
        "through its execute-api VPC endpoints; call "
        f"{consumer_outputs.get(keys.API_URL) or consumer_outputs.get(keys.INVOKE_URL)} from "
        "inside one of those VPCs (with SigV4 for execute-api when apiAuthorization is iam)",
        skipped=True,
    )


def _port(value: Any) -> int | None:
    """A stack output's port (outputs travel as JSON numbers), or None when absent."""
    return int(value) if isinstance(value, (int, float)) else None


Opener = Callable[..., Any]
"""urlopen's shape: (request, timeout[, ssl context]) → a response."""


def _open(request: urllib.request.Request, timeout: float, context: Any = None) -> Any:
    return urllib.request.urlopen(request, timeout=timeout, context=context)


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


# Container states that do not mend by waiting: the reason is the answer.
STUCK = frozenset(
    {
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
WORKLOAD_LABEL = "app.kubernetes.io/name=xacct-backend"


def eks_token(session: Any, cluster_name: str, region: str) -> str:
    """What `aws eks get-token` prints: a presigned STS GetCallerIdentity URL naming the
    cluster (x-k8s-aws-id), base64url-encoded behind `k8s-aws-v1.`."""
    from botocore.signers import RequestSigner

    sts = session.client("sts", region_name=region)
    signer = RequestSigner(
        sts.meta.service_model.service_id,
        region,
        "sts",
        "v4",
        session.get_credentials(),
        sts.meta.events,
    )
    url = signer.generate_presigned_url(
        {
            "method": "GET",
            "url": f"https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
            "body": {},
            "headers": {"x-k8s-aws-id": cluster_name},
            "context": {},
        },
        region_name=region,
        expires_in=60,
        operation_name="",
    )
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def pods_hop(pods: Mapping[str, Any], deployments: Mapping[str, Any]) -> Hop:
    """The workload's pods as the Kubernetes API lists them: all Ready, or why not."""
    name = "workload pods Ready (B)"
    items = list(pods.get("items") or [])
    if not items:
        failures = [
            c.get("message", "")
            for d in deployments.get("items") or []
            for c in (d.get("status") or {}).get("conditions") or []
            if c.get("type") == "ReplicaFailure" and c.get("status") == "True"
        ]
        if failures:  # e.g. forbidden by the namespace's restricted Pod Security Standard
            return Hop(name, False, f"no pods: {' '.join(failures[0].split())[:200]}")
        return Hop(name, False, "no pods yet", settled=False)
    ready, stuck = 0, []
    for pod in items:
        status = pod.get("status") or {}
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        ready += conditions.get("Ready") == "True"
        for container in status.get("containerStatuses") or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in STUCK:
                message = " ".join(str(waiting.get("message", "")).split())[:120]
                stuck.append(f"{pod['metadata']['name']}: {waiting['reason']} {message}".strip())
    detail = f"{ready}/{len(items)} Ready"
    if ready == len(items):
        return Hop(name, True, detail)
    return Hop(name, False, "; ".join([detail, *stuck]), settled=bool(stuck))


def check_workload(
    session: Any,
    cluster_name: str,
    namespace: str,
    *,
    opener: Opener = _open,
    timeout: float = 10.0,
) -> Hop:
    """The pods behind the provider NLB, read from the cluster's Kubernetes API as this
    identity (it needs an EKS access entry). What no config check can know: an image that
    cannot be pulled, a container that crashes or runs as root under `restricted`."""
    import ssl

    name = "workload pods Ready (B)"
    cluster = session.client("eks").describe_cluster(name=cluster_name)["cluster"]
    region = session.region_name or ""
    token = eks_token(session, cluster_name, region)
    context = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificateAuthority"]["data"]).decode()
    )
    base = cluster["endpoint"].rstrip("/")

    def get(path: str) -> Any:
        request = urllib.request.Request(
            f"{base}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        with opener(request, timeout, context) as response:
            return json.loads(response.read())

    selector = urllib.parse.quote(WORKLOAD_LABEL, safe="")
    try:
        pods = get(f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}")
        deployments = get(f"/apis/apps/v1/namespaces/{namespace}/deployments")
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            return Hop(
                name,
                False,
                f"the Kubernetes API refused this identity ({error.code}): give it an EKS "
                "access entry (xacct:clusterAdminArns) or read the pods with kubectl",
            )
        return Hop(name, False, f"the Kubernetes API answered {error.code}", settled=False)
    except OSError as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ssl.SSLError):  # reached, but not the cluster EKS describes
            return Hop(name, False, f"TLS to the Kubernetes API at {base} failed: {reason}")
        return Hop(
            name,
            True,
            f"not checked: the Kubernetes API at {base} is not reachable from here ({error}); "
            "its endpoint is private, or this runner is not in xacct:clusterPublicAccessCidrs. "
            f"From inside the VPC: kubectl -n {namespace} get pods -l {WORKLOAD_LABEL}",
            skipped=True,
        )
    return pods_hop(pods, deployments)


def verify_provider(
    session: Any,
    provider_outputs: Mapping[str, Any],
    provider_config: Mapping[str, str],
    *,
    timeout: float = 300.0,
    opener: Opener = _open,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Hop]:
    """The provider's own hops, once for all consumers: its workload's pods."""
    if provider_config.get("xacct:deployWorkload", "true") == "false":
        return []
    namespace = provider_config.get("xacct:workloadNamespace") or "xacct"
    check = guarded(
        "workload pods Ready (B)",
        lambda: check_workload(
            session, provider_outputs[keys.CLUSTER_NAME], namespace, opener=opener
        ),
    )
    return [wait_for(check, timeout, sleep=sleep)]


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
    for h in hops:
        result = "SKIP" if h.skipped else "PASS" if h.ok else "FAIL"
        lines.append(f"{h.name.ljust(width)}  {result:6}  {h.detail}")
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
    clock: Callable[[], float] = time.monotonic,
) -> list[Hop]:
    """Every hop for one consumer, in path order from the provider's side, all of them within
    `timeout` seconds (a hop still settling when time is up fails with its state)."""
    deadline = clock() + timeout
    endpoint_id = consumer_outputs[keys.INTERFACE_ENDPOINT_ID]
    http = consumer_outputs.get(keys.FRONTEND) == "http"
    version = "v2" if http else consumer_config.get("xacct:vpcLinkVersion", "v2")
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
        (
            "interface endpoint (A)",
            lambda: check_endpoint(
                ec2_a,
                endpoint_id,
                private_dns=consumer_config.get("xacct:privateDns", "false").lower() == "true",
            ),
        ),
        (
            f"VPC link {version} (A)",
            lambda: check_vpc_link(link_client, consumer_outputs[keys.VPC_LINK_ID], version),
        ),
        (
            (
                "Cloud Map lists the endpoint IPs (A)",
                lambda: check_directory(
                    accounts.consumer.client("servicediscovery"),
                    consumer_outputs[keys.CLOUD_MAP_SERVICE_ARN],
                    list(consumer_outputs[keys.ENDPOINT_IPS]),
                    _port(provider_outputs.get(keys.LISTENER_PORT)),
                ),
            )
            if http
            else (
                "NLB targets healthy (A)",
                lambda: check_targets(
                    accounts.consumer.client("elbv2"), consumer_outputs[keys.CONSUMER_NLB_ARN], "A"
                ),
            )
        ),
        (
            "NLB targets healthy (B)",
            lambda: check_targets(
                accounts.provider.client("elbv2"), provider_outputs[keys.PROVIDER_NLB_ARN], "B"
            ),
        ),
        (
            "HTTPS through the API",
            (lambda: private_api_hop(consumer_outputs))
            if consumer_outputs.get(keys.API_ENDPOINT_TYPE) == "private"
            else (
                lambda: check_api(
                    consumer_outputs.get(keys.API_URL) or consumer_outputs[keys.INVOKE_URL],
                    consumer_outputs[keys.API_AUTHORIZATION],
                    credentials=credentials,
                    region=consumer_outputs[keys.CONSUMER_REGION],
                    api_key=api_key,
                    opener=opener,
                )
            ),
        ),
    ]
    return run_checks(checks, deadline, sleep=sleep, clock=clock)


def run_checks(
    checks: list[tuple[str, Callable[[], Hop]]],
    deadline: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Hop]:
    """Each check in turn, polled while it settles, all of them by one deadline."""
    return [
        wait_for(guarded(name, check), max(0.0, deadline - clock()), sleep=sleep, clock=clock)
        for name, check in checks
    ]


class VerifyError(Exception):
    """verify cannot start: a stack without outputs, an account it cannot sign in to."""


def outputs_of(stacks: Any, stack: str, needed: tuple[str, ...]) -> dict[str, Any]:
    found = stacks.outputs(stack)
    missing = [key for key in needed if key not in found]
    if missing:
        raise VerifyError(
            f"stack {stack} has no output {', '.join(missing)} yet: deploy it first "
            "(`python -m xacct_ops up`)"
        )
    return dict(found)


def account_session(stack: str, config: Mapping[str, str]) -> Any:
    """The stack's account, signed in as its config says; a clear error when that fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = session_for(config)
        session.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        how = ", ".join(
            f"{k}={config[k]}" for k in ("aws:profile", "aws:assumeRoles") if config.get(k)
        )
        raise VerifyError(
            f"cannot sign in to the account of stack {stack} ({how or 'the environment'}): "
            f"{' '.join(str(error).split())[:200]}"
        ) from None
    return session


def verify_rollout(
    stacks: Any,
    provider: str,
    consumers: tuple[str, ...],
    out: Any,
    timeout: float,
    *,
    session: Callable[[str, Mapping[str, str]], Any] = account_session,
) -> int:
    """Every hop of the rollout, the provider's and each consumer's at once, under one
    deadline; prints a table per stack and returns how many hops failed."""
    import concurrent.futures
    import os

    provider_outputs = outputs_of(stacks, provider, (keys.ENDPOINT_SERVICE_ID, keys.CLUSTER_NAME))
    provider_config = stacks.get_config(provider)
    provider_session = session(provider, provider_config)
    jobs: dict[str, Callable[[], list[Hop]]] = {
        provider: lambda: verify_provider(
            provider_session, provider_outputs, provider_config, timeout=timeout
        )
    }
    for consumer in consumers:
        config = stacks.get_config(consumer)
        accounts = Accounts(provider=provider_session, consumer=session(consumer, config))
        outputs = outputs_of(stacks, consumer, keys.CONSUMER_KEYS_VERIFIED)
        jobs[consumer] = lambda a=accounts, o=outputs, c=config: verify_consumer(  # type: ignore[misc]
            a, provider_outputs, o, c, timeout=timeout, api_key=os.environ.get("XACCT_API_KEY")
        )
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = {stack: pool.submit(job) for stack, job in jobs.items()}
    failed = 0
    for stack, future in results.items():
        hops = future.result()
        if hops:
            out.write(f"\n{stack}:\n{format_table(hops)}\n")
        failed += sum(not h.ok for h in hops)
    return failed


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
