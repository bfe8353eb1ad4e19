"""Closing the loop: the provider reads each listed consumer stack's exports and accepts exactly
those endpoints, only for allowed accounts. One provider, two consumers in two accounts."""

from __future__ import annotations

from typing import Any

import pytest

from components import outputs as keys
from components.endpoint_service import AcceptanceError
from components.stack_link import StackLinkError
from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG
from tests.support.program import Run, run_program
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, FakeAccount, Registration

PROVIDER_STACK = "organization/xacct/provider"
TEAM_A = "organization/xacct/consumer-team-a"
TEAM_B = "organization/xacct/consumer-team-b"
TEAM_B_ACCOUNT = "333333333333"
ACCEPTER = "aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter"
TWO_ACCOUNTS = {**PROVIDER_CONFIG, "consumerAccountIds": [CONSUMER_ACCOUNT, TEAM_B_ACCOUNT]}


def consumer_exports(provider: Run, account_id: str, stack: str) -> dict[str, Any]:
    account = FakeAccount(account_id=account_id, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT]))
    return run_program(
        CONSUMER_CONFIG,
        account=account,
        stacks={PROVIDER_STACK: provider.exports},
        stack_name=stack.rsplit("/", 1)[1],
    ).exports


@pytest.fixture(scope="module")
def first_provider_run() -> Run:
    return run_program(TWO_ACCOUNTS, stack_name="provider")


@pytest.fixture(scope="module")
def consumers(first_provider_run: Run) -> dict[str, dict[str, Any]]:
    return {
        TEAM_A: consumer_exports(first_provider_run, CONSUMER_ACCOUNT, TEAM_A),
        TEAM_B: consumer_exports(first_provider_run, TEAM_B_ACCOUNT, TEAM_B),
    }


def accept(consumers: dict[str, dict[str, Any]], **config: Any) -> Run:
    return run_program(
        {**TWO_ACCOUNTS, "consumerStacks": list(consumers), **config},
        stacks=consumers,
        stack_name="provider",
    )


def test_first_provider_run_accepts_nothing(first_provider_run: Run) -> None:
    assert not first_provider_run.of_type(ACCEPTER)
    assert first_provider_run.exports[keys.ACCEPTED_ENDPOINT_IDS] == []


def test_provider_accepts_exactly_the_endpoints_its_consumer_stacks_export(
    consumers: dict[str, dict[str, Any]],
) -> None:
    run = accept(consumers)
    service = run.one("aws:ec2/vpcEndpointService:VpcEndpointService")
    accepted = {
        (a.inputs["vpcEndpointId"], a.inputs["vpcEndpointServiceId"]) for a in run.of_type(ACCEPTER)
    }
    expected = {(c[keys.INTERFACE_ENDPOINT_ID], service.id) for c in consumers.values()}
    assert accepted == expected and len(expected) == 2
    assert sorted(run.exports[keys.ACCEPTED_ENDPOINT_IDS]) == sorted(e for e, _ in expected)
    refs = {r.inputs["name"] for r in run.of_type("pulumi:pulumi:StackReference")}
    assert refs == {TEAM_A, TEAM_B}


def test_provider_keys_read_from_consumers_are_what_consumers_export(
    consumers: dict[str, dict[str, Any]],
) -> None:
    for exports in consumers.values():
        assert set(keys.CONSUMER_KEYS_READ_BY_PROVIDER) <= set(exports)


def test_endpoint_from_an_account_not_allowed_is_refused(
    consumers: dict[str, dict[str, Any]],
) -> None:
    seen: list[Registration] = []
    with pytest.raises(AcceptanceError) as caught:
        run_program(
            {**PROVIDER_CONFIG, "consumerStacks": list(consumers)},  # team B's account is absent
            stacks=consumers,
            registrations=seen,
        )
    message = str(caught.value)
    assert (
        f"stack {TEAM_B!r} is in account {TEAM_B_ACCOUNT}, which is not an allowed principal of "
        f"the endpoint service (allowed accounts: {CONSUMER_ACCOUNT}); add it to "
        "xacct:consumerAccountIds or remove the stack from xacct:consumerStacks"
    ) in message
    assert not [r for r in seen if r.type == ACCEPTER]


def test_a_role_principal_allows_its_account(consumers: dict[str, dict[str, Any]]) -> None:
    run = accept(
        consumers,
        consumerAccountIds=[CONSUMER_ACCOUNT],
        consumerRoleArns=[f"arn:aws:iam::{TEAM_B_ACCOUNT}:role/apigw"],
    )
    assert len(run.of_type(ACCEPTER)) == 2


def test_consumer_stack_not_deployed_yet_is_named(consumers: dict[str, dict[str, Any]]) -> None:
    stacks = {TEAM_A: consumers[TEAM_A], TEAM_B: {}}
    with pytest.raises(StackLinkError) as caught:
        run_program({**TWO_ACCOUNTS, "consumerStacks": [TEAM_A, TEAM_B]}, stacks=stacks)
    assert (
        f"stack {TEAM_B!r} has no output 'interfaceEndpointId', 'consumerAccountId': run "
        f"`pulumi up` on {TEAM_B} first, or remove it from xacct:consumerStacks"
    ) in str(caught.value)


def test_every_stack_that_cannot_be_read_is_named_in_one_error_before_anything_is_declared(
    consumers: dict[str, dict[str, Any]],
) -> None:
    seen: list[Registration] = []
    with pytest.raises(StackLinkError) as caught:
        run_program(
            {**TWO_ACCOUNTS, "consumerStacks": [TEAM_A, TEAM_B]},
            stacks={TEAM_A: {}, TEAM_B: {keys.CONSUMER_ACCOUNT_ID: TEAM_B_ACCOUNT}},
            registrations=seen,
        )
    assert str(caught.value) == (
        "2 stacks cannot be read:\n"
        f"  - stack {TEAM_A!r} has no output 'interfaceEndpointId', 'consumerAccountId': run "
        f"`pulumi up` on {TEAM_A} first, or remove it from xacct:consumerStacks\n"
        f"  - stack {TEAM_B!r} has no output 'interfaceEndpointId': run "
        f"`pulumi up` on {TEAM_B} first, or remove it from xacct:consumerStacks"
    )
    assert {r.type for r in seen} == {"pulumi:pulumi:StackReference"}


def test_every_consumer_stack_is_read_at_once_not_one_after_another(
    consumers: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read one at a time, a provider with 1,000 consumer stacks waits for 1,000 round trips
    # to the backend in a row; read at once, for one round.
    import pulumi

    from components import stack_link

    real = pulumi.runtime.invoke_async
    reading: list[str] = []
    most_at_once = 0

    async def counting(token: str, args: dict[str, Any], *rest: Any, **kw: Any) -> Any:
        nonlocal most_at_once
        reading.append(args["name"])
        most_at_once = max(most_at_once, len(reading))
        try:
            return await real(token, args, *rest, **kw)
        finally:
            reading.remove(args["name"])

    monkeypatch.setattr(stack_link.pulumi.runtime, "invoke_async", counting)
    many = {f"{TEAM_A}-{i}": consumers[TEAM_A] for i in range(1, 6)}
    with pytest.raises(AcceptanceError, match="export the same endpoint"):
        accept(many)
    assert most_at_once == len(many)


def test_malformed_or_duplicate_endpoint_ids_are_refused(
    consumers: dict[str, dict[str, Any]],
) -> None:
    twin = {
        **consumers[TEAM_B],
        keys.INTERFACE_ENDPOINT_ID: consumers[TEAM_A][keys.INTERFACE_ENDPOINT_ID],
    }
    with pytest.raises(AcceptanceError, match=r"stacks '.*team-a' and '.*team-b' export the same"):
        accept({TEAM_A: consumers[TEAM_A], TEAM_B: twin})
    broken = {**consumers[TEAM_B], keys.INTERFACE_ENDPOINT_ID: "endpoint-1"}
    with pytest.raises(AcceptanceError, match=r"exports endpoint id 'endpoint-1', which is not"):
        accept({TEAM_A: consumers[TEAM_A], TEAM_B: broken})
