"""Reading another stack's outputs: the provider's (for the consumer) and each consumer's (for
the provider's acceptance step).

The values are read as plain data while the program runs, not as Outputs, because they decide
*what* to declare: which subnets share an AZ ID with the service, how many endpoint IPs become
NLB targets, whether an endpoint's account may be accepted. They come from the engine's
built-in `pulumi:pulumi:readStackOutputs` function (pkg/resource/deploy/builtins.go, served in
previews too), called through the SDK's public `pulumi.runtime.invoke_async`, awaited from the
program's async entrypoint (`pulumi.run`, components/program.py): every stack is read at once
(`read_stacks`), so a provider with 1,000 consumer stacks waits for one round of reads, not
1,000 in a row, and nothing is declared before they have all been checked. The function is
the engine's own and undocumented: the Node SDK's synchronous StackReference used it until
Pulumi 2.0, today's StackReference reads the same backend through `ReadResource`;
tests/test_e2e_aws.py is what proves it on a real engine.
A StackReference is registered too, so the state, `pulumi stack graph` and Pulumi Cloud record
which stack depends on which. A secret output is refused: read this way it would land in this
stack's inputs and state in plain text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.errors import StackError

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
"""The engine's built-in function for a stack's outputs: {name, outputs, secretOutputNames}."""


class StackLinkError(StackError):
    """A referenced stack is missing, or lacks an output this program needs."""


@dataclass(frozen=True, kw_only=True)
class StackRead:
    """One stack to read: the StackReference's name, the stack, the outputs this program needs
    and what to tell the user when the stack or an output is missing."""

    resource_name: str
    stack: str
    keys: tuple[str, ...]
    hint: str
    optional: tuple[str, ...] = ()
    """Read when the stack exports them (older stacks may not)."""


async def read_stack_outputs(read: StackRead) -> dict[str, Any]:
    """The named outputs of one stack as plain values (secrets unwrapped); every missing key
    is named in one error."""
    pulumi.StackReference(read.resource_name, stack_name=read.stack)
    stack = read.stack
    try:
        found_value = await pulumi.runtime.invoke_async(READ_STACK_OUTPUTS, {"name": stack})
    except Exception as error:  # the engine could not read the stack at all
        raise StackLinkError(f"cannot read stack {stack!r} ({error}): {read.hint}") from error
    value: Mapping[str, Any] = found_value if isinstance(found_value, Mapping) else {}
    found = value.get("outputs")
    outputs: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    secret = sorted(set(read.keys + read.optional) & set(value.get("secretOutputNames") or []))
    if secret:
        raise StackLinkError(
            f"stack {stack!r} exports {', '.join(repr(k) for k in secret)} as a secret: "
            "this program reads it as a plain value, so it must not be one"
        )
    missing = [key for key in read.keys if outputs.get(key) is None]
    if missing:
        raise StackLinkError(
            f"stack {stack!r} has no output {', '.join(repr(k) for k in missing)}: {read.hint}"
        )
    return {key: outputs.get(key) for key in read.keys + read.optional}


async def read_stacks(reads: Sequence[StackRead]) -> list[dict[str, Any]]:
    """Every stack's outputs, read concurrently, in the order asked; one error lists every
    stack that could not be read."""
    results = await asyncio.gather(
        *(read_stack_outputs(read) for read in reads), return_exceptions=True
    )
    problems = [str(r) for r in results if isinstance(r, StackLinkError)]
    if problems:
        raise StackLinkError(
            problems[0]
            if len(problems) == 1
            else "\n  - ".join([f"{len(problems)} stacks cannot be read:", *problems])
        )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, dict)]
