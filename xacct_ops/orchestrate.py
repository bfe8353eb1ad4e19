"""The rollout as an ordered list of phases over a small `Stacks` interface.

`Stacks` is what the orchestration needs from Pulumi (list, create, preview and up under the
policy pack, destroy, config, outputs); `automation.AutomationStacks` implements it with the
Automation API, and the tests use an in-memory stand-in that records the calls.

Nothing here touches a stack nobody named: `check_stacks` runs before phase one and refuses a
named stack that does not exist (only `up` creates one, from its stack file) or is of the
other kind. Phases run in order, each with a header and a one-line summary; the first failure
stops the rollout with the phase's name and the command that resumes from it. Each operation
runs beside the main thread, so Ctrl-C lets Pulumi cancel cleanly (a second Ctrl-C leaves at
once), and the recovery printed names the stack that was interrupted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import yaml

Changes = Mapping[str, int]


class Stacks(Protocol):
    def names(self) -> list[str]:
        """The stacks of this project in the backend."""
        ...

    def create(self, stack: str) -> None: ...

    def preview(self, stack: str, *, policy_pack: str, policy_config: str | None) -> Changes: ...

    def up(self, stack: str, *, policy_pack: str, policy_config: str | None) -> Changes: ...

    def destroy(self, stack: str) -> Changes: ...

    def drift(self, stack: str) -> Changes:
        """A preview that refreshes first: what differs between the cloud and the program,
        with nothing written to the state."""
        ...

    def set_config(self, stack: str, key: str, value: str) -> None: ...

    def set_list(self, stack: str, key: str, values: list[str]) -> None: ...

    def remove_config(self, stack: str, key: str) -> None: ...

    def outputs(self, stack: str) -> dict[str, Any]: ...

    def get_config(self, stack: str) -> dict[str, str]: ...

    def qualified_name(self, stack: str) -> str: ...

    def interrupt(self) -> None:
        """Pass the user's interrupt on to the running Pulumi command, if the terminal did not
        (Pulumi cancels on the first SIGINT and stops dead on the second)."""
        ...


PolicyConfigs = Callable[[str], str | None]
"""stack → the --policy-pack-config file to gate it with (None: the pack's defaults)."""


@dataclass(frozen=True)
class Rollout:
    provider: str = "provider"
    consumers: tuple[str, ...] = ("consumer",)
    policy_pack: str = "policy"
    policy_configs: Mapping[str, str] = field(default_factory=dict)
    """stack → --policy-pack-config file (by role: policy/config.<role>.json)."""
    create: frozenset[str] = frozenset()
    """Stacks this `up` creates (they have a stack file and do not exist yet)."""
    private_dns: frozenset[str] = frozenset()
    """Consumers with xacct:privateDns true: `up` again once accepted (AWS turns private DNS
    on only for an accepted endpoint)."""

    def role_of(self, stack: str) -> str:
        return "provider" if stack == self.provider else "consumer"


@dataclass
class Phase:
    name: str
    title: str
    run: Callable[[], Changes | None]
    stack: str | None = None
    """The stack the phase changes or reads (what an interrupt leaves locked)."""
    operation: str = ""
    """What Pulumi does to it: preview, up, destroy."""


class StackCheckError(Exception):
    """Named stacks that are missing or of the wrong kind: nothing was touched."""


class PhaseInterruptedError(Exception):
    """Ctrl-C during a phase: Pulumi was let cancel, and has stopped."""

    def __init__(self, phase: Phase, resume: str) -> None:
        self.phase, self.resume = phase, resume
        super().__init__(f"interrupted during phase '{phase.name}'")


class PhaseAbortedError(Exception):
    """A second Ctrl-C: the command left while Pulumi may still be cancelling."""

    def __init__(self, phase: Phase, resume: str) -> None:
        self.phase, self.resume = phase, resume
        super().__init__(f"left during phase '{phase.name}'")


class PhaseError(Exception):
    def __init__(self, phase: str, cause: BaseException, resume: str) -> None:
        self.phase, self.cause, self.resume = phase, cause, resume
        super().__init__(f"phase '{phase}' failed: {cause}\nresume with: {resume}")


def summarize(changes: Changes | None) -> str:
    if not changes:
        return "no resource changes"
    shown = [f"{count} {op}" for op, count in sorted(changes.items()) if op != "same" and count]
    same = changes.get("same", 0)
    return ", ".join(shown + ([f"{same} unchanged"] if same else [])) or "no resource changes"


# ---- before phase one: the named stacks, as they are ---------------------------------------


def stack_file_role(project_dir: Path, stack: str) -> str | None:
    """`xacct:role` in Pulumi.<stack>.yaml; None when there is no such file."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return None
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return str(config.get("xacct:role", ""))


def check_stacks(
    stacks: Stacks, rollout: Rollout, command: str, project_dir: Path
) -> frozenset[str]:
    """Every named stack exists and is of the kind its flag says, or (only for `up`) has a stack
    file to create it from. Returns the stacks `up` will create; raises StackCheckError with
    every problem otherwise."""
    existing = set(stacks.names())
    problems, create = [], set()
    named = [(rollout.provider, "provider", "--provider-stack")] + [
        (c, "consumer", "--consumer-stack") for c in rollout.consumers
    ]
    if len({stack for stack, _, _ in named}) < len(named):
        problems.append("a stack is named twice (as the provider and a consumer, or twice)")
    for stack, role, flag in named:
        file_role = stack_file_role(project_dir, stack)
        if stack in existing:
            found = stacks.get_config(stack).get("xacct:role") or file_role
        elif command == "up" and file_role is not None:
            create.add(stack)
            found = file_role
        else:
            known = ", ".join(sorted(existing)) or "none"
            how = (
                f"; `up` creates it from its stack file Pulumi.{stack}.yaml"
                if command == "up"
                else "; only `up` creates a stack"
            )
            problems.append(f"{flag} {stack}: no such stack (this project's: {known}){how}")
            continue
        if found != role:
            problems.append(f"{flag} {stack}: its xacct:role is {found or 'not set'}, not {role}")
    if problems:
        raise StackCheckError("\n".join(f"  - {p}" for p in problems))
    return frozenset(create)


# ---- the phases -------------------------------------------------------------------------


def _gated(rollout: Rollout, stack: str, policy: PolicyConfigs) -> dict[str, Any]:
    return {"policy_pack": rollout.policy_pack, "policy_config": policy(stack)}


def up_phases(
    stacks: Stacks,
    rollout: Rollout,
    verify: Callable[[], None],
    policy: PolicyConfigs,
    out: TextIO,
) -> list[Phase]:
    """Gate each change with a preview under the policy pack, right before it is made (a
    consumer cannot be previewed before the provider it references exists), and make it under
    the same pack: a mandatory violation stops the `up` itself too."""
    created: set[str] = set()

    def ensure(stack: str) -> None:
        if stack in rollout.create and stack not in created and stack not in stacks.names():
            stacks.create(stack)
            out.write(f"created stack {stack} from Pulumi.{stack}.yaml\n")
        created.add(stack)

    def gate(stack: str) -> Changes:
        ensure(stack)
        return stacks.preview(stack, **_gated(rollout, stack, policy))

    def up(stack: str) -> Changes:
        ensure(stack)
        return stacks.up(stack, **_gated(rollout, stack, policy))

    def point_at_provider(consumer: str) -> None:
        """The consumer's stack file names the provider this rollout deploys, so a later
        `pulumi up` by hand reads the same one."""
        ensure(consumer)
        wanted = stacks.qualified_name(rollout.provider)
        if stacks.get_config(consumer).get("xacct:providerStack") != wanted:
            stacks.set_config(consumer, "xacct:providerStack", wanted)
            out.write(f"set xacct:providerStack = {wanted} on {consumer} (its stack file)\n")

    def name_consumers() -> None:
        """Set on the provider before its preview and again before its up (a resumed rollout
        may start at either); setting the same list twice changes nothing."""
        names = [stacks.qualified_name(c) for c in rollout.consumers]
        stacks.set_list(rollout.provider, "xacct:consumerStacks", names)

    def consumer_gate(consumer: str) -> Changes:
        point_at_provider(consumer)
        return gate(consumer)

    def consumer_up(consumer: str) -> Changes:
        point_at_provider(consumer)
        return up(consumer)

    def gate_accept() -> Changes:
        name_consumers()
        return gate(rollout.provider)

    def accept() -> Changes:
        name_consumers()
        return up(rollout.provider)

    p = rollout.provider
    phases = [
        Phase(f"gate:{p}", f"preview {p} with the policy pack", lambda: gate(p), p, "preview"),
        Phase("provider", f"up {p}", lambda: up(p), p, "up"),
    ]
    for c in rollout.consumers:
        phases += [
            Phase(
                f"gate:{c}",
                f"preview {c} with the policy pack",
                lambda c=c: consumer_gate(c),  # type: ignore[misc]
                c,
                "preview",
            ),
            Phase(f"consumer:{c}", f"up {c}", lambda c=c: consumer_up(c), c, "up"),  # type: ignore[misc]
        ]
    phases += [
        Phase(
            "gate:accept",
            f"preview {p} accepting {', '.join(rollout.consumers)}",
            gate_accept,
            p,
            "preview",
        ),
        Phase("accept", f"up {p}: accept the consumer endpoints", accept, p, "up"),
    ]
    for c in (c for c in rollout.consumers if c in rollout.private_dns):
        phases += [
            Phase(
                f"gate:dns:{c}",
                f"preview {c} with the policy pack",
                lambda c=c: gate(c),  # type: ignore[misc]
                c,
                "preview",
            ),
            Phase(
                f"dns:{c}",
                f"up {c}: private DNS on its accepted endpoint",
                lambda c=c: up(c),  # type: ignore[misc]
                c,
                "up",
            ),
        ]
    phases.append(Phase("verify", "check every hop", lambda: _none(verify)))
    return phases


def gate_phases(stacks: Stacks, rollout: Rollout, policy: PolicyConfigs) -> list[Phase]:
    return [
        Phase(
            f"gate:{stack}",
            f"preview {stack} with the policy pack",
            lambda s=stack: stacks.preview(s, **_gated(rollout, s, policy)),  # type: ignore[misc]
            stack,
            "preview",
        )
        for stack in (rollout.provider, *rollout.consumers)
    ]


class DriftError(Exception):
    """A stack whose resources differ from what its program declares."""


def drift_phases(stacks: Stacks, rollout: Rollout) -> list[Phase]:
    """Every stack of the rollout, in rollout order: a refreshed preview that must find nothing
    to change (what a nightly CI job runs)."""

    def check(stack: str) -> Changes:
        changes = stacks.drift(stack)
        differs = {op: n for op, n in changes.items() if op != "same" and n}
        if differs:
            raise DriftError(f"{stack} has drifted: {summarize(differs)} to bring it back")
        return changes

    return [
        Phase(f"drift:{s}", f"refresh and preview {s}", lambda s=s: check(s), s, "preview")  # type: ignore[misc]
        for s in (rollout.provider, *rollout.consumers)
    ]


def destroy_phases(
    stacks: Stacks, rollout: Rollout, policy: PolicyConfigs, out: TextIO
) -> list[Phase]:
    """Reverse order: consumers, then the provider. Its endpoint service is protected (and its
    NLB deletion-protected), so an update lifts that first; the stack file gets its setting
    back afterwards, so a later `up` is protected again."""
    p = rollout.provider
    key = "xacct:protectEndpointService"
    phases = [
        Phase(f"destroy:{c}", f"destroy {c}", lambda c=c: stacks.destroy(c), c, "destroy")  # type: ignore[misc]
        for c in rollout.consumers
    ]

    def unprotect() -> Changes:
        stacks.set_config(p, key, "false")
        stacks.set_list(p, "xacct:consumerStacks", [])
        return stacks.up(p, **_gated(rollout, p, policy))

    def restore() -> None:
        # Back to the default (protected): the `false` set for the teardown, left in the stack
        # file, would let a later `up` run unprotected without anyone asking for it.
        stacks.remove_config(p, key)
        out.write(f"{key} removed from {p}'s stack file: a later `up` protects again\n")

    phases += [
        Phase("unprotect", f"up {p} without endpoint-service protection", unprotect, p, "up"),
        Phase(f"destroy:{p}", f"destroy {p}", lambda: stacks.destroy(p), p, "destroy"),
        Phase("restore", f"restore {key} in {p}'s stack file", lambda: _none(restore), p),
    ]
    return phases


def _none(step: Callable[[], None]) -> Changes | None:
    """A phase that changes no resource."""
    step()
    return None


# ---- running them -----------------------------------------------------------------------


def run_interruptible(
    operation: Callable[[], Changes | None],
    on_first_interrupt: Callable[[], None],
    wait: Callable[[threading.Event], object] = threading.Event.wait,
) -> tuple[Changes | None, bool]:
    """Run the operation beside the main thread, which only waits: Ctrl-C reaches the main
    thread, never the thread reading Pulumi's output. The first interrupt is reported and the
    operation is let finish (Pulumi cancels); a second one raises KeyboardInterrupt at once.
    Returns (its result, whether it was interrupted); re-raises its error.

    Completion is an Event the operation sets, not `Thread.join`: an interrupted join marks a
    still-running thread as stopped (CPython's bpo-45274 handling), which would report Pulumi
    done while it is still cancelling."""
    box: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            box["result"] = operation()
        except BaseException as error:  # handed to the main thread as is
            box["error"] = error
        finally:
            finished.set()

    threading.Thread(target=work, daemon=True).start()
    interrupted = False
    while not finished.is_set():
        try:
            wait(finished)
        except KeyboardInterrupt:
            if interrupted:
                raise
            interrupted = True
            on_first_interrupt()
    if "error" in box and not interrupted:
        raise box["error"]
    return box.get("result"), interrupted


def run_phases(
    phases: list[Phase],
    out: TextIO,
    *,
    command: str,
    start_at: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    interrupt: Callable[[], None] = lambda: None,
    wait: Callable[[threading.Event], object] = threading.Event.wait,
    record: list[dict[str, Any]] | None = None,
) -> list[tuple[str, str, float]]:
    """Run phases in order from `start_at`; return (phase, summary, seconds) for each run.
    `record` receives one entry per phase run (for the machine-readable summary)."""
    names = [p.name for p in phases]
    if start_at is not None and start_at not in names:
        raise ValueError(f"--from {start_at!r} is not a phase of {command}: {', '.join(names)}")
    todo = phases[names.index(start_at) :] if start_at else phases
    done: list[tuple[str, str, float]] = []
    if record is not None:
        record.clear()
    for index, phase in enumerate(todo, start=names.index(todo[0].name) + 1):
        out.write(f"\n==> [{index}/{len(phases)}] {phase.name}: {phase.title}\n")
        out.flush()
        started = clock()
        resume = f"{command} --from {phase.name}"

        def first_interrupt(phase: Phase = phase) -> None:
            what = f" ({phase.operation} of {phase.stack})" if phase.stack else ""
            out.write(
                f"\ninterrupt: letting Pulumi cancel phase '{phase.name}'{what} cleanly; "
                "Ctrl-C again to leave at once (the stack may then stay locked)\n"
            )
            out.flush()
            interrupt()

        def note(
            result: str,
            changes: Changes | None = None,
            error: str = "",
            phase: Phase = phase,
            started: float = started,
        ) -> None:
            if record is not None:
                record.append(
                    {
                        "phase": phase.name,
                        "stack": phase.stack,
                        "operation": phase.operation,
                        "result": result,
                        "changes": dict(changes or {}),
                        "seconds": round(clock() - started, 1),
                        **({"error": error} if error else {}),
                    }
                )

        try:
            changes, interrupted = run_interruptible(phase.run, first_interrupt, wait)
        except KeyboardInterrupt:
            note("aborted")
            raise PhaseAbortedError(phase, resume) from None
        except Exception as error:  # every failure stops the rollout with how to resume
            seconds = clock() - started
            out.write(f"<== {phase.name}: FAILED after {seconds:.1f} s\n")
            note("failed", error=" ".join(str(error).split())[:500])
            raise PhaseError(phase.name, error, resume) from error
        if interrupted:
            note("interrupted")
            raise PhaseInterruptedError(phase, resume)
        seconds = clock() - started
        summary = summarize(changes)
        out.write(f"<== {phase.name}: {summary} in {seconds:.1f} s\n")
        note("ok", changes)
        done.append((phase.name, summary, seconds))
    return done
