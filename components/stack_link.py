"""Reading another stack's outputs: the provider's (for the consumer) and each consumer's (for
the provider's acceptance step).

The values are read as plain data while the program runs, not as Outputs, because they decide
*what* to declare: which subnets share an AZ ID with the service, how many endpoint IPs become
NLB targets, whether an endpoint's account may be accepted. They come from the engine's
`pulumi:pulumi:readStackOutputs` function, through the SDK's public synchronous
`pulumi.runtime.invoke` (what data sources such as `aws.get_region()` use, and what a
StackReference reads itself). A StackReference is registered too, so the state, `pulumi stack
graph` and Pulumi Cloud record which stack depends on which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from components.errors import StackError

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
"""The engine's built-in function for a stack's outputs: {name, outputs, secretOutputNames}."""


class StackLinkError(StackError):
    """A referenced stack is missing, or lacks an output this program needs."""


def read_stack_outputs(
    resource_name: str, stack_name: str, keys: tuple[str, ...], hint: str
) -> dict[str, Any]:
    """The named outputs of stack `stack_name` as plain values (secrets unwrapped); every
    missing key is named in one error."""
    pulumi.StackReference(resource_name, stack_name=stack_name)
    try:
        result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": stack_name})
    except Exception as error:  # the engine could not read the stack at all
        raise StackLinkError(f"cannot read stack {stack_name!r} ({error}): {hint}") from error
    found = result.value.get("outputs") if isinstance(result.value, Mapping) else None
    outputs: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    missing = [key for key in keys if outputs.get(key) is None]
    if missing:
        raise StackLinkError(
            f"stack {stack_name!r} has no output {', '.join(repr(k) for k in missing)}: {hint}"
        )
    return {key: outputs[key] for key in keys}
