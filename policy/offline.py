"""Running the pack without the Pulumi engine: over resources recorded by the mocks.

The engine gives resource policies each resource's inputs and stack policies every resource's
state with its property dependencies; `evaluate` does the same from recorded registrations, so
the offline plan and the tests see what `pulumi preview --policy-pack policy` would report on a
first deployment. One difference: the engine gives stack policies each resource's outputs as
AWS reports them after a read, which the mocks echo from the inputs (a security group then lists
its separate rules too: tests/test_policy_gate.py `refreshed` replays that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .rules import RULES, build_policies


class Recorded(Protocol):
    """What the recording mocks keep of each registration."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def outputs(self) -> dict[str, Any]: ...
    @property
    def parent(self) -> str: ...
    @property
    def property_dependencies(self) -> dict[str, tuple[str, ...]]: ...
    @property
    def protect(self) -> bool: ...


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    message: str
    urn: str | None


def _options(record: Recorded) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=record.protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=record.parent or None,
    )


def stack_resources(records: Iterable[Recorded]) -> list[PolicyResource]:
    """PolicyResources with parents and property dependencies resolved to each other."""
    records = list(records)
    by_urn: dict[str, PolicyResource] = {}
    for r in records:
        by_urn[r.urn] = PolicyResource(
            resource_type=r.type,
            props=dict(r.outputs or r.inputs),
            urn=r.urn,
            name=r.name,
            opts=_options(r),
            provider=None,
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
    for r in records:
        resource = by_urn[r.urn]
        resource.parent = by_urn.get(r.parent)
        resource.property_dependencies = {
            prop: [by_urn[u] for u in urns if u in by_urn]
            for prop, urns in r.property_dependencies.items()
        }
        resource.dependencies = [
            d for deps in resource.property_dependencies.values() for d in deps
        ]
    return list(by_urn.values())


def evaluate(
    records: Iterable[Recorded], config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Violation]:
    """Every violation the pack reports, with its (possibly overridden) enforcement level.

    `config` is the pack's config as `--policy-pack-config` gives it: policy name → settings,
    with an optional `enforcementLevel` override.
    """
    records = list(records)
    config = config or {}
    levels = {r.name: r.level.value for r in RULES}
    found: list[Violation] = []
    for policy in build_policies():
        policy_config = dict(config.get(policy.name, {}))
        level = str(policy_config.pop("enforcementLevel", levels[policy.name]))
        if level == EnforcementLevel.DISABLED.value:
            continue

        def report(message: str, urn: str | None = None, *, _p: str = policy.name) -> None:
            found.append(Violation(_p, level, message, urn))  # noqa: B023

        try:
            if isinstance(policy, StackValidationPolicy):
                policy.validate(
                    StackValidationArgs(stack_resources(records), policy_config), report
                )
                continue
            for r in records:
                args = ResourceValidationArgs(
                    r.type, dict(r.inputs), r.urn, r.name, _options(r), None, policy_config
                )
                policy.validate(args, report)
        except UnknownValueError as error:
            found.append(
                Violation(
                    policy.name,
                    "advisory",
                    f"can't run policy during preview: {error.message}",
                    None,
                )
            )
    return found


def mandatory(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.level == EnforcementLevel.MANDATORY.value]
