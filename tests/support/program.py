"""What the tests look up in a program run, on top of the offline engine's `ProgramRun`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xacct_ops.offline_engine import FakeAccount, ProgramRun, Registration
from xacct_ops.offline_engine import run_program as run_offline


@dataclass
class Run(ProgramRun):
    """A program run with the lookups tests use."""

    def of_type(self, *types: str) -> list[Registration]:
        return [r for r in self.registrations if r.type in types]

    def one(self, type_: str, name_contains: str = "") -> Registration:
        found = [r for r in self.of_type(type_) if name_contains in r.name]
        if len(found) != 1:
            names = [r.name for r in found]
            raise AssertionError(f"expected one {type_} named *{name_contains}*, got {names}")
        return found[0]

    def outside(self, top: Registration) -> list[Registration]:
        """Registrations that `top` does not (transitively) parent."""
        urns = {r.urn: r for r in self.registrations}
        found = []
        for r in self.registrations:
            current = r
            while current is not top and current.parent in urns:
                current = urns[current.parent]
            if current is not top:
                found.append(r)
        return found


def run_program(
    config: Mapping[str, Any],
    *,
    account: FakeAccount | None = None,
    stacks: Mapping[str, Mapping[str, Any]] | None = None,
    stack_name: str = "test",
    registrations: list[Registration] | None = None,
) -> Run:
    """The offline engine's run of the program (xacct_ops/offline_engine.py), with lookups."""
    run = run_offline(
        config, account=account, stacks=stacks, stack_name=stack_name, registrations=registrations
    )
    return Run(exports=run.exports, registrations=run.registrations, calls=run.calls)
