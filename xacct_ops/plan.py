"""`plan`: both stack programs run offline on the recording mocks, in rollout order, from the
real stack files. Prints each stack's resource tree by component, counts, exports and the policy
gate's result, and writes a Mermaid diagram of the data path. No Pulumi CLI, no AWS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from components import outputs as keys
from policy.offline import Violation, evaluate
from xacct_ops import PROJECT_DIR, policy_config_file
from xacct_ops.mocks import (
    AZS_BY_ACCOUNT,
    CONSUMER_ACCOUNT,
    PROVIDER_ACCOUNT,
    FakeAccount,
    ProgramRun,
    Registration,
    run_program,
)

QUALIFIER = "organization/xacct"


@dataclass
class PlannedStack:
    title: str
    stack: str
    run: ProgramRun
    violations: list[Violation]


def stack_config(stack: str, fallback: str) -> dict[str, Any]:
    """The stack file's `xacct:*` settings (Pulumi.<stack>.yaml, else the fallback file)."""
    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    if not path.exists():
        path = PROJECT_DIR / f"Pulumi.{fallback}.yaml"
    values = (yaml.safe_load(path.read_text()) or {}).get("config", {})
    return {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("xacct:")}


def _policy_config(role: str) -> dict[str, Any]:
    import json

    path = PROJECT_DIR / policy_config_file(role)
    return json.loads(path.read_text()) if path.exists() else {}


def build_plan(
    provider: str = "provider", consumers: tuple[str, ...] = ("consumer",)
) -> list[PlannedStack]:
    provider_config = stack_config(provider, "provider")
    consumer_accounts = list(provider_config.get("consumerAccountIds") or []) or [CONSUMER_ACCOUNT]
    provider_account = FakeAccount(
        account_id=PROVIDER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[PROVIDER_ACCOUNT])
    )
    first = run_program(provider_config, account=provider_account, stack_name=provider)
    plans = [
        PlannedStack(
            f"{provider} (1st up: publish the service)",
            provider,
            first,
            evaluate(first.registrations, _policy_config("provider")),
        )
    ]
    consumer_exports: dict[str, dict[str, Any]] = {}
    for index, consumer in enumerate(consumers):
        account = FakeAccount(
            account_id=consumer_accounts[index % len(consumer_accounts)],
            azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT]),
        )
        config = stack_config(consumer, "consumer")
        run = run_program(
            config,
            account=account,
            stack_name=consumer,
            stacks={config["providerStack"]: first.exports},
        )
        consumer_exports[f"{QUALIFIER}/{consumer}"] = run.exports
        plans.append(
            PlannedStack(
                f"{consumer} (up: endpoint, NLB, VPC link, API)",
                consumer,
                run,
                evaluate(run.registrations, _policy_config("consumer")),
            )
        )
    accepting = {**provider_config, "consumerStacks": list(consumer_exports)}
    second = run_program(
        accepting, account=provider_account, stack_name=provider, stacks=consumer_exports
    )
    plans.append(
        PlannedStack(
            f"{provider} (2nd up: accept the consumer endpoints)",
            provider,
            second,
            evaluate(second.registrations, _policy_config("provider")),
        )
    )
    return plans


def _tree(run: ProgramRun, out: TextIO) -> None:
    children: dict[str, list[Registration]] = {}
    urns = {r.urn for r in run.registrations}
    for r in run.registrations:
        children.setdefault(r.parent if r.parent in urns else "", []).append(r)

    def show(parent: str, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            below = children.get(r.urn)
            count = f"  ({_count(r.urn, children)} resources)" if below else ""
            out.write(f"{'  ' * depth}{r.type}  {r.name}{count}\n")
            show(r.urn, depth + 1)

    show("", 1)


def _count(urn: str, children: dict[str, list[Registration]]) -> int:
    return sum(1 + _count(c.urn, children) for c in children.get(urn, []))


def print_plan(plans: list[PlannedStack], out: TextIO) -> int:
    """Print the plan; return the number of mandatory violations."""
    blocked = 0
    for plan in plans:
        run = plan.run
        custom = [r for r in run.registrations if r.custom]
        out.write(f"\n=== {plan.title}\n")
        out.write(
            f"resources: {len(run.registrations)} ({len(custom)} cloud resources, "
            f"{len(run.registrations) - len(custom)} components)\n"
        )
        _tree(run, out)
        by_service = Counter(r.type.split(":")[1].split("/")[0] for r in custom)
        out.write(
            "by service: " + ", ".join(f"{k} {v}" for k, v in sorted(by_service.items())) + "\n"
        )
        out.write("exports:\n")
        for key, value in run.exports.items():
            out.write(f"  {key} = {value}\n")
        mandatory = [v for v in plan.violations if v.level == "mandatory"]
        advisory = [v for v in plan.violations if v.level != "mandatory"]
        blocked += len(mandatory)
        out.write(
            f"policy gate: {'PASS' if not mandatory else 'BLOCKED'} "
            f"({len(mandatory)} mandatory, {len(advisory)} advisory)\n"
        )
        for v in mandatory + advisory:
            out.write(f"  {v.level:9} {v.policy}: {v.message}\n")
    return blocked


def mermaid(plans: list[PlannedStack]) -> str:
    """The data path with the names and values this plan resolved."""
    provider = plans[-1].run.exports
    lines = ["flowchart LR", '  client(["client"]) -- "HTTPS" --> api0']
    for index, plan in enumerate(p for p in plans[1:-1]):
        e = plan.run.exports
        lines += [
            f'  subgraph A{index}["consumer {plan.stack}: account {e[keys.CONSUMER_ACCOUNT_ID]}"]',
            f'    api{index}["REST API stage {e[keys.STAGE_NAME]}<br/>auth: '
            f'{e[keys.API_AUTHORIZATION]}"] -- "VPC link {e[keys.VPC_LINK_ID]}" --> nlbA{index}',
            f'    nlbA{index}["internal NLB<br/>TCP {provider[keys.LISTENER_PORT]}"] -- '
            f'"IP targets {", ".join(e[keys.ENDPOINT_IPS])}" --> vpce{index}',
            f'    vpce{index}["interface endpoint<br/>{e[keys.INTERFACE_ENDPOINT_ID]}"]',
            "  end",
            f'  vpce{index} == "PrivateLink" ==> svc',
        ]
    lines += [
        f'  subgraph B["provider: account {provider[keys.PROVIDER_ACCOUNT_ID]}"]',
        f'    svc["endpoint service<br/>{provider[keys.ENDPOINT_SERVICE_NAME]}<br/>AZ IDs '
        f'{", ".join(provider[keys.SERVICE_AZ_IDS])}"] --> nlbB',
        f'    nlbB["internal NLB<br/>TLS {provider[keys.LISTENER_PORT]} '
        f'{provider[keys.TLS_SERVER_NAME]}"] --> eks',
        f'    eks["EKS {provider[keys.CLUSTER_NAME]}<br/>NodePort Service"]',
        "  end",
    ]
    return "\n".join(lines) + "\n"


def run_plan(out: TextIO, provider: str, consumers: tuple[str, ...], diagram: Path) -> int:
    plans = build_plan(provider, consumers)
    blocked = print_plan(plans, out)
    diagram.parent.mkdir(parents=True, exist_ok=True)
    diagram.write_text(mermaid(plans))
    out.write(f"\nMermaid diagram of the data path: {diagram}\n")
    out.write(f"plan: {len(plans)} stack runs, {blocked} mandatory policy violation(s)\n")
    return 1 if blocked else 0
