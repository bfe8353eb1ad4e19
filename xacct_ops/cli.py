"""python -m xacct_ops {plan,preview,up,destroy,verify}: the whole rollout from one command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from xacct_ops import PROJECT_DIR, policy_config_file
from xacct_ops.orchestrate import (
    PhaseError,
    PhaseInterruptedError,
    Rollout,
    Stacks,
    destroy_phases,
    gate_phases,
    run_phases,
    up_phases,
)

UNLOCK_HINT = (
    "If a later command says the stack is locked or has pending operations: `pulumi cancel -s "
    "{stack}` (Pulumi Cloud), or on a self-managed backend `pulumi stack export -s {stack} > "
    "state.json` then `pulumi stack import -s {stack} --file state.json` (which clears pending "
    "operations), then `pulumi refresh -s {stack}`."
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m xacct_ops",
        description="Roll out the provider and consumer stacks in order (Automation API).",
    )
    p.add_argument(
        "--provider-stack",
        default="provider",
        metavar="NAME",
        help="the provider stack (default: provider)",
    )
    p.add_argument(
        "--consumer-stack",
        action="append",
        metavar="NAME",
        dest="consumers",
        help="a consumer stack; repeat for several (default: consumer)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="gate, provider, consumers, accept, verify")
    up.add_argument("--from", dest="start_at", metavar="PHASE", help="resume at this phase")
    up.add_argument("--timeout", type=float, default=600.0, help="verify: seconds to wait")
    sub.add_parser("preview", help="the policy gate alone, on every stack")
    destroy = sub.add_parser("destroy", help="consumers first, then the provider")
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.add_argument("--from", dest="start_at", metavar="PHASE", help="resume at this phase")
    verify = sub.add_parser("verify", help="check every hop with boto3 and call the API")
    verify.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for states still settling"
    )
    plan = sub.add_parser("plan", help="offline: both programs on mocks, no CLI or AWS")
    plan.add_argument(
        "--diagram",
        type=Path,
        default=PROJECT_DIR / "build" / "data-path.mmd",
        help="where to write the Mermaid diagram",
    )
    return p


def rollout_of(args: argparse.Namespace) -> Rollout:
    consumers = tuple(args.consumers or ["consumer"])
    configs = {args.provider_stack: policy_config_file("provider")}
    configs.update({c: policy_config_file("consumer") for c in consumers})
    return Rollout(provider=args.provider_stack, consumers=consumers, policy_configs=configs)


def verify_all(stacks: Stacks, rollout: Rollout, out: TextIO, timeout: float) -> None:
    from xacct_ops.verify import (
        Accounts,
        format_table,
        session_for,
        verify_consumer,
        verify_provider,
    )

    provider_outputs = stacks.outputs(rollout.provider)
    provider_config = stacks.get_config(rollout.provider)
    provider_session = session_for(provider_config)
    failed = 0
    own = verify_provider(provider_session, provider_outputs, provider_config, timeout=timeout)
    if own:
        out.write(f"\n{rollout.provider}:\n{format_table(own)}\n")
        failed += sum(not h.ok for h in own)
    for consumer in rollout.consumers:
        config = stacks.get_config(consumer)
        hops = verify_consumer(
            Accounts(provider=provider_session, consumer=session_for(config)),
            provider_outputs,
            stacks.outputs(consumer),
            config,
            timeout=timeout,
            api_key=os.environ.get("XACCT_API_KEY"),
        )
        out.write(f"\n{consumer}:\n{format_table(hops)}\n")
        failed += sum(not h.ok for h in hops)
    if failed:
        raise RuntimeError(f"{failed} hop(s) failed verification")


def main(
    argv: Sequence[str] | None = None,
    out: TextIO = sys.stdout,
    make_stacks: Callable[[TextIO], Stacks] | None = None,
    confirm: Callable[[str], str] = input,
    project_dir: Path = PROJECT_DIR,
) -> int:
    args = parser().parse_args(argv)
    if args.command == "plan":
        from xacct_ops.plan import run_plan

        return run_plan(
            out,
            args.provider_stack,
            tuple(args.consumers or ["consumer"]),
            args.diagram,
            project_dir,
        )

    from xacct_ops.automation import AutomationStacks, SetupError

    rollout = rollout_of(args)
    try:
        stacks = (make_stacks or AutomationStacks)(out)
    except SetupError as error:
        out.write(f"error: {error}\n")
        return 2
    command = f"python -m xacct_ops {args.command}"
    if args.command == "up":
        phases = up_phases(stacks, rollout, lambda: verify_all(stacks, rollout, out, args.timeout))
    elif args.command == "preview":
        phases = gate_phases(stacks, rollout)
    elif args.command == "destroy":
        if not args.yes:
            names = ", ".join([*rollout.consumers, rollout.provider])
            answer = confirm(f"Destroy {names} (every resource, both accounts)? Type 'destroy': ")
            if answer.strip() != "destroy":
                out.write("nothing destroyed\n")
                return 1
        phases = destroy_phases(stacks, rollout)
    else:  # verify
        try:
            verify_all(stacks, rollout, out, args.timeout)
        except RuntimeError as error:
            out.write(f"verify: {error}\n")
            return 1
        return 0
    try:
        run_phases(phases, out, command=command, start_at=getattr(args, "start_at", None))
    except PhaseError as error:
        out.write(f"\nerror: phase '{error.phase}' failed: {error.cause}\n")
        out.write(f"fix the cause, then resume with: {error.resume}\n")
        return 1
    except PhaseInterruptedError as interrupted:
        name = interrupted.phase
        stack = (
            name.split(":", 1)[1]
            if name.startswith(("consumer:", "destroy:"))
            else (
                rollout.consumers[0] if name == f"gate:{rollout.consumers[0]}" else rollout.provider
            )
        )
        out.write(
            f"\ninterrupted during phase '{name}': Pulumi got the interrupt too and cancels "
            "the operation cleanly (resources already changed stay in the state).\n"
            f"resume with: {interrupted.resume}\n"
            f"{UNLOCK_HINT.format(stack=stack)}\n"
        )
        return 130
    except ValueError as error:  # --from names no phase
        out.write(f"error: {error}\n")
        return 2
    out.write(f"\n{args.command}: done\n")
    return 0
