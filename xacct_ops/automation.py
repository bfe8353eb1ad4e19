"""`Stacks` over the Pulumi Automation API, with this project directory as the local program.

Backend: an existing `PULUMI_BACKEND_URL` or `pulumi login` wins; with neither, state goes to a
local file backend inside the project (`.pulumi-state/`), the embedded default. The passphrase
for that backend's secrets comes from `PULUMI_CONFIG_PASSPHRASE`(`_FILE`) or a prompt.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xacct_ops import PROJECT_DIR

LOCAL_STATE = PROJECT_DIR / ".pulumi-state"

INSTALL_HINT = (
    "the Pulumi CLI is not on PATH. Install it (https://www.pulumi.com/docs/install/: "
    "`curl -fsSL https://get.pulumi.com | sh`, or `brew install pulumi`) and retry. Without "
    "cloud access, `python -m xacct_ops plan` shows what the stacks would build, offline."
)


class SetupError(RuntimeError):
    """Something to fix before any stack is touched (CLI, backend, passphrase)."""


def require_cli() -> str:
    path = shutil.which("pulumi")
    if path is None:
        raise SetupError(INSTALL_HINT)
    return path


def logged_in_backend(home: Path | None = None) -> str | None:
    """The backend `pulumi login` chose, if any (from ~/.pulumi/credentials.json)."""
    credentials = (home or Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi"))) / (
        "credentials.json"
    )
    try:
        current = json.loads(credentials.read_text()).get("current")
    except (OSError, ValueError):
        return None
    return str(current) if current else None


def backend_env(
    environ: Mapping[str, str], home: Path | None = None, *, interactive: bool | None = None
) -> dict[str, str]:
    """Environment for the Pulumi CLI: the backend to use and, for a local backend, the
    passphrase. Raises SetupError with what to do when no passphrase can be had."""
    env: dict[str, str] = {}
    if environ.get("PULUMI_BACKEND_URL") or logged_in_backend(home):
        return env
    LOCAL_STATE.mkdir(exist_ok=True)
    env["PULUMI_BACKEND_URL"] = f"file://{LOCAL_STATE}"
    if environ.get("PULUMI_CONFIG_PASSPHRASE") is not None or environ.get(
        "PULUMI_CONFIG_PASSPHRASE_FILE"
    ):
        return env
    interactive = sys.stdin.isatty() if interactive is None else interactive
    if not interactive:
        raise SetupError(
            "no state backend is configured, so state goes to the local file backend "
            f"{LOCAL_STATE}, whose secrets need a passphrase: set PULUMI_CONFIG_PASSPHRASE "
            "(or PULUMI_CONFIG_PASSPHRASE_FILE), or `pulumi login` to an S3 bucket or Pulumi Cloud"
        )
    env["PULUMI_CONFIG_PASSPHRASE"] = getpass.getpass(
        f"Passphrase for the local state in {LOCAL_STATE} (PULUMI_CONFIG_PASSPHRASE skips this): "
    )
    return env


class AutomationStacks:
    """The real thing: each call runs the Pulumi CLI on one stack of this project. A stack is
    selected, never created on the side: only `create` creates one (the rollout's first `up`
    of a stack that has a stack file)."""

    def __init__(
        self,
        out: Any = sys.stdout,
        environ: Mapping[str, str] | None = None,
        organization: str | None = None,
    ) -> None:
        from pulumi import automation as auto

        require_cli()
        self._auto = auto
        self._out = out
        self._env = backend_env(os.environ if environ is None else environ)
        self._organization = organization
        self._stacks: dict[str, Any] = {}
        self._workspace = auto.LocalWorkspace(work_dir=str(PROJECT_DIR), env_vars=self._env)

    def _stack(self, name: str) -> Any:
        if name not in self._stacks:
            self._stacks[name] = self._auto.select_stack(
                stack_name=name,
                work_dir=str(PROJECT_DIR),
                opts=self._auto.LocalWorkspaceOptions(env_vars=self._env),
            )
        return self._stacks[name]

    def _print(self, line: str) -> None:
        self._out.write(line if line.endswith("\n") else line + "\n")
        self._out.flush()

    def names(self) -> list[str]:
        return [summary.name.split("/")[-1] for summary in self._workspace.list_stacks()]

    def create(self, stack: str) -> None:
        self._stacks[stack] = self._auto.create_stack(
            stack_name=stack,
            work_dir=str(PROJECT_DIR),
            opts=self._auto.LocalWorkspaceOptions(env_vars=self._env),
        )

    def _policy(self, policy_pack: str, policy_config: str | None) -> dict[str, Any]:
        return {
            "policy_packs": [str(PROJECT_DIR / policy_pack)],
            "policy_pack_configs": [str(PROJECT_DIR / policy_config)] if policy_config else None,
            "on_output": self._print,
            "color": "always" if self._out.isatty() else "never",
        }

    def preview(self, stack: str, *, policy_pack: str, policy_config: str | None) -> Any:
        result = self._stack(stack).preview(**self._policy(policy_pack, policy_config))
        return result.change_summary

    def up(self, stack: str, *, policy_pack: str, policy_config: str | None) -> Any:
        result = self._stack(stack).up(**self._policy(policy_pack, policy_config))
        return result.summary.resource_changes

    def drift(self, stack: str) -> Any:
        result = self._stack(stack).preview(
            refresh=True,
            on_output=self._print,
            color="always" if self._out.isatty() else "never",
        )
        return result.change_summary

    def destroy(self, stack: str) -> Any:
        result = self._stack(stack).destroy(on_output=self._print)
        return result.summary.resource_changes

    def set_config(self, stack: str, key: str, value: str) -> None:
        self._stack(stack).set_config(key, self._auto.ConfigValue(value=value))

    def set_list(self, stack: str, key: str, values: list[str]) -> None:
        target = self._stack(stack)
        with contextlib.suppress(self._auto.CommandError):  # not set yet
            target.remove_config(key)
        for index, value in enumerate(values):
            target.set_config(f"{key}[{index}]", self._auto.ConfigValue(value=value), path=True)

    def remove_config(self, stack: str, key: str) -> None:
        with contextlib.suppress(self._auto.CommandError):  # not set
            self._stack(stack).remove_config(key)

    def get_config(self, stack: str) -> dict[str, str]:
        return {k: v.value for k, v in self._stack(stack).get_all_config().items()}

    def outputs(self, stack: str) -> dict[str, Any]:
        return {k: v.value for k, v in self._stack(stack).outputs().items()}

    def qualified_name(self, stack: str) -> str:
        """organization/<project>/<stack> on self-managed backends; <org>/<project>/<stack> on
        Pulumi Cloud, with the organization given (--organization) or the backend's default
        organization (`pulumi org get-default`), not the user's name."""
        backend = self._env.get("PULUMI_BACKEND_URL") or os.environ.get(
            "PULUMI_BACKEND_URL", logged_in_backend() or ""
        )
        project = self._workspace.project_settings().name
        if backend.startswith(("file://", "s3://", "azblob://", "gs://")):
            return f"organization/{project}/{stack}"
        return f"{self._organization or self._default_organization()}/{project}/{stack}"

    def _default_organization(self) -> str:
        if self._organization is None:
            try:
                found = self._workspace.pulumi_command.run(
                    ["org", "get-default"], str(PROJECT_DIR), self._env
                ).stdout.strip()
            except self._auto.CommandError:
                found = ""
            self._organization = found or self._workspace.who_am_i().user
        return self._organization

    def interrupt(self) -> None:
        """A Ctrl-C from a terminal reaches Pulumi too (same process group); otherwise (a CI
        runner signalling this process only) pass one SIGINT on, so it cancels cleanly."""
        if terminal_interrupts_children():
            return
        for pid in child_pulumi_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)


def terminal_interrupts_children() -> bool:
    """Whether this process runs in the terminal's foreground group, where Ctrl-C signals
    every process of the group, Pulumi's included."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError):
        return False


def child_pulumi_processes(proc: Path = Path("/proc")) -> list[int]:
    """The `pulumi` processes this one started (Linux /proc; none found elsewhere)."""
    found = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.find("(") + 1 : text.rfind(")")]
        parent = int(text[text.rfind(")") + 2 :].split()[1])
        if parent == os.getpid() and name == "pulumi":
            found.append(int(stat.parent.name))
    return found
