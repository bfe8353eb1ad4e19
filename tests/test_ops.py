"""The rollout command's set-up (backend defaults, the missing CLI) and the offline plan as CI
runs it; the phases themselves are in test_rollout.py. Tests needing the real Pulumi CLI are
skipped without it."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.configs import ROOT
from xacct_ops import automation
from xacct_ops.cli import main

# ---- set-up: CLI, backend, passphrase ----------------------------------------------------


def test_missing_cli_fails_at_once_with_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(automation.shutil, "which", lambda _name: None)
    out = io.StringIO()
    assert main(["preview"], out=out) == 2
    assert "the Pulumi CLI is not on PATH" in out.getvalue()
    assert "https://www.pulumi.com/docs/install/" in out.getvalue()
    assert "python -m xacct_ops plan" in out.getvalue()


def test_a_configured_backend_wins(tmp_path: Path) -> None:
    assert automation.backend_env({"PULUMI_BACKEND_URL": "s3://state"}, tmp_path) == {}
    (tmp_path / "credentials.json").write_text(json.dumps({"current": "https://api.pulumi.com"}))
    assert automation.backend_env({}, tmp_path) == {}


def test_no_backend_means_local_file_state_with_a_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(automation, "LOCAL_STATE", tmp_path / ".pulumi-state")
    env = automation.backend_env({"PULUMI_CONFIG_PASSPHRASE": "x"}, tmp_path)
    assert env == {"PULUMI_BACKEND_URL": f"file://{tmp_path / '.pulumi-state'}"}
    with pytest.raises(automation.SetupError, match=r"set PULUMI_CONFIG_PASSPHRASE"):
        automation.backend_env({}, tmp_path, interactive=False)
    monkeypatch.setattr(automation.getpass, "getpass", lambda prompt: "typed")
    assert (
        automation.backend_env({}, tmp_path, interactive=True)["PULUMI_CONFIG_PASSPHRASE"]
        == "typed"
    )


# ---- plan: offline, as CI runs it --------------------------------------------------------


def test_plan_shows_both_stacks_counts_exports_gate_and_writes_the_diagram(tmp_path: Path) -> None:
    diagram = tmp_path / "path.mmd"
    out = io.StringIO()
    assert main(["plan", "--diagram", str(diagram)], out=out) == 0
    text = out.getvalue()
    assert "=== provider (1st up: publish the service)" in text
    assert "=== consumer (up: endpoint, NLB, VPC link, API)" in text
    assert "=== provider (2nd up: accept the consumer endpoints)" in text
    assert text.count("policy gate: PASS (0 mandatory") == 3
    assert "    xacct:provider:EndpointService  xacct-svc  (1 resources)" in text
    assert "  endpointIps = ['10.0.0.10', '10.0.16.10']" in text
    assert "plan: 3 stack runs, 0 mandatory policy violation(s), 0 AWS create-time" in text
    assert text.count("AWS create-time rules: PASS (0 breach(es))") == 3
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for line in (x for x in readme.splitlines() if x.startswith("resources: ")):
        assert line in text, f"README's plan sample is stale: {line!r}"
    chart = diagram.read_text()
    assert chart.startswith("flowchart LR") and '== "PrivateLink" ==> svc' in chart
    assert "api.provider.example.com" in chart


def project_copy(tmp_path: Path, **stack_files: dict[str, Any]) -> Path:
    """The project's stack files in a directory of their own, plus the given ones."""
    for name in ("provider", "consumer"):
        shutil.copy(ROOT / f"Pulumi.{name}.yaml", tmp_path)
    for stack, config in stack_files.items():
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def test_plan_counts_each_consumer(tmp_path: Path) -> None:
    consumer = yaml.safe_load((ROOT / "Pulumi.consumer.yaml").read_text())["config"]
    out = io.StringIO()
    main(
        [
            "--consumer-stack",
            "consumer",
            "--consumer-stack",
            "consumer-b",
            "plan",
            "--diagram",
            str(tmp_path / "d.mmd"),
        ],
        out=out,
        project_dir=project_copy(tmp_path, **{"consumer-b": consumer}),
    )
    text = out.getvalue()
    assert "=== consumer-b (up: endpoint, NLB, VPC link, API)" in text
    accepted = [line for line in text.splitlines() if line.startswith("  acceptedEndpointIds")]
    assert len(json.loads(accepted[-1].split(" = ")[1].replace("'", '"'))) == 2


def plan_text(tmp_path: Path, *argv: str, **stack_files: dict[str, Any]) -> tuple[int, str]:
    out = io.StringIO()
    code = main(
        [*argv, "plan", "--diagram", str(tmp_path / "d.mmd")],
        out=out,
        project_dir=project_copy(tmp_path, **stack_files),
    )
    return code, out.getvalue()


def stack_file(name: str, **changes: Any) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / f"Pulumi.{name}.yaml").read_text())["config"]
    return {k: v for k, v in {**config, **changes}.items() if v is not None}


def test_plan_of_a_stack_without_a_file_names_the_stacks_that_have_one(tmp_path: Path) -> None:
    code, text = plan_text(tmp_path, "--consumer-stack", "consmer")
    assert code == 2
    assert text == (
        f"error: stack 'consmer': there is no Pulumi.consmer.yaml in {tmp_path}; the plan "
        "reads the settings `pulumi up -s consmer` would read. Stacks with a file: consumer, "
        "provider\n"
    )


def test_plan_refuses_a_region_aws_does_not_have(tmp_path: Path) -> None:
    code, text = plan_text(tmp_path, provider=stack_file("provider", **{"aws:region": "mars-1"}))
    assert code == 2
    assert text.startswith(
        "error: Pulumi.provider.yaml: aws:region 'mars-1' is not an AWS region the offline plan "
        "knows: af-south-1, ap-east-1,"
    )


def test_plan_names_a_misspelt_region_key(tmp_path: Path) -> None:
    config = stack_file("consumer", **{"aws:region": None, "aws:regoin": "us-east-1"})
    code, text = plan_text(tmp_path, consumer=config)
    assert code == 2
    assert "error: Pulumi.consumer.yaml: aws:region is not set" in text
    assert (
        "  - aws:regoin: is not a setting of the AWS provider (pulumi-aws): did you mean " in text
    )


def test_plan_refuses_a_consumer_in_another_region_without_a_traceback(tmp_path: Path) -> None:
    code, text = plan_text(tmp_path, consumer=stack_file("consumer", **{"aws:region": "eu-west-1"}))
    assert code == 2
    assert text == (
        "error: provider stack 'organization/xacct/provider' is in us-east-1 and offers its "
        "service to us-east-1, not to eu-west-1 (this stack's aws:region): add eu-west-1 to the "
        "provider's xacct:supportedRegions and run `pulumi up` on it, or deploy this stack to "
        "us-east-1\n"
    )


def test_plan_reports_a_consumer_without_a_provider_stack_as_the_program_does(
    tmp_path: Path,
) -> None:
    code, text = plan_text(
        tmp_path, consumer=stack_file("consumer", **{"xacct:providerStack": None})
    )
    assert code == 2
    assert text.startswith(
        "error: invalid stack configuration:\n  - xacct:providerStack: is required"
    )


def test_plan_deploys_where_the_stack_files_say(tmp_path: Path) -> None:
    code, text = plan_text(
        tmp_path,
        provider=stack_file("provider", **{"aws:region": "eu-west-1"}),
        consumer=stack_file("consumer", **{"aws:region": "eu-west-1"}),
    )
    assert code == 0, text
    assert "  providerRegion = eu-west-1" in text and "  consumerRegion = eu-west-1" in text
    assert "  serviceAvailabilityZoneIds = ['euw1-az1', 'euw1-az2']" in text
    assert "us-east-1" not in text


def test_plan_from_the_command_line_ends_a_bad_stack_without_a_traceback(tmp_path: Path) -> None:
    # The full plan runs in-process above; here the module entry point, as a user starts it.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "xacct_ops",
            "--consumer-stack",
            "consmer",
            "plan",
            "--diagram",
            str(tmp_path / "d.mmd"),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout.startswith("error: stack 'consmer': there is no Pulumi.consmer.yaml")
    assert "Traceback" not in done.stderr + done.stdout


def automation_errors() -> type[Exception]:
    from pulumi.automation import StackNotFoundError

    return StackNotFoundError


@pytest.mark.cli
@pytest.mark.skipif(shutil.which("pulumi") is None, reason="needs the Pulumi CLI on PATH")
def test_real_cli_selects_stacks_and_names_them_for_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    stack_file = automation.PROJECT_DIR / "Pulumi.ci-probe.yaml"
    try:
        stacks = automation.AutomationStacks(out=io.StringIO())
        assert "ci-probe" not in stacks.names()
        stacks.create("ci-probe")
        assert "ci-probe" in stacks.names()
        assert stacks.qualified_name("ci-probe") == "organization/xacct/ci-probe"
        stacks.set_list("ci-probe", "xacct:consumerStacks", ["organization/xacct/a"])
        assert json.loads(stacks.get_config("ci-probe")["xacct:consumerStacks"]) == [
            "organization/xacct/a"
        ]
        stacks.remove_config("ci-probe", "xacct:consumerStacks")
        assert "xacct:consumerStacks" not in stacks.get_config("ci-probe")
        # A stack nobody created is never made on the side: selecting it fails.
        with pytest.raises(automation_errors()):
            stacks.outputs("ci-probe-typo")
    finally:
        stack_file.unlink(missing_ok=True)
