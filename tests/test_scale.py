"""A provider at scale: many consumer stacks read and accepted, within what AWS takes (the
dashboard's limits). Kept apart from the other AWS-rules tests so the runs spread over workers."""

from __future__ import annotations

from xacct_ops import aws_rules


def test_a_provider_with_more_consumers_than_a_graph_holds_meets_aws_rules() -> None:
    # 501 accepted endpoints: one line each would be 501 metrics in one graph, which
    # PutDashboard refuses (at most 500).
    from components import outputs as keys
    from tests.support.configs import PROVIDER_CONFIG
    from tests.support.program import run_program

    accounts = [f"{100000000000 + i:012d}" for i in range(501)]
    stacks = {
        f"organization/xacct/consumer-{i}": {
            keys.INTERFACE_ENDPOINT_ID: f"vpce-{i:017x}",
            keys.CONSUMER_ACCOUNT_ID: account,
        }
        for i, account in enumerate(accounts)
    }
    run = run_program(
        {**PROVIDER_CONFIG, "consumerAccountIds": accounts, "consumerStacks": list(stacks)},
        stacks=stacks,
        stack_name="provider",
    )
    assert [str(b) for b in aws_rules.check(run.registrations)] == []
    body = run.one(aws_rules.DASHBOARD).inputs["dashboardBody"]
    assert "bytes by consumer endpoint (501-501)" in body
