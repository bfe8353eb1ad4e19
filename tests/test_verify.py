"""`verify` against a moto server on 127.0.0.1 (a free port, started by the fixture): resources
made with boto3, then each check passing and failing. moto does not implement
DescribeVpcEndpointConnections and always reports endpoints `available`, so the connection check
and the pendingAcceptance case run on botocore's Stubber instead."""

from __future__ import annotations

import http.server
import io
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components import outputs as keys
from xacct_ops import verify
from xacct_ops.verify import Accounts, Hop

moto_server = pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Endpointed:
    """A boto3 Session whose clients all talk to the moto server."""

    def __init__(self, url: str, session: boto3.Session) -> None:
        self.url, self.session = url, session

    def client(self, name: str) -> Any:
        return self.session.client(name, endpoint_url=self.url)

    def get_credentials(self) -> Any:
        return self.session.get_credentials()


@pytest.fixture(scope="module")
def aws() -> Iterator[Endpointed]:
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    try:
        yield Endpointed(f"http://127.0.0.1:{port}", session)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def world(aws: Endpointed) -> dict[str, str]:
    """One side's resources: VPC, NLB with a healthy IP target, an empty NLB, endpoint, links."""
    ec2, elb = aws.client("ec2"), aws.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    nlb = elb.create_load_balancer(Name="nlb", Subnets=subnets, Type="network", Scheme="internal")[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="tg", Protocol="TCP", Port=443, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.10", "Port": 443}])
    elb.create_listener(
        LoadBalancerArn=nlb,
        Protocol="TCP",
        Port=443,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    empty = elb.create_load_balancer(
        Name="empty", Subnets=subnets, Type="network", Scheme="internal"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    empty_tg = elb.create_target_group(
        Name="empty", Protocol="TCP", Port=443, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=empty,
        Protocol="TCP",
        Port=443,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": empty_tg}],
    )
    service = ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[nlb], AcceptanceRequired=True
    )["ServiceConfiguration"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=service["ServiceName"],
        VpcEndpointType="Interface",
        SubnetIds=subnets,
    )["VpcEndpoint"]["VpcEndpointId"]
    link_v2 = aws.client("apigatewayv2").create_vpc_link(
        Name="l2", SubnetIds=subnets, SecurityGroupIds=[]
    )["VpcLinkId"]
    link_v1 = aws.client("apigateway").create_vpc_link(name="l1", targetArns=[nlb])["id"]
    return {
        "nlb": nlb,
        "empty": empty,
        "endpoint": endpoint,
        "service": service["ServiceId"],
        "link_v2": link_v2,
        "link_v1": link_v1,
    }


def test_available_endpoint_passes(aws: Endpointed, world: dict[str, str]) -> None:
    hop = verify.check_endpoint(aws.client("ec2"), world["endpoint"])
    assert hop == Hop("interface endpoint (A)", True, f"{world['endpoint']} available")


def test_private_dns_asked_for_but_off_fails_with_the_next_step() -> None:
    ec2 = boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    for enabled, ok in ((False, False), (True, True)):
        with Stubber(ec2) as stub:
            stub.add_response(
                "describe_vpc_endpoints",
                {
                    "VpcEndpoints": [
                        {
                            "VpcEndpointId": "vpce-1",
                            "State": "available",
                            "PrivateDnsEnabled": enabled,
                        }
                    ]
                },
            )
            hop = verify.check_endpoint(ec2, "vpce-1", private_dns=True)
        assert hop.ok is ok
    assert hop.detail == "vpce-1 available, private DNS on"
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_vpc_endpoints",
            {
                "VpcEndpoints": [
                    {"VpcEndpointId": "vpce-1", "State": "available", "PrivateDnsEnabled": False}
                ]
            },
        )
        off = verify.check_endpoint(ec2, "vpce-1", private_dns=True)
    assert off.detail.startswith("vpce-1 available, but private DNS is off (xacct:privateDns)")


def test_missing_endpoint_fails_without_crashing(aws: Endpointed) -> None:
    hop = verify.guarded(
        "interface endpoint (A)",
        lambda: verify.check_endpoint(aws.client("ec2"), "vpce-0000000000000000a"),
    )()
    assert not hop.ok and "InvalidVpcEndpointId.NotFound" in hop.detail


def test_pending_acceptance_says_so_plainly() -> None:
    ec2 = boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_vpc_endpoints",
            {"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "State": "pendingAcceptance"}]},
        )
        hop = verify.check_endpoint(ec2, "vpce-1")
    assert not hop.ok and not hop.settled
    assert "vpce-1 is pendingAcceptance: the provider has not accepted it" in hop.detail
    assert "python -m xacct_ops up --from gate:accept" in hop.detail


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_vpc_links_available(aws: Endpointed, world: dict[str, str], version: str) -> None:
    client = aws.client("apigatewayv2" if version == "v2" else "apigateway")
    hop = verify.check_vpc_link(client, world[f"link_{version}"], version)
    assert hop.ok and hop.detail.endswith("AVAILABLE")


def test_unknown_vpc_link_fails(aws: Endpointed) -> None:
    hop = verify.guarded(
        "VPC link v2 (A)", lambda: verify.check_vpc_link(aws.client("apigatewayv2"), "nolink", "v2")
    )()
    assert (not hop.ok and "nolink" in hop.detail) or "NotFound" in hop.detail


def test_healthy_targets_pass_and_an_empty_target_group_fails(
    aws: Endpointed, world: dict[str, str]
) -> None:
    assert verify.check_targets(aws.client("elbv2"), world["nlb"], "A") == Hop(
        "NLB targets healthy (A)", True, "1/1 healthy"
    )
    empty = verify.check_targets(aws.client("elbv2"), world["empty"], "B")
    assert not empty.ok and empty.detail == "no targets registered"


def test_unhealthy_targets_are_counted() -> None:
    elb = boto3.client(
        "elbv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    tg = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"
    with Stubber(elb) as stub:
        stub.add_response("describe_target_groups", {"TargetGroups": [{"TargetGroupArn": tg}]})
        stub.add_response(
            "describe_target_health",
            {
                "TargetHealthDescriptions": [
                    {"TargetHealth": {"State": "healthy"}},
                    {"TargetHealth": {"State": "unhealthy"}},
                ]
            },
        )
        hop = verify.check_targets(elb, "arn:nlb", "B")
    assert hop == Hop("NLB targets healthy (B)", False, "1/2 healthy (healthy, unhealthy)", True)


def connections_client(state: str | None) -> tuple[Any, Stubber]:
    ec2 = boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(ec2)
    found = [] if state is None else [{"VpcEndpointId": "vpce-1", "VpcEndpointState": state}]
    stub.add_response(
        "describe_vpc_endpoint_connections",
        {"VpcEndpointConnections": found},
        {
            # Only this endpoint's connection, not every connection of the service.
            "Filters": [
                {"Name": "service-id", "Values": ["vpce-svc-1"]},
                {"Name": "vpc-endpoint-id", "Values": ["vpce-1"]},
            ]
        },
    )
    return ec2, stub


@pytest.mark.parametrize(
    ("state", "ok", "detail"),
    [
        ("available", True, "vpce-1 accepted on vpce-svc-1"),
        ("pendingAcceptance", False, "vpce-1 on vpce-svc-1 is pendingAcceptance"),
        ("rejected", False, "vpce-1 on vpce-svc-1 is rejected"),
        (
            None,
            False,
            "no connection from vpce-1 on vpce-svc-1: is the consumer deployed, in an "
            "allowed account?",
        ),
    ],
)
def test_connection_check(state: str | None, ok: bool, detail: str) -> None:
    ec2, stub = connections_client(state)
    with stub:
        hop = verify.check_connection(ec2, "vpce-svc-1", "vpce-1")
    assert (hop.ok, hop.detail) == (ok, detail)


# ---- the HTTPS call through the API ------------------------------------------------------


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []  # noqa: RUF012 (shared with the test on purpose)
    status = 200

    def do_GET(self) -> None:
        Recorder.seen.append(dict(self.headers.items()))
        self.send_response(Recorder.status)
        self.end_headers()
        self.wfile.write(b"<h1>Welcome to nginx!</h1>")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    Recorder.seen, Recorder.status = [], 200
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def test_iam_api_call_is_sigv4_signed(api: str) -> None:
    credentials = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="s", region_name="us-east-1"
    ).get_credentials()
    hop = verify.check_api(api, "iam", credentials=credentials, region="us-east-1")
    assert hop.ok and hop.detail.endswith("→ 200: <h1>Welcome to nginx!</h1>")
    authorization = Recorder.seen[0]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/execute-api/aws4_request" in authorization


def test_api_key_call_sends_the_key_and_fails_without_one(api: str) -> None:
    assert verify.check_api(api, "api-key", api_key="k123").ok
    assert {k.lower(): v for k, v in Recorder.seen[0].items()}["x-api-key"] == "k123"
    missing = verify.check_api(api, "api-key")
    assert not missing.ok and "set XACCT_API_KEY" in missing.detail


def test_api_errors_fail_the_hop(api: str) -> None:
    Recorder.status = 403
    hop = verify.check_api(api, "none")
    assert not hop.ok and "→ 403" in hop.detail and hop.settled
    Recorder.status = 503
    assert not verify.check_api(api, "none").settled  # may still be settling


# ---- waiting, the whole consumer, sessions -----------------------------------------------


def test_wait_polls_settling_states_until_the_timeout() -> None:
    now = [0.0]
    answers = iter([Hop("x", False, "pending", settled=False)] * 3 + [Hop("x", True, "ok")])
    hop = verify.wait_for(
        lambda: next(answers),
        timeout=100,
        interval=10,
        sleep=lambda s: now.__setitem__(0, now[0] + s),
        clock=lambda: now[0],
    )
    assert hop.ok and now[0] == 30
    stuck = verify.wait_for(
        lambda: Hop("x", False, "pending", settled=False),
        timeout=25,
        interval=10,
        sleep=lambda s: now.__setitem__(0, now[0] + s),
        clock=lambda: now[0],
    )
    assert not stuck.ok and now[0] == 60  # 30 + three polls of 10 s past a 25 s budget
    settled = verify.wait_for(
        lambda: Hop("x", False, "rejected"),
        timeout=25,
        sleep=lambda s: pytest.fail("a settled failure is not polled"),
    )
    assert not settled.ok


def test_verify_consumer_checks_every_hop(aws: Endpointed, world: dict[str, str], api: str) -> None:
    provider_outputs = {
        keys.ENDPOINT_SERVICE_ID: world["service"],
        keys.PROVIDER_NLB_ARN: world["nlb"],
    }
    consumer_outputs = {
        keys.INTERFACE_ENDPOINT_ID: world["endpoint"],
        keys.VPC_LINK_ID: world["link_v2"],
        keys.CONSUMER_NLB_ARN: world["nlb"],
        keys.INVOKE_URL: api,
        keys.API_AUTHORIZATION: "iam",
        keys.CONSUMER_REGION: "us-east-1",
    }
    hops = verify.verify_consumer(
        Accounts(provider=aws, consumer=aws),
        provider_outputs,
        consumer_outputs,
        {},
        timeout=0,
        sleep=lambda s: None,
    )
    table = verify.format_table(hops)
    assert [h.name for h in hops] == [
        "endpoint connection accepted (B)",
        "interface endpoint (A)",
        "VPC link v2 (A)",
        "NLB targets healthy (A)",
        "NLB targets healthy (B)",
        "HTTPS through the API",
    ]
    # moto has no DescribeVpcEndpointConnections: that hop fails, the others pass.
    assert [h.ok for h in hops] == [False, True, True, True, True, True]
    assert "Unable to parse response" in hops[0].detail
    assert "FAIL" in table and table.count("PASS") == 5


def test_session_follows_the_stacks_profile_region_and_role_chain(aws: Endpointed) -> None:
    made: list[dict[str, Any]] = []

    def factory(**kwargs: Any) -> Any:
        made.append(kwargs)
        session = boto3.Session(
            aws_access_key_id=kwargs.get("aws_access_key_id", "testing"),
            aws_secret_access_key=kwargs.get("aws_secret_access_key", "t"),
            aws_session_token=kwargs.get("aws_session_token"),
            region_name=kwargs["region_name"],
        )
        return Endpointed(aws.url, session)

    config = {
        "aws:region": "eu-west-1",
        "aws:profile": "team-a",
        "aws:assumeRoles": '[{"roleArn": "arn:aws:iam::111111111111:role/deploy"}]',
    }
    session = verify.session_for(config, session_factory=factory)
    assert made[0] == {"profile_name": "team-a", "region_name": "eu-west-1"}
    assert made[1]["aws_access_key_id"].startswith("ASIA") and made[1]["region_name"] == "eu-west-1"
    assert session.session.region_name == "eu-west-1"


def test_every_hop_shares_one_deadline() -> None:
    now = {"t": 0.0}

    def sleep(seconds: float) -> None:
        now["t"] += seconds

    def settling(name: str) -> Any:
        return lambda: Hop(name, False, "pending", settled=False)

    hops = verify.run_checks(
        [(f"hop {i}", settling(f"hop {i}")) for i in range(4)],
        deadline=60.0,
        sleep=sleep,
        clock=lambda: now["t"],
    )
    # Four hops still settling: all reported failed, in about the one minute given, not four.
    assert [h.ok for h in hops] == [False] * 4
    assert 60.0 <= now["t"] < 70.0


class OutputsOnly:
    def __init__(self, outputs: dict[str, dict[str, Any]]) -> None:
        self._outputs = outputs

    def outputs(self, stack: str) -> dict[str, Any]:
        return self._outputs.get(stack, {})

    def get_config(self, stack: str) -> dict[str, str]:
        return {}


def test_verify_before_the_first_up_says_so() -> None:
    with pytest.raises(verify.VerifyError) as caught:
        verify.verify_rollout(OutputsOnly({}), "provider", ("consumer",), io.StringIO(), 1.0)
    assert str(caught.value) == (
        "stack provider has no output endpointServiceId, clusterName yet: deploy it first "
        "(`python -m xacct_ops up`)"
    )


def test_an_account_verify_cannot_sign_in_to_is_named() -> None:
    with pytest.raises(verify.VerifyError) as caught:
        verify.account_session("consumer", {"aws:profile": "no-such-profile-xacct"})
    assert str(caught.value).startswith(
        "cannot sign in to the account of stack consumer (aws:profile=no-such-profile-xacct): "
        "The config profile (no-such-profile-xacct) could not be found"
    )


def test_the_rollout_is_verified_stack_by_stack(aws: Endpointed, world: dict[str, str]) -> None:
    provider = {
        keys.ENDPOINT_SERVICE_ID: "vpce-svc-0123456789abcdef0",
        keys.CLUSTER_NAME: "xacct-eks",
        keys.PROVIDER_NLB_ARN: world["nlb"],
    }
    consumer = {
        keys.INTERFACE_ENDPOINT_ID: world["endpoint"],
        keys.CONSUMER_REGION: "us-east-1",
        keys.INVOKE_URL: "http://127.0.0.1:1/v1",
        keys.API_AUTHORIZATION: "none",
        keys.VPC_LINK_ID: world["link_v2"],
        keys.CONSUMER_NLB_ARN: world["nlb"],
    }

    class Deployed(OutputsOnly):
        def get_config(self, stack: str) -> dict[str, str]:
            return {"xacct:deployWorkload": "false"} if stack == "provider" else {}

    out = io.StringIO()
    failed = verify.verify_rollout(
        Deployed({"provider": provider, "consumer": consumer}),
        "provider",
        ("consumer",),
        out,
        0.1,
        session=lambda stack, config: aws,
    )
    text = out.getvalue()
    assert text.startswith("\nconsumer:\nhop ")  # the provider has no pods to check
    assert "interface endpoint (A)" in text and "HTTPS through the API" in text
    # moto has no DescribeVpcEndpointConnections, and nothing listens on the invoke URL.
    assert failed == 2


@pytest.fixture(scope="module")
def directory(aws: Endpointed) -> str:
    """The HTTP front's Cloud Map service with two endpoint IPs registered; its ARN."""
    cloudmap = aws.client("servicediscovery")
    operation = cloudmap.create_http_namespace(Name="xacct-endpoints")["OperationId"]
    namespace = cloudmap.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    service = cloudmap.create_service(Name="endpoint", NamespaceId=namespace, Type="HTTP")[
        "Service"
    ]
    for ip in ("10.0.0.10", "10.0.1.10"):
        cloudmap.register_instance(
            ServiceId=service["Id"],
            InstanceId=ip,
            Attributes={"AWS_INSTANCE_IPV4": ip, "AWS_INSTANCE_PORT": "443"},
        )
    return str(service["Arn"])


def test_the_directory_must_list_exactly_the_endpoint_ips(aws: Endpointed, directory: str) -> None:
    cloudmap = aws.client("servicediscovery")
    ok = verify.check_directory(cloudmap, directory, ["10.0.1.10", "10.0.0.10"])
    assert ok.ok and ok.detail == "2 instances: 10.0.0.10, 10.0.1.10"
    on_port = verify.check_directory(cloudmap, directory, ["10.0.0.10", "10.0.1.10"], 443)
    assert on_port.ok
    moved = verify.check_directory(cloudmap, directory, ["10.0.0.10", "10.0.1.10"], 8443)
    assert not moved.ok
    assert moved.detail.startswith("instances on port 443, the provider listens on 8443")
    stale = verify.check_directory(cloudmap, directory, ["10.0.0.10", "10.0.2.10"])
    assert not stale.ok
    assert stale.detail == "lists 10.0.0.10, 10.0.1.10, the endpoint has 10.0.0.10, 10.0.2.10"


def test_verify_consumer_with_the_http_front_checks_cloud_map_not_an_nlb(
    aws: Endpointed, world: dict[str, str], directory: str, api: str
) -> None:
    consumer_outputs = {
        keys.INTERFACE_ENDPOINT_ID: world["endpoint"],
        keys.VPC_LINK_ID: world["link_v2"],
        keys.FRONTEND: "http",
        keys.CONSUMER_NLB_ARN: None,
        keys.CLOUD_MAP_SERVICE_ARN: directory,
        keys.ENDPOINT_IPS: ["10.0.0.10", "10.0.1.10"],
        # With a custom domain whose execute-api URL is off, only apiUrl answers.
        keys.INVOKE_URL: "http://127.0.0.1:9/v1",
        keys.API_URL: api,
        keys.API_AUTHORIZATION: "iam",
        keys.CONSUMER_REGION: "us-east-1",
    }
    hops = verify.verify_consumer(
        Accounts(provider=aws, consumer=aws),
        {keys.ENDPOINT_SERVICE_ID: world["service"], keys.PROVIDER_NLB_ARN: world["nlb"]},
        consumer_outputs,
        {"xacct:vpcLinkVersion": "v1"},  # the HTTP front links with v2 whatever this says
        timeout=0,
        sleep=lambda s: None,
    )
    assert [h.name for h in hops] == [
        "endpoint connection accepted (B)",
        "interface endpoint (A)",
        "VPC link v2 (A)",
        "Cloud Map lists the endpoint IPs (A)",
        "NLB targets healthy (B)",
        "HTTPS through the API",
    ]
    assert [h.ok for h in hops][1:] == [True, True, True, True, True]
