"""The rollout as an ordered list of phases over a small `Stacks` interface.

`Stacks` is what the orchestration needs from Pulumi (preview with a policy pack, up, destroy,
config, outputs); `automation.AutomationStacks` implements it with the Automation API, and the
tests use an in-memory stand-in that records the calls. Phases run in order, each with a header
and a one-line summary; the first failure stops the rollout with the phase's name and the
command that resumes from it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

Changes = Mapping[str, int]


class Stacks(Protocol):
    def preview(self, stack: str, *, policy_pack: str, policy_config: str | None) -> Changes: ...

    def up(self, stack: str) -> Changes: ...

    def destroy(self, stack: str) -> Changes: ...

    def set_config(self, stack: str, key: str, value: str) -> None: ...

    def set_list(self, stack: str, key: str, values: list[str]) -> None: ...

    def outputs(self, stack: str) -> dict[str, Any]: ...

    def get_config(self, stack: str) -> dict[str, str]: ...

    def qualified_name(self, stack: str) -> str: ...


@dataclass(frozen=True)
class Rollout:
    provider: str = "provider"
    consumers: tuple[str, ...] = ("consumer",)
    policy_pack: str = "policy"
    policy_configs: Mapping[str, str] = field(default_factory=dict)
    """stack → --policy-pack-config file (by role: policy/config.<role>.json)."""


@dataclass
class Phase:
    name: str
    title: str
    run: Callable[[], Changes | None]


class PhaseInterruptedError(Exception):
    """Ctrl-C during a phase: Pulumi got the signal too and cancels its operation."""

    def __init__(self, phase: str, resume: str) -> None:
        self.phase, self.resume = phase, resume
        super().__init__(f"interrupted during phase '{phase}'")


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


def up_phases(stacks: Stacks, rollout: Rollout, verify: Callable[[], None]) -> list[Phase]:
    """Gate each change with a preview under the policy pack, right before it is made: a consumer
    cannot be previewed before the provider it references exists."""

    def gate(stack: str) -> Phase:
        return Phase(
            f"gate:{stack}",
            f"preview {stack} with the policy pack",
            lambda: stacks.preview(
                stack,
                policy_pack=rollout.policy_pack,
                policy_config=rollout.policy_configs.get(stack),
            ),
        )

    def name_consumers() -> None:
        """Set on the provider before its preview and again before its up (a resumed rollout
        may start at either); setting the same list twice changes nothing."""
        names = [stacks.qualified_name(c) for c in rollout.consumers]
        stacks.set_list(rollout.provider, "xacct:consumerStacks", names)

    def accept() -> Changes:
        name_consumers()
        return stacks.up(rollout.provider)

    def gate_accept() -> Changes:
        name_consumers()
        return stacks.preview(
            rollout.provider,
            policy_pack=rollout.policy_pack,
            policy_config=rollout.policy_configs.get(rollout.provider),
        )

    phases = [
        gate(rollout.provider),
        Phase("provider", f"up {rollout.provider}", lambda: stacks.up(rollout.provider)),
    ]
    for consumer in rollout.consumers:
        phases.append(gate(consumer))
        phases.append(
            Phase(f"consumer:{consumer}", f"up {consumer}", lambda c=consumer: stacks.up(c))  # type: ignore[misc]
        )
    phases.append(
        Phase(
            "gate:accept",
            f"preview {rollout.provider} accepting {', '.join(rollout.consumers)}",
            gate_accept,
        )
    )
    phases.append(Phase("accept", f"up {rollout.provider}: accept the consumer endpoints", accept))

    def check() -> None:
        verify()

    phases.append(Phase("verify", "check every hop", check))
    return phases


def gate_phases(stacks: Stacks, rollout: Rollout) -> list[Phase]:
    return [
        Phase(
            f"gate:{stack}",
            f"preview {stack} with the policy pack",
            lambda s=stack: stacks.preview(  # type: ignore[misc]
                s, policy_pack=rollout.policy_pack, policy_config=rollout.policy_configs.get(s)
            ),
        )
        for stack in (rollout.provider, *rollout.consumers)
    ]


def destroy_phases(stacks: Stacks, rollout: Rollout) -> list[Phase]:
    """Reverse order: consumers, then the provider (its endpoint service is protected, so the
    protection is lifted by an update first)."""
    phases = [
        Phase(f"destroy:{c}", f"destroy {c}", lambda c=c: stacks.destroy(c))  # type: ignore[misc]
        for c in rollout.consumers
    ]

    def unprotect() -> Changes:
        stacks.set_config(rollout.provider, "xacct:protectEndpointService", "false")
        stacks.set_list(rollout.provider, "xacct:consumerStacks", [])
        return stacks.up(rollout.provider)

    phases.append(
        Phase("unprotect", f"up {rollout.provider} without endpoint-service protection", unprotect)
    )
    phases.append(
        Phase(
            f"destroy:{rollout.provider}",
            f"destroy {rollout.provider}",
            lambda: stacks.destroy(rollout.provider),
        )
    )
    return phases


def run_phases(
    phases: list[Phase],
    out: TextIO,
    *,
    command: str,
    start_at: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[tuple[str, str, float]]:
    """Run phases in order from `start_at`; return (phase, summary, seconds) for each run."""
    names = [p.name for p in phases]
    if start_at is not None and start_at not in names:
        raise ValueError(f"--from {start_at!r} is not a phase of {command}: {', '.join(names)}")
    todo = phases[names.index(start_at) :] if start_at else phases
    done: list[tuple[str, str, float]] = []
    for index, phase in enumerate(todo, start=names.index(todo[0].name) + 1):
        out.write(f"\n==> [{index}/{len(phases)}] {phase.name}: {phase.title}\n")
        out.flush()
        started = clock()
        try:
            changes = phase.run()
        except KeyboardInterrupt:
            raise PhaseInterruptedError(phase.name, f"{command} --from {phase.name}") from None
        except Exception as error:  # every failure stops the rollout with how to resume
            seconds = clock() - started
            out.write(f"<== {phase.name}: FAILED after {seconds:.1f} s\n")
            raise PhaseError(phase.name, error, f"{command} --from {phase.name}") from error
        seconds = clock() - started
        summary = summarize(changes)
        out.write(f"<== {phase.name}: {summary} in {seconds:.1f} s\n")
        done.append((phase.name, summary, seconds))
    return done
