"""The rollout's preflight on API Gateway's region-wide CloudWatch role (botocore's Stubber in
place of AWS): one stack per account and region sets it, none takes over a role set elsewhere,
and a stack that does not set it finds one set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from xacct_ops.preflight import api_gateway_logging

ROLE = "arn:aws:iam::111111111111:role/xacct-api-cloudwatch-1a2b3c4"


class AccountSession:
    """A consumer account whose API Gateway settings hold `role` (or none)."""

    def __init__(self, account: str, role: str | None) -> None:
        self.account, self.role = account, role
        self.region_name = "us-east-1"
        self._session = boto3.Session(
            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x", region_name="us-east-1"
        )

    def client(self, name: str, **kwargs: Any) -> Any:
        client = self._session.client(name, **kwargs)
        stub = Stubber(client)
        if name == "sts":
            stub.add_response(
                "get_caller_identity",
                {
                    "Account": self.account,
                    "Arn": f"arn:aws:iam::{self.account}:role/d",
                    "UserId": "x",
                },
            )
        else:
            stub.add_response("get_account", {"cloudwatchRoleArn": self.role} if self.role else {})
        stub.activate()
        return client


class Consumers:
    def __init__(self, configs: dict[str, dict[str, str]], outputs: dict[str, Any] | None = None):
        self.configs, self._outputs = configs, outputs or {}

    def get_config(self, stack: str) -> dict[str, str]:
        return {"aws:region": "us-east-1", **self.configs[stack]}

    def outputs(self, stack: str) -> dict[str, Any]:
        return self._outputs.get(stack, {})


def problems(
    configs: dict[str, dict[str, str]],
    role: str | None,
    outputs: dict[str, Any] | None = None,
    accounts: dict[str, str] | None = None,
) -> list[str]:
    return api_gateway_logging(
        Consumers(configs, outputs),
        tuple(configs),
        frozenset(),
        Path("."),
        lambda stack, _config: AccountSession((accounts or {}).get(stack, "111111111111"), role),
    )


OFF = {"xacct:manageApiGatewayAccount": "false"}


def test_one_stack_setting_the_role_of_a_fresh_region_is_fine() -> None:
    assert problems({"team-a": {}, "team-b": OFF}, role=None) == []


def test_the_stack_that_set_the_role_keeps_managing_it() -> None:
    outputs = {
        "team-a": {
            "retainedOnDestroy": ["IAM role xacct-api-cloudwatch-1a2b3c4 (API Gateway logging)"]
        }
    }
    assert problems({"team-a": {}}, role=ROLE, outputs=outputs) == []


def test_two_stacks_of_one_account_and_region_must_not_both_set_it() -> None:
    assert problems({"team-a": {}, "team-b": {}}, role=None) == [
        "team-a and team-b would both set the API Gateway CloudWatch role of account "
        "111111111111 in us-east-1 (xacct:manageApiGatewayAccount): keep it true on one of them"
    ]


def test_http_front_stacks_neither_set_nor_need_the_role() -> None:
    http = {"xacct:frontend": "http"}
    # Left at its default (true), manageApiGatewayAccount does nothing on an HTTP API stack.
    assert problems({"team-a": {}, "team-b": http}, role=None) == []
    assert problems({"team-b": http}, role=None) == []
    assert problems({"team-b": {**http, **OFF}}, role=ROLE) == []


def test_stacks_in_different_accounts_each_set_their_own() -> None:
    accounts = {"team-a": "111111111111", "team-b": "333333333333"}
    assert problems({"team-a": {}, "team-b": {}}, role=None, accounts=accounts) == []


def test_a_role_set_elsewhere_is_not_taken_over() -> None:
    assert problems({"team-a": {}}, role=ROLE) == [
        f"team-a: the API Gateway CloudWatch role of account 111111111111 in us-east-1 is "
        f"already set ({ROLE}), not by this stack: set xacct:manageApiGatewayAccount false on "
        "team-a (its stage logs through that role)"
    ]


def test_a_stack_that_does_not_set_it_needs_one_set() -> None:
    assert problems({"team-a": OFF}, role=None) == [
        "team-a: no API Gateway CloudWatch role is set in account 111111111111 in us-east-1, "
        "and no stack here sets it (xacct:manageApiGatewayAccount false): the stage could not "
        "log; set it true on one stack of that account and region"
    ]
    assert problems({"team-a": OFF}, role=ROLE) == []


def test_a_stack_to_be_created_is_read_from_its_file(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.team-c.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  xacct:manageApiGatewayAccount: false\n"
    )
    found = api_gateway_logging(
        Consumers({}),
        ("team-c",),
        frozenset({"team-c"}),
        tmp_path,
        lambda stack, _config: AccountSession("111111111111", None),
    )
    assert found and found[0].startswith("team-c: no API Gateway CloudWatch role is set")


@pytest.mark.parametrize("value", ["false", "False"])
def test_false_in_any_case_means_not_managed(value: str) -> None:
    assert problems({"team-a": {"xacct:manageApiGatewayAccount": value}}, role=ROLE) == []
