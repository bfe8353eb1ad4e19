"""python -m xacct_ops {plan,preview,up,destroy,verify}: the whole rollout from one command.

What each command may change: `drift` and `preview` change nothing (drift refreshes in
memory only); `up` creates a named stack only when it does not exist and its
stack file does, and changes only the named stacks (and, in their stack files, the provider's
`consumerStacks` and each consumer's `providerStack`); `verify` changes nothing;
`destroy` destroys only the named stacks, after confirmation, and puts the provider's
`protectEndpointService` back to its default afterwards; `plan` runs offline.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from xacct_ops import PROJECT_DIR, policy_config_file
from xacct_ops.gate import gate_config, settings_of
from xacct_ops.orchestrate import (
    Phase,
    PhaseAbortedError,
    PhaseError,
    PhaseInterruptedError,
    Rollout,
    StackCheckError,
    Stacks,
    check_stacks,
    destroy_phases,
    drift_phases,
    gate_phases,
    run_phases,
    up_phases,
)
from xacct_ops.preflight import stack_config

PHASES = {
    "up": "gate:<provider>, provider, then gate:<c>, consumer:<c> for each consumer, "
    "gate:accept, accept, gate:dns:<c>, dns:<c> for each consumer with xacct:privateDns, verify",
    "destroy": "destroy:<c> for each consumer, unprotect, destroy:<provider>, restore",
}


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _account_id(value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an AWS account id (12 digits)")
    return value


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
    p.add_argument(
        "--summary",
        type=Path,
        default=PROJECT_DIR / "build" / "rollout-summary.json",
        metavar="FILE",
        help="where each run writes its machine-readable summary (JSON)",
    )
    p.add_argument(
        "--organization",
        metavar="ORG",
        help="Pulumi Cloud: the organization owning the stacks, for stack references "
        "(default: the backend's default organization)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="gate, provider, consumers, accept, verify")
    up.add_argument("--from", dest="start_at", metavar="PHASE", help=f"resume at: {PHASES['up']}")
    up.add_argument("--timeout", type=_seconds, default=600.0, help="verify: seconds to wait")
    sub.add_parser("preview", help="the policy gate alone, on every stack")
    sub.add_parser(
        "drift",
        help="refresh and preview every stack, writing no state; non-zero exit on any drift",
    )
    destroy = sub.add_parser("destroy", help="consumers first, then the provider")
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.add_argument(
        "--from", dest="start_at", metavar="PHASE", help=f"resume at: {PHASES['destroy']}"
    )
    verify = sub.add_parser("verify", help="check every hop with boto3 and call the API")
    verify.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        help="seconds to wait, in all, for states still settling",
    )
    connections = sub.add_parser(
        "connections",
        help="every connection request to the provider's endpoint service, judged; "
        "--reject turns away the unexpected pending ones (nothing is ever accepted here)",
    )
    connections.add_argument(
        "--reject", action="store_true", help="reject unexpected pending requests"
    )
    connections.add_argument("--yes", action="store_true", help="do not ask before rejecting")
    gate = sub.add_parser(
        "gate-config",
        help="write the policy pack's config for one stack, from its stack file and account "
        "(for CI: pulumi preview --policy-pack-config)",
    )
    gate.add_argument("stack", help="the stack whose Pulumi.<stack>.yaml to read")
    gate.add_argument(
        "--account",
        type=_account_id,
        help="the stack's account id (default: sign in as its stack file says, STS)",
    )
    gate.add_argument(
        "--pack",
        type=Path,
        metavar="DIR",
        help="the policy pack whose config.<role>.json is the base, e.g. a checkout of the "
        "base branch (default: policy/)",
    )
    plan = sub.add_parser("plan", help="offline: both programs on mocks, no CLI or AWS")
    plan.add_argument(
        "--diagram",
        type=Path,
        default=PROJECT_DIR / "build" / "data-path.mmd",
        help="the file to write the Mermaid diagram to",
    )
    return p


def rollout_of(
    args: argparse.Namespace,
    create: frozenset[str] = frozenset(),
    stacks: Any = None,
    project_dir: Path = PROJECT_DIR,
) -> Rollout:
    consumers = tuple(args.consumers or ["consumer"])
    configs = {args.provider_stack: policy_config_file("provider")}
    configs.update({c: policy_config_file("consumer") for c in consumers})
    return Rollout(
        provider=args.provider_stack,
        consumers=consumers,
        policy_configs=configs,
        create=create,
        private_dns=frozenset(
            c for c in consumers if stacks and _asks_private_dns(stacks, c, create, project_dir)
        ),
    )


def _asks_private_dns(
    stacks: Any, consumer: str, create: frozenset[str], project_dir: Path
) -> bool:
    """The consumer's xacct:privateDns, from the backend or, for a stack to create, its file."""
    if consumer not in create and consumer not in stacks.names():
        return False  # a missing stack is refused before anything runs
    config = stack_config(stacks, consumer, consumer not in create, project_dir)
    return str(config.get("xacct:privateDns", "false")).lower() == "true"


def base_command(args: argparse.Namespace) -> str:
    """The command as given, without --from: what a resume hint repeats."""
    words = ["python -m xacct_ops", "--provider-stack", args.provider_stack]
    for consumer in args.consumers or ["consumer"]:
        words += ["--consumer-stack", consumer]
    if args.organization:
        words += ["--organization", args.organization]
    return " ".join([*words, args.command])


Preflight = Callable[[Stacks, Rollout, Path], list[str]]
AccountOf = Callable[[str, Mapping[str, str]], str]
"""(stack, its config) → the account it deploys to."""


def aws_preflight(stacks: Stacks, rollout: Rollout, project_dir: Path) -> list[str]:
    """What the rollout asks AWS before any change (xacct_ops/preflight.py)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from xacct_ops.preflight import api_gateway_logging
    from xacct_ops.verify import VerifyError, account_session

    try:
        return api_gateway_logging(
            stacks, rollout.consumers, rollout.create, project_dir, account_session
        )
    except VerifyError as error:
        return [str(error)]
    except (BotoCoreError, ClientError) as error:
        return [f"cannot read the API Gateway account settings: {' '.join(str(error).split())}"]


def stack_account(stack: str, config: Mapping[str, str]) -> str:
    """The account a stack deploys to, signed in as its config says (VerifyError if not)."""
    from xacct_ops.verify import account_session

    session = account_session(stack, config)
    return str(session.client("sts").get_caller_identity()["Account"])


def stack_accounts(
    stacks: Stacks, rollout: Rollout, project_dir: Path, account_of: AccountOf
) -> dict[str, str] | str:
    """Each stack's account, or what stopped the sign-in."""
    from xacct_ops.verify import VerifyError

    accounts: dict[str, str] = {}
    for stack in (rollout.provider, *rollout.consumers):
        config = stack_config(stacks, stack, stack not in rollout.create, project_dir)
        try:
            accounts[stack] = account_of(stack, config)
        except VerifyError as error:
            return str(error)
    return accounts


def policy_configs(
    stacks: Stacks, rollout: Rollout, project_dir: Path, accounts: Mapping[str, str]
) -> Callable[[str], str | None]:
    """The pack's config file for each stack (xacct_ops/gate.py): its role's file with what the
    stack itself declares and the account it trusts, written to
    build/policy-config.<stack>.json."""

    def for_stack(stack: str) -> str | None:
        role = rollout.role_of(stack)
        config = stack_config(stacks, stack, stack not in rollout.create, project_dir)
        generated = Path("build") / f"policy-config.{stack}.json"
        (project_dir / generated).parent.mkdir(parents=True, exist_ok=True)
        document = gate_config(role, settings_of(config), project_dir, accounts.get(stack))
        (project_dir / generated).write_text(json.dumps(document, indent=2) + "\n")
        return str(generated)

    return for_stack


def write_gate_config(
    args: argparse.Namespace, out: TextIO, project_dir: Path, account_of: AccountOf
) -> int:
    """`gate-config STACK`: the config the rollout would gate STACK with, for a CI preview."""
    from xacct_ops.verify import VerifyError

    stack: str = args.stack
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        found = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml")
        )
        out.write(
            f"error: there is no {path.name} in {project_dir}; stacks with a file: "
            f"{', '.join(found)}\n"
        )
        return 2
    config = stack_config(None, stack, False, project_dir)
    role = config.get("xacct:role")
    if role not in ("provider", "consumer"):
        out.write(f"error: {path.name}: xacct:role is {role!r}; expected provider or consumer\n")
        return 2
    pack: Path | None = args.pack
    if pack and not (pack / f"config.{role}.json").is_file():
        out.write(f"error: --pack {pack}: there is no config.{role}.json in it\n")
        return 2
    try:
        account = args.account or account_of(stack, config)
    except VerifyError as error:
        out.write(f"error: {error}; or give the account with --account\n")
        return 2
    document = gate_config(role, settings_of(config), project_dir, account, pack)
    generated = project_dir / "build" / f"policy-config.{stack}.json"
    generated.parent.mkdir(parents=True, exist_ok=True)
    generated.write_text(json.dumps(document, indent=2) + "\n")
    out.write(f"{generated}\n")
    return 0


def recovery(phase: Phase, resume: str) -> str:
    """What to run after an interrupt, in order, for the stack that was interrupted."""
    lines = [f"resume with: {resume}"]
    if phase.stack and phase.operation in ("up", "destroy"):
        s = phase.stack
        lines[:0] = [
            f"if {s} then reports a lock or pending operations, in this order:",
            f"  1. pulumi cancel -s {s} --yes     (removes the lock, on every backend)",
            f"  2. pulumi refresh -s {s} --clear-pending-creates --yes"
            "     (settles operations Pulumi started but did not record as done)",
            f"  3. pulumi refresh -s {s} --yes     (the state as AWS has it)",
        ]
    elif phase.stack:
        lines[:0] = [
            f"a preview changes nothing; if {phase.stack} reports a lock: "
            f"pulumi cancel -s {phase.stack} --yes"
        ]
    return "\n".join(lines)


def write_summary(
    path: Path,
    command: str,
    rollout: Rollout,
    outcome: str,
    record: list[dict[str, object]],
    out: TextIO,
) -> None:
    """The run as JSON for CI: per phase its stack, operation, result, changes and seconds;
    gate phases are the policy pack's verdict."""
    summary = {
        "command": command,
        "provider": rollout.provider,
        "consumers": list(rollout.consumers),
        "result": outcome,
        "phases": [
            {**entry, "policyGate": str(entry["phase"]).startswith("gate:")} for entry in record
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
    out.write(f"summary: {path}\n")


def verify_all(stacks: Stacks, rollout: Rollout, out: TextIO, timeout: float) -> None:
    from xacct_ops.verify import VerifyError, verify_rollout

    try:
        failed = verify_rollout(stacks, rollout.provider, rollout.consumers, out, timeout)
    except VerifyError as error:
        raise RuntimeError(str(error)) from None
    if failed:
        raise RuntimeError(f"{failed} hop(s) failed verification")


def provider_ec2(stack: str, config: Mapping[str, str]) -> Any:
    from xacct_ops.verify import account_session

    return account_session(stack, config).client("ec2")


def connections_command(
    args: argparse.Namespace,
    stacks: Stacks,
    rollout: Rollout,
    out: TextIO,
    confirm: Callable[[str], str],
    ec2_for: Callable[[str, Mapping[str, str]], Any] | None,
) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from xacct_ops.connections import run_connections
    from xacct_ops.verify import VerifyError

    try:
        return run_connections(
            stacks,
            rollout.provider,
            rollout.consumers,
            out,
            ec2_for or provider_ec2,
            reject_pending=args.reject,
            confirm=None if args.yes else confirm,
        )
    except VerifyError as error:
        out.write(f"error: {error}\n")
        return 2
    except (BotoCoreError, ClientError) as error:
        out.write(f"error: AWS refused: {' '.join(str(error).split())[:300]}\n")
        return 2


def main(
    argv: Sequence[str] | None = None,
    out: TextIO = sys.stdout,
    make_stacks: Callable[[TextIO], Stacks] | None = None,
    confirm: Callable[[str], str] = input,
    project_dir: Path = PROJECT_DIR,
    interactive: Callable[[], bool] = lambda: sys.stdin.isatty(),
    preflight: Preflight = aws_preflight,
    account_of: AccountOf = stack_account,
    ec2_for: Callable[[str, Mapping[str, str]], Any] | None = None,
) -> int:
    args = parser().parse_args(argv)
    if args.command == "plan":
        from xacct_ops.plan import run_plan

        if args.diagram.is_dir():
            out.write(f"error: --diagram {args.diagram} is a directory: give a file name\n")
            return 2
        return run_plan(
            out,
            args.provider_stack,
            tuple(args.consumers or ["consumer"]),
            args.diagram,
            project_dir,
        )

    if args.command == "gate-config":
        return write_gate_config(args, out, project_dir, account_of)

    from xacct_ops.automation import AutomationStacks, SetupError

    if args.command == "destroy" and not args.yes and not interactive():
        out.write("error: destroy asks for confirmation: add --yes to run it unattended\n")
        return 2
    if args.command == "connections" and args.reject and not args.yes and not interactive():
        out.write(
            "error: connections --reject asks for confirmation: add --yes to run it unattended\n"
        )
        return 2
    try:
        stacks = (make_stacks or (lambda o: AutomationStacks(o, organization=args.organization)))(
            out
        )
        rollout = rollout_of(args)
        create = check_stacks(stacks, rollout, args.command, project_dir)
    except SetupError as error:
        out.write(f"error: {error}\n")
        return 2
    except StackCheckError as error:
        out.write(f"error: nothing was changed:\n{error}\n")
        return 2
    rollout = rollout_of(args, create, stacks, project_dir)
    if args.command == "connections":
        return connections_command(args, stacks, rollout, out, confirm, ec2_for)
    if args.command in ("up", "preview") and not getattr(args, "start_at", None):
        problems = preflight(stacks, rollout, project_dir)
        if problems:
            out.write("error: nothing was changed:\n" + "".join(f"  - {p}\n" for p in problems))
            return 2
    accounts: dict[str, str] = {}
    if args.command in ("up", "preview", "destroy"):
        signed_in = stack_accounts(stacks, rollout, project_dir, account_of)
        if isinstance(signed_in, str):
            out.write(f"error: nothing was changed:\n  - {signed_in}\n")
            return 2
        accounts = signed_in
    policy = policy_configs(stacks, rollout, project_dir, accounts)
    command = base_command(args)
    if args.command == "up":
        phases = up_phases(
            stacks, rollout, lambda: verify_all(stacks, rollout, out, args.timeout), policy, out
        )
    elif args.command == "preview":
        phases = gate_phases(stacks, rollout, policy)
    elif args.command == "drift":
        phases = drift_phases(stacks, rollout)
    elif args.command == "destroy":
        if not args.yes:
            names = ", ".join([*rollout.consumers, rollout.provider])
            answer = confirm(f"Destroy {names} (every resource, both accounts)? Type 'destroy': ")
            if answer.strip() != "destroy":
                out.write("nothing destroyed\n")
                return 1
        phases = destroy_phases(stacks, rollout, policy, out)
    else:  # verify
        try:
            verify_all(stacks, rollout, out, args.timeout)
        except RuntimeError as error:
            out.write(f"verify: {error}\n")
            return 1
        return 0
    record: list[dict[str, object]] = []
    outcome = "failed"
    try:
        run_phases(
            phases,
            out,
            command=command,
            start_at=getattr(args, "start_at", None),
            interrupt=stacks.interrupt,
            record=record,
        )
        outcome = "done"
    except PhaseError as error:
        out.write(f"\nerror: phase '{error.phase}' failed: {error.cause}\n")
        out.write(f"fix the cause, then resume with: {error.resume}\n")
        return 1
    except PhaseInterruptedError as interrupted:
        outcome = "interrupted"
        phase = interrupted.phase
        what = f" ({phase.operation} of {phase.stack})" if phase.stack else ""
        out.write(
            f"\ninterrupted during phase '{phase.name}'{what}: Pulumi cancelled and has "
            "stopped; resources it changed before stay in the state.\n"
            f"{recovery(phase, interrupted.resume)}\n"
        )
        return 130
    except PhaseAbortedError as aborted:
        outcome = "aborted"
        phase = aborted.phase
        what = f" ({phase.operation} of {phase.stack})" if phase.stack else ""
        out.write(
            f"\nleft at once during phase '{phase.name}'{what}: Pulumi may still be "
            "cancelling, and may leave the stack locked with operations pending.\n"
            f"{recovery(phase, aborted.resume)}\n"
        )
        return 130
    except ValueError as error:  # --from names no phase
        outcome = "refused"
        out.write(f"error: {error}\n")
        return 2
    finally:
        if outcome != "refused":
            write_summary(args.summary, args.command, rollout, outcome, record, out)
    out.write(f"\n{args.command}: done\n")
    return 0
