"""The URNs of every stack variant, as recorded before the layout moved (tests/data/urns.json),
and every URN a run's resources are known by: their own and their aliases', with the aliases a
child inherits from its parent's (as the engine derives them).

    venv/bin/python -m tests.support.urns     # record the current URNs (only before a move)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG
from tests.support.program import Run, run_program
from tests.support.variants import consumer_variant, provider_variant
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, FakeAccount, engine_urn

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "urns.json"
TEAM_B_ACCOUNT = "333333333333"


def accepting_two_consumers() -> Run:
    """The provider's second `up`, accepting the endpoints of two consumer stacks."""
    team_a = consumer_variant("default").exports
    team_b = run_program(
        CONSUMER_CONFIG,
        account=FakeAccount(account_id=TEAM_B_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT])),
        stacks={"organization/xacct/provider": provider_variant("default").exports},
        stack_name="consumer-b",
    ).exports
    consumers = {"organization/xacct/team-a": team_a, "organization/xacct/team-b": team_b}
    config = {
        **PROVIDER_CONFIG,
        "consumerAccountIds": [CONSUMER_ACCOUNT, TEAM_B_ACCOUNT],
        "consumerStacks": list(consumers),
    }
    return run_program(config, stacks=consumers, stack_name="provider")


STACKS: dict[str, Callable[[], Run]] = {
    **{
        f"provider/{variant}": (lambda v=variant: provider_variant(v))  # type: ignore[misc]
        for variant in (
            "default",
            "ip-targets-irsa",
            "ip-targets-pod-identity",
            "existing-network",
            "existing-network-and-cluster",
            "existing-cluster-ip-targets",
            "monitoring-off",
            "cloudtrail",
            "tls-passthrough",
        )
    },
    "provider/accepting-two-consumers": accepting_two_consumers,
    **{
        f"consumer/{variant}": (lambda v=variant: consumer_variant(v))  # type: ignore[misc]
        for variant in ("default", "vpc-link-v1", "api-key", "monitoring-off")
    },
}
"""Each stack variant whose URNs are kept: the defaults, ip mode, existing VPC and cluster,
monitoring off, the trail on, two consumers accepted, both VPC link versions."""


def known_as(run: Run) -> set[str]:
    """Every URN the run's resources answer to: their own, their aliases, and the aliases a
    child inherits from each name its parent had (the engine derives those)."""
    by_urn = {r.urn: r for r in run.registrations}
    names: dict[str, set[str]] = {}

    def former(urn: str) -> set[str]:
        if urn not in names:
            record = by_urn[urn]
            found = set(record.aliases)
            if record.parent in by_urn:
                stack, project = urn.split("::")[0].removeprefix("urn:pulumi:"), urn.split("::")[1]
                for old_parent in former(record.parent):
                    found.add(engine_urn(stack, project, old_parent, record.type, record.name))
            names[urn] = found
        return names[urn]

    return set(by_urn) | {old for urn in by_urn for old in former(urn)}


def record() -> None:
    urns = {stack: sorted(r.urn for r in run().registrations) for stack, run in STACKS.items()}
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(urns, indent=1) + "\n")
    print(f"{FIXTURE}: {sum(map(len, urns.values()))} URNs of {len(urns)} stack variants")


if __name__ == "__main__":
    record()
