"""A move of code must not move a deployed resource: every URN recorded before the layout changed
(tests/data/urns.json) is still a resource's URN or one of its aliases, so `pulumi up` after the
move plans no replacement."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.support.program import Run
from tests.support.urns import FIXTURE, STACKS, known_as

RECORDED: dict[str, list[str]] = json.loads(FIXTURE.read_text())


def test_every_kept_variant_was_recorded() -> None:
    assert set(RECORDED) == set(STACKS)


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_recorded_urn_is_still_there_or_aliased(stack: str) -> None:
    lost = sorted(set(RECORDED[stack]) - known_as(STACKS[stack]()))
    assert lost == [], f"{stack}: {len(lost)} resource(s) would be replaced or deleted"


def retyped(run: Run, old_type: str, new_type: str, alias: bool) -> Run:
    """The run with a component's type changed (its children's URNs change with it), as a move
    that renames the type would record it; with `alias`, the component says what it was."""

    def moved(urn: str) -> str:
        return urn.replace(f"{old_type}$", f"{new_type}$").replace(f"{old_type}::", f"{new_type}::")

    records = []
    for r in run.registrations:
        aliases = r.aliases
        if alias and r.type == old_type:
            aliases = (*aliases, r.urn)
        records.append(
            dataclasses.replace(
                r,
                type=new_type if r.type == old_type else r.type,
                urn=moved(r.urn),
                parent=moved(r.parent),
                aliases=aliases,
            )
        )
    return dataclasses.replace(run, registrations=records)


def test_a_component_retyped_without_an_alias_loses_its_children() -> None:
    run = STACKS["consumer/default"]()
    recorded = set(RECORDED["consumer/default"])
    old, new = "xacct:consumer:InterfaceEndpoint", "xacct:consumer:Endpoint"
    family = {r.urn for r in run.registrations if old in r.urn}
    assert len(family) == 3  # the component, its security group and the endpoint
    lost = recorded - known_as(retyped(run, old, new, alias=False))
    assert lost == family
    # With an alias on the component alone, its children follow it (the engine derives theirs).
    assert recorded - known_as(retyped(run, old, new, alias=True)) == set()
