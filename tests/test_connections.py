"""`connections`: every request to the provider's endpoint service judged against what the
stacks declare, and `--reject` turning away the unexpected pending ones, never an accepted one,
never accepting anything. moto has no DescribeVpcEndpointConnections: the EC2 calls are checked
at the boto3 boundary with botocore's Stubber (exact parameters, AWS's response shapes)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components import outputs as keys
from tests.support.fake_stacks import FakeStacks
from xacct_ops.cli import main
from xacct_ops.connections import judge, service_connections

SERVICE = "vpce-svc-0123456789abcdef0"
OURS, STRANGER, ALLOWED_OTHER = (
    "vpce-0aaaaaaaaaaaaaaaa",
    "vpce-0bbbbbbbbbbbbbbbb",
    "vpce-0cccccccccccccccc",
)
CONSUMER_ACCOUNT, FOREIGN_ACCOUNT = "111111111111", "999999999999"


def connection(endpoint: str, owner: str, state: str) -> dict[str, Any]:
    return {
        "ServiceId": SERVICE,
        "VpcEndpointId": endpoint,
        "VpcEndpointOwner": owner,
        "VpcEndpointState": state,
    }


@pytest.fixture
def ec2() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def deployed() -> FakeStacks:
    stacks = FakeStacks()
    stacks.exports = {
        "provider": {
            keys.ENDPOINT_SERVICE_ID: SERVICE,
            keys.ALLOWED_ACCOUNT_IDS: [CONSUMER_ACCOUNT],
        },
        "consumer": {keys.INTERFACE_ENDPOINT_ID: OURS},
    }
    return stacks


def described(stubber: Stubber, *connections: dict[str, Any]) -> None:
    stubber.add_response(
        "describe_vpc_endpoint_connections",
        {"VpcEndpointConnections": list(connections)},
        {"Filters": [{"Name": "service-id", "Values": [SERVICE]}]},
    )


def run(
    argv: list[str], stacks: FakeStacks, client: Any, answer: str = "", interactive: bool = True
) -> tuple[int, str]:
    out = io.StringIO()
    seen: list[str] = []

    def ec2_for(stack: str, _config: Mapping[str, str]) -> Any:
        seen.append(stack)
        return client

    code = main(
        ["connections", *argv],
        out=out,
        make_stacks=lambda _out: stacks,
        confirm=lambda _prompt: answer,
        interactive=lambda: interactive,
        ec2_for=ec2_for,
    )
    assert seen in ([], ["provider"])  # only ever the provider's account
    return code, out.getvalue()


def test_each_request_is_judged_by_account_and_exporting_stack() -> None:
    judged = judge(
        [
            connection(STRANGER, FOREIGN_ACCOUNT, "pendingAcceptance"),
            connection(OURS, CONSUMER_ACCOUNT, "available"),
            connection(ALLOWED_OTHER, CONSUMER_ACCOUNT, "pendingAcceptance"),
        ],
        [CONSUMER_ACCOUNT],
        {OURS: "consumer"},
    )
    assert [(c.endpoint_id, c.verdict, c.rejectable) for c in judged] == [
        (STRANGER, "stranger: account 999999999999 is not allowed", True),
        (
            ALLOWED_OTHER,
            "unknown: an allowed account's endpoint that no named consumer stack exports",
            True,
        ),
        (OURS, "expected (consumer)", False),
    ]


def test_every_page_is_read(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    stubber.add_response(
        "describe_vpc_endpoint_connections",
        {
            "VpcEndpointConnections": [connection(OURS, CONSUMER_ACCOUNT, "available")],
            "NextToken": "t",
        },
        {"Filters": [{"Name": "service-id", "Values": [SERVICE]}]},
    )
    stubber.add_response(
        "describe_vpc_endpoint_connections",
        {"VpcEndpointConnections": [connection(STRANGER, FOREIGN_ACCOUNT, "rejected")]},
        {"Filters": [{"Name": "service-id", "Values": [SERVICE]}], "NextToken": "t"},
    )
    assert [c["VpcEndpointId"] for c in service_connections(client, SERVICE)] == [OURS, STRANGER]


def test_only_expected_connections_exit_zero(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    described(stubber, connection(OURS, CONSUMER_ACCOUNT, "available"))
    code, out = run([], deployed(), client)
    assert code == 0
    assert f"endpoint service {SERVICE}: 1 connection request(s)" in out
    assert f"{OURS}  111111111111  available  expected (consumer)" in out


def test_a_strangers_request_is_reported_and_left_alone_without_reject(
    ec2: tuple[Any, Stubber],
) -> None:
    client, stubber = ec2
    described(stubber, connection(STRANGER, FOREIGN_ACCOUNT, "pendingAcceptance"))
    code, out = run([], deployed(), client)  # no reject call is stubbed: none may happen
    assert code == 1
    assert "stranger: account 999999999999 is not allowed" in out
    assert "1 unexpected pending request(s): `connections --reject`" in out


def test_reject_turns_away_the_unexpected_pending_requests_only(
    ec2: tuple[Any, Stubber],
) -> None:
    client, stubber = ec2
    described(
        stubber,
        connection(OURS, CONSUMER_ACCOUNT, "pendingAcceptance"),  # expected: accepted by `up`
        connection(STRANGER, FOREIGN_ACCOUNT, "pendingAcceptance"),
        connection(ALLOWED_OTHER, CONSUMER_ACCOUNT, "pendingAcceptance"),
    )
    stubber.add_response(
        "reject_vpc_endpoint_connections",
        {"Unsuccessful": []},
        {"ServiceId": SERVICE, "VpcEndpointIds": [STRANGER, ALLOWED_OTHER]},
    )
    code, out = run(["--reject"], deployed(), client, answer="reject")
    assert code == 0 and out.rstrip().endswith("rejected 2 request(s)")


def test_reject_asks_first_and_a_no_changes_nothing(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    described(stubber, connection(STRANGER, FOREIGN_ACCOUNT, "pendingAcceptance"))
    code, out = run(["--reject"], deployed(), client, answer="no")
    assert code == 1 and out.rstrip().endswith("nothing rejected")


def test_an_accepted_unexpected_connection_is_reported_never_cut(
    ec2: tuple[Any, Stubber],
) -> None:
    client, stubber = ec2
    described(stubber, connection(ALLOWED_OTHER, CONSUMER_ACCOUNT, "available"))
    code, out = run(["--reject", "--yes"], deployed(), client)
    assert code == 1
    assert (
        f"note: {ALLOWED_OTHER} (111111111111) is available: not rejected here; remove the "
        "account from xacct:consumerAccountIds, or reject it in the console on purpose"
    ) in out


def test_what_aws_does_not_reject_is_said(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    described(stubber, connection(STRANGER, FOREIGN_ACCOUNT, "pendingAcceptance"))
    stubber.add_response(
        "reject_vpc_endpoint_connections",
        {
            "Unsuccessful": [
                {
                    "ResourceId": STRANGER,
                    "Error": {"Code": "InvalidState", "Message": "already deleted"},
                }
            ]
        },
        {"ServiceId": SERVICE, "VpcEndpointIds": [STRANGER]},
    )
    code, out = run(["--reject", "--yes"], deployed(), client)
    assert code == 1
    assert f"not rejected: {STRANGER}: already deleted" in out


def test_unattended_reject_needs_yes(ec2: tuple[Any, Stubber]) -> None:
    client, _ = ec2
    code, out = run(["--reject"], deployed(), client, interactive=False)
    assert (code, out) == (
        2,
        "error: connections --reject asks for confirmation: add --yes to run it unattended\n",
    )


def test_a_provider_not_deployed_is_said_without_a_traceback(ec2: tuple[Any, Stubber]) -> None:
    client, _ = ec2
    code, out = run([], FakeStacks(), client)
    assert code == 2
    assert out.startswith("error: stack provider has no output endpointServiceId")


def test_aws_refusing_the_call_is_said(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    stubber.add_client_error(
        "describe_vpc_endpoint_connections", "UnauthorizedOperation", "not allowed"
    )
    code, out = run([], deployed(), client)
    assert code == 2 and out.startswith("error: AWS refused:")
    assert "UnauthorizedOperation" in out
