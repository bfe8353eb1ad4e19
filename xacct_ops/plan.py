"""`plan`: both stack programs run offline on the recording mocks, in rollout order, from the
real stack files. Prints each stack's resource tree by component, counts, exports and the policy
gate's result, and writes a Mermaid diagram of the data path. No Pulumi CLI, no AWS.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from components import outputs as keys
from components.errors import StackError
from components.settings import unknown_aws_keys
from policy.offline import Violation, evaluate
from xacct_ops import PROJECT_DIR
from xacct_ops.aws_rules import Breach, check
from xacct_ops.gate import gate_config
from xacct_ops.offline_engine import (
    CONSUMER_ACCOUNT,
    PROVIDER_ACCOUNT,
    REGIONS,
    FakeAccount,
    ProgramRun,
    Registration,
    fake_azs,
    run_program,
)

QUALIFIER = "organization/xacct"


@dataclass
class PlannedStack:
    title: str
    stack: str
    run: ProgramRun
    violations: list[Violation]
    breaches: list[Breach]


@dataclass(frozen=True)
class StackFile:
    """A stack's settings as `pulumi up -s <stack>` reads them from Pulumi.<stack>.yaml."""

    stack: str
    config: dict[str, Any]
    """`xacct:` keys without their namespace, other namespaces (`aws:`) with theirs."""
    region: str


def read_stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> StackFile:
    """The named stack's file, or a StackError naming the stacks that have one."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        found = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml")
        )
        raise StackError(
            f"stack {stack!r}: there is no {path.name} in {project_dir}; the plan reads the "
            f"settings `pulumi up -s {stack}` would read. Stacks with a file: {', '.join(found)}"
        )
    values = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    config = {(k.split(":", 1)[1] if k.startswith("xacct:") else k): v for k, v in values.items()}
    region = str(
        config.get("aws:region")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or ""
    )
    if not region:
        typos = unknown_aws_keys(k.split(":", 1)[1] for k in config if k.startswith("aws:"))
        raise StackError(
            f"{path.name}: aws:region is not set (nor AWS_REGION): pulumi-aws needs a region, "
            f"and so does the plan; `pulumi config set aws:region <region> -s {stack}`"
            + "".join(f"\n  - {typo}" for typo in typos)
        )
    if region not in REGIONS:
        raise StackError(
            f"{path.name}: aws:region {region!r} is not an AWS region the offline plan knows: "
            f"{', '.join(sorted(REGIONS))}"
        )
    return StackFile(stack=stack, config=config, region=region)


def _planned(
    title: str, stack: str, run: ProgramRun, role: str, settings: dict[str, Any], account: str
) -> PlannedStack:
    """The run judged by the gate the rollout would apply (xacct_ops/gate.py) and by AWS's
    create-time rules."""
    gate = gate_config(role, settings, account=account)
    violations = evaluate(run.registrations, gate)
    return PlannedStack(title, stack, run, violations, check(run.registrations))


def build_plan(
    provider: str = "provider",
    consumers: tuple[str, ...] = ("consumer",),
    project_dir: Path = PROJECT_DIR,
) -> list[PlannedStack]:
    provider_file = read_stack_file(provider, project_dir)
    consumer_files = [read_stack_file(c, project_dir) for c in consumers]
    provider_config = provider_file.config
    consumer_accounts = list(provider_config.get("consumerAccountIds") or []) or [CONSUMER_ACCOUNT]
    provider_account = FakeAccount(
        account_id=PROVIDER_ACCOUNT,
        region=provider_file.region,
        azs=fake_azs(provider_file.region, PROVIDER_ACCOUNT),
    )
    first = run_program(provider_config, account=provider_account, stack_name=provider)
    plans = [
        _planned(
            f"{provider} (1st up: publish the service)",
            provider,
            first,
            "provider",
            provider_config,
            PROVIDER_ACCOUNT,
        )
    ]
    consumer_exports: dict[str, dict[str, Any]] = {}
    for index, file in enumerate(consumer_files):
        account = FakeAccount(
            account_id=consumer_accounts[index % len(consumer_accounts)],
            region=file.region,
            azs=fake_azs(file.region, CONSUMER_ACCOUNT),
        )
        # Without xacct:providerStack the program reports it as required.
        provider_stack = file.config.get("providerStack") or f"{QUALIFIER}/{provider}"
        run = run_program(
            file.config,
            account=account,
            stack_name=file.stack,
            stacks={provider_stack: first.exports},
        )
        consumer_exports[f"{QUALIFIER}/{file.stack}"] = run.exports
        plans.append(
            _planned(
                f"{file.stack} (up: endpoint, NLB, VPC link, API)",
                file.stack,
                run,
                "consumer",
                file.config,
                account.account_id,
            )
        )
    accepting = {**provider_config, "consumerStacks": list(consumer_exports)}
    second = run_program(
        accepting, account=provider_account, stack_name=provider, stacks=consumer_exports
    )
    plans.append(
        _planned(
            f"{provider} (2nd up: accept the consumer endpoints)",
            provider,
            second,
            "provider",
            accepting,
            PROVIDER_ACCOUNT,
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


def print_plan(plans: list[PlannedStack], out: TextIO) -> tuple[int, int]:
    """Print the plan; return the numbers of mandatory violations and AWS rule breaches."""
    blocked = breaches = 0
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
        out.write(
            f"AWS create-time rules: {'PASS' if not plan.breaches else 'FAIL'} "
            f"({len(plan.breaches)} breach(es))\n"
        )
        for breach in plan.breaches:
            out.write(f"  {breach}\n")
        breaches += len(plan.breaches)
    return blocked, breaches


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


def run_plan(
    out: TextIO,
    provider: str,
    consumers: tuple[str, ...],
    diagram: Path,
    project_dir: Path = PROJECT_DIR,
) -> int:
    try:
        plans = build_plan(provider, consumers, project_dir)
    except StackError as error:
        out.write(f"error: {error}\n")
        return 2
    blocked, breaches = print_plan(plans, out)
    diagram.parent.mkdir(parents=True, exist_ok=True)
    diagram.write_text(mermaid(plans))
    out.write(f"\nMermaid diagram of the data path: {diagram}\n")
    out.write(
        f"plan: {len(plans)} stack runs, {blocked} mandatory policy violation(s), {breaches} "
        "AWS create-time breach(es)\n"
    )
    return 1 if blocked or breaches else 0
