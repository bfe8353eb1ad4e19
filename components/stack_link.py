"""Reading another stack's outputs: the provider's (for the consumer) and each consumer's (for
the provider's acceptance step).

The values are read as plain data while the program runs, not as Outputs, because they decide
*what* to declare: which subnets share an AZ ID with the service, how many endpoint IPs become
NLB targets, whether an endpoint's account may be accepted. Pulumi's synchronous data-source
calls (`aws.get_region()` and the like) wait for their result the same way.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from components.errors import StackError


class StackLinkError(StackError):
    """A referenced stack is missing, or lacks an output this program needs."""


def read_stack_outputs(
    ref: pulumi.StackReference, stack_name: str, keys: tuple[str, ...], hint: str
) -> dict[str, Any]:
    """The named outputs of `ref` as plain values; every missing key is named in one error."""
    values: dict[str, Any] = {}
    missing: list[str] = []
    for key in keys:
        try:
            details = _sync_await(ref.get_output_details(key))
        except Exception as error:  # the engine could not read the stack at all
            raise StackLinkError(f"cannot read stack {stack_name!r} ({error}): {hint}") from error
        value = details.value if details.value is not None else details.secret_value
        if value is None:
            missing.append(key)
        else:
            values[key] = value
    if missing:
        raise StackLinkError(
            f"stack {stack_name!r} has no output {', '.join(repr(k) for k in missing)}: {hint}"
        )
    return values
