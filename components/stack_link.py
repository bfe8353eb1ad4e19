"""Reading another stack's outputs: the provider's (for the consumer) and each consumer's (for
the provider's acceptance step).

The values are read as plain data while the program runs, not as Outputs, because they decide
*what* to declare: which subnets share an AZ ID with the service, how many endpoint IPs become
NLB targets, whether an endpoint's account may be accepted. They come from the engine's
built-in `pulumi:pulumi:readStackOutputs` function (pkg/resource/deploy/builtins.go, served in
previews too), called through the SDK's public synchronous `pulumi.runtime.invoke`, as data
sources such as `aws.get_region()` are. The function is the engine's own and undocumented: the
Node SDK's synchronous StackReference used it until Pulumi 2.0, today's StackReference reads the
same backend through `ReadResource`; tests/test_e2e_aws.py is what proves it on a real engine.
A StackReference is registered too, so the state, `pulumi stack graph` and Pulumi Cloud record
which stack depends on which. A secret output is refused: read this way it would land in this
stack's inputs and state in plain text.
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
    value: Mapping[str, Any] = result.value if isinstance(result.value, Mapping) else {}
    found = value.get("outputs")
    outputs: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    secret = sorted(set(keys) & set(value.get("secretOutputNames") or []))
    if secret:
        raise StackLinkError(
            f"stack {stack_name!r} exports {', '.join(repr(k) for k in secret)} as a secret: "
            "this program reads it as a plain value, so it must not be one"
        )
    missing = [key for key in keys if outputs.get(key) is None]
    if missing:
        raise StackLinkError(
            f"stack {stack_name!r} has no output {', '.join(repr(k) for k in missing)}: {hint}"
        )
    return {key: outputs[key] for key in keys}
