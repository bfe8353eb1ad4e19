"""The stack program: read settings, look up account facts, build the side `xacct:role` names
(components/provider.py or components/consumer.py, built the same way), export its outputs.

`__main__.py` calls `main()`, which hands `run()` to `pulumi.run`, the SDK's async entrypoint
(pulumi >= 3.254): the program awaits what it reads from other stacks, all at once, before it
declares anything. Tests and the offline plan await `build()` under Pulumi mocks and get back
the exports as a dict keyed by the constants in `components.outputs`.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import consumer, provider
from components.errors import StackError
from components.lookups import account_facts
from components.settings import ProviderSettings, Settings, load_settings


async def build(settings: Settings) -> dict[str, Any]:
    facts = account_facts()
    if isinstance(settings, ProviderSettings):
        return await provider.build(settings, facts)
    return await consumer.build(settings, facts)


async def run() -> dict[str, Any]:
    """The stack's outputs. A problem the user must fix ends the run as one message listing
    every problem, before any resource is registered, and without a Python traceback."""
    try:
        return await build(load_settings())
    except StackError as error:
        raise pulumi.RunError(str(error)) from None


def main() -> None:
    """`pulumi up`'s entry: the SDK awaits `run()` and exports what it returns."""
    pulumi.run(run)
