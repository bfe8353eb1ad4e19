"""`Stacks` faked at the Automation API boundary: every call recorded, failures and real
interrupts on request, outputs as a test sets them."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from typing import Any


class FakeStacks:
    """Records every call. `fail_on` makes one (call, stack) raise; `interrupt_on` sends this
    process a real SIGINT during that call, which then ends as Pulumi's does when cancelled
    (once `interrupt` is called, or at once when the terminal signalled Pulumi too)."""

    def __init__(
        self,
        existing: tuple[str, ...] = ("provider", "consumer"),
        roles: dict[str, str] | None = None,
        fail_on: tuple[str, str] | None = None,
        interrupt_on: tuple[str, str] | None = None,
        interrupts: int = 1,
        drifted: dict[str, dict[str, int]] | None = None,
    ) -> None:
        self.drifted = drifted or {}
        self.exports: dict[str, dict[str, Any]] = {}
        """Stack outputs, by stack (empty: not deployed)."""
        self.existing = list(existing)
        self.calls: list[tuple[str, ...]] = []
        self.fail_on, self.interrupt_on, self.interrupts = fail_on, interrupt_on, interrupts
        self.config: dict[str, dict[str, str]] = {
            stack: {"xacct:role": (roles or {}).get(stack, _role(stack))} for stack in existing
        }
        self.cancelled = threading.Event()

    def _record(self, *call: str) -> dict[str, int]:
        self.calls.append(call)
        if self.fail_on == call[:2]:
            raise RuntimeError(f"{call[0]} {call[1]} failed: mandatory policy violation")
        if self.interrupt_on == call[:2]:
            time.sleep(0.2)  # the main thread is waiting by now
            for _ in range(self.interrupts):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)
            self.cancelled.wait(10)
            raise RuntimeError("update canceled")
        return {"create": 3, "same": 10} if call[0] == "up" else {"same": 13}

    def names(self) -> list[str]:
        return list(self.existing)

    def create(self, stack: str) -> None:
        self.calls.append(("create", stack))
        self.existing.append(stack)
        self.config[stack] = {}

    def preview(self, stack: str, *, policy_pack: str, policy_config: str | None) -> Any:
        return self._record("preview", stack, policy_pack, policy_config or "")

    def up(self, stack: str, *, policy_pack: str, policy_config: str | None) -> Any:
        return self._record("up", stack, policy_pack, policy_config or "")

    def destroy(self, stack: str) -> Any:
        return self._record("destroy", stack)

    def drift(self, stack: str) -> Any:
        self.calls.append(("drift", stack))
        return self.drifted.get(stack, {"same": 13})

    def set_config(self, stack: str, key: str, value: str) -> None:
        self.calls.append(("set_config", stack, key, value))
        self.config[stack][key] = value

    def set_list(self, stack: str, key: str, values: list[str]) -> None:
        self.calls.append(("set_list", stack, key, *values))
        self.config[stack][key] = json.dumps(values)

    def remove_config(self, stack: str, key: str) -> None:
        self.calls.append(("remove_config", stack, key))
        self.config[stack].pop(key, None)

    def outputs(self, stack: str) -> dict[str, Any]:
        return dict(self.exports.get(stack, {}))

    def get_config(self, stack: str) -> dict[str, str]:
        return dict(self.config[stack])

    def qualified_name(self, stack: str) -> str:
        return f"organization/xacct/{stack}"

    def interrupt(self) -> None:
        self.calls.append(("interrupt",))
        if self.interrupts == 1:
            self.cancelled.set()


def _role(stack: str) -> str:
    return "provider" if "provider" in stack else "consumer"
