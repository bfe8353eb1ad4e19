"""What the rollout asks AWS before it changes anything, where the stack program cannot ask.

API Gateway's CloudWatch role (`aws.apigateway.Account`) is one setting per account and region,
which every REST API there logs through, and no data source reads it. So before `up` or
`preview` the rollout reads it (boto3, as each consumer stack's account) and decides who owns it:
exactly one stack per account and region manages it, a stack does not take over a role someone
else set, and a stack that does not manage it finds one set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

Session = Callable[[str, Mapping[str, str]], Any]
"""(stack, its config) → a boto3 session in its account (verify.account_session)."""


def stack_config(stacks: Any, stack: str, exists: bool, project_dir: Path) -> dict[str, str]:
    """A stack's settings as strings: from the backend when it exists, else from its file."""
    if exists:
        return dict(stacks.get_config(stack))
    path = project_dir / f"Pulumi.{stack}.yaml"
    values = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def _manages(config: Mapping[str, str]) -> bool:
    return str(config.get("xacct:manageApiGatewayAccount", "true")).lower() != "false"


def _owned_role_names(outputs: Mapping[str, Any]) -> set[str]:
    """The logging role this stack created, as its retainedOnDestroy output names it."""
    names = set()
    for item in outputs.get("retainedOnDestroy") or []:
        text = str(item)
        if text.startswith("IAM role ") and text.endswith(" (API Gateway logging)"):
            names.add(text.removeprefix("IAM role ").removesuffix(" (API Gateway logging)"))
    return names


def api_gateway_logging(
    stacks: Any,
    consumers: tuple[str, ...],
    create: frozenset[str],
    project_dir: Path,
    session: Session,
) -> list[str]:
    """Problems with who sets each account and region's API Gateway CloudWatch role."""
    problems: list[str] = []
    groups: dict[tuple[str, str], list[tuple[str, bool, set[str]]]] = {}
    current: dict[tuple[str, str], str] = {}
    for consumer in consumers:
        exists = consumer not in create
        config = stack_config(stacks, consumer, exists, project_dir)
        if str(config.get("xacct:frontend", "rest")) == "http":
            continue  # an HTTP API logs without the region's role, and never sets it
        aws = session(consumer, config)
        account = str(aws.client("sts").get_caller_identity()["Account"])
        region = str(config.get("aws:region") or aws.region_name)
        where = (account, region)
        if where not in current:
            found = aws.client("apigateway", region_name=region).get_account()
            current[where] = str(found.get("cloudwatchRoleArn") or "")
        owned = _owned_role_names(stacks.outputs(consumer)) if exists else set()
        groups.setdefault(where, []).append((consumer, _manages(config), owned))
    for (account, region), members in groups.items():
        role = current[(account, region)]
        managers = [name for name, manages, _ in members if manages]
        place = f"account {account} in {region}"
        if len(managers) > 1:
            problems.append(
                f"{' and '.join(managers)} would both set the API Gateway CloudWatch role of "
                f"{place} (xacct:manageApiGatewayAccount): keep it true on one of them"
            )
        for name, manages, owned in members:
            mine = any(role.endswith(f":role/{n}") or role.endswith(f"/{n}") for n in owned)
            if manages and role and not mine and len(managers) == 1:
                problems.append(
                    f"{name}: the API Gateway CloudWatch role of {place} is already set "
                    f"({role}), not by this stack: set xacct:manageApiGatewayAccount false on "
                    f"{name} (its stage logs through that role)"
                )
            if not managers and not role:
                problems.append(
                    f"{name}: no API Gateway CloudWatch role is set in {place}, and no stack "
                    "here sets it (xacct:manageApiGatewayAccount false): the stage could not "
                    "log; set it true on one stack of that account and region"
                )
    return problems
