"""The stack program: read settings, look up account facts, build the side `xacct:role` names
(components/provider.py or components/consumer.py, built the same way), export its outputs.

`__main__.py` calls `main()`. Tests and the offline plan call `build()` under Pulumi mocks and
get back the exports as a dict keyed by the constants in `components.outputs`.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import consumer, provider
from components.errors import StackError
from components.lookups import account_facts
from components.settings import ProviderSettings, Settings, load_settings


def build(settings: Settings) -> dict[str, Any]:
    facts = account_facts()
    if isinstance(settings, ProviderSettings):
        return provider.build(settings, facts)
    return consumer.build(settings, facts)


def main() -> None:
    """`pulumi up`'s entry: a problem the user must fix ends the run as one message listing
    every problem, before any resource is registered, and without a Python traceback."""
    try:
        exports = build(load_settings())
    except StackError as error:
        raise pulumi.RunError(str(error)) from None
    for key, value in exports.items():
        pulumi.export(key, value)
