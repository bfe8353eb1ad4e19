"""The rollout command end to end through `main()`, with the Automation API faked at the `Stacks`
boundary: it never touches a stack nobody named, gates every change (previews and ups alike)
with the policy pack and the stack's own allowed accounts, writes what it decides into the
stack files, survives Ctrl-C with the right recovery, and resumes with the same stacks."""

from __future__ import annotations

import io
import json
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.configs import ROOT
from tests.support.fake_stacks import FakeStacks
from xacct_ops.cli import main
from xacct_ops.gate import TRUSTING_RULES
from xacct_ops.orchestrate import Rollout, run_interruptible, summarize
from xacct_ops.verify import VerifyError


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project's stack files (and policy configs) in a folder of their own."""
    for name in ("provider", "consumer"):
        shutil.copy(ROOT / f"Pulumi.{name}.yaml", tmp_path)
    shutil.copytree(ROOT / "policy", tmp_path / "policy", ignore=shutil.ignore_patterns("venv"))
    return tmp_path


def stack_file(project: Path, stack: str, role: str) -> None:
    source = yaml.safe_load((ROOT / f"Pulumi.{role}.yaml").read_text())
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(source))


def run(
    argv: list[str],
    stacks: FakeStacks,
    project: Path,
    answer: str = "",
    interactive: bool = True,
    preflight: list[str] | None = None,
) -> tuple[int, str]:
    out = io.StringIO()
    code = main(
        ["--summary", str(project / "build" / "rollout-summary.json"), *argv],
        out=out,
        make_stacks=lambda _out: stacks,
        confirm=lambda _prompt: answer,
        project_dir=project,
        interactive=lambda: interactive,
        preflight=lambda _stacks, _rollout, _project: list(preflight or []),
        account_of=account_of,
    )
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def no_real_verify(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(
        "xacct_ops.cli.verify_all", lambda stacks, rollout, out, timeout: seen.append("verify")
    )
    return seen


PROVIDER_GATE = "build/policy-config.provider.json"
PROVIDER_ACCOUNT, CONSUMER_ACCOUNT = "222222222222", "111111111111"


def account_of(stack: str, _config: Mapping[str, str]) -> str:
    if stack == "locked-out":
        raise VerifyError(f"cannot sign in to the account of stack {stack} (aws:profile=gone)")
    return PROVIDER_ACCOUNT if stack == "provider" else CONSUMER_ACCOUNT


def gate_file(stack: str) -> str:
    return f"build/policy-config.{stack}.json"


# ---- up: gated, in order ----------------------------------------------------------------


def test_a_consumer_asking_for_private_dns_is_up_again_once_accepted(
    project: Path, no_real_verify: list[str]
) -> None:
    # AWS turns private DNS on only for an accepted endpoint: the consumer's own `up` before
    # the provider's accept cannot, so the rollout runs it again (gated) after the accept.
    stacks = FakeStacks(existing=("provider", "team-a", "team-b"))
    stacks.config["team-a"]["xacct:privateDns"] = "true"
    code, out = run(
        ["--consumer-stack", "team-a", "--consumer-stack", "team-b", "up"], stacks, project
    )
    assert code == 0, out
    ups = [c[1] for c in stacks.calls if c[0] == "up"]
    assert ups == ["provider", "team-a", "team-b", "provider", "team-a"]
    # Gated like every up: its preview under the pack right before it.
    assert stacks.calls[-2:] == [
        ("preview", "team-a", "policy", gate_file("team-a")),
        ("up", "team-a", "policy", gate_file("team-a")),
    ]
    assert "dns:team-a: up team-a: private DNS on its accepted endpoint" in out
    assert "dns:team-b" not in out


def test_up_gates_every_change_then_accepts_then_verifies(
    project: Path, no_real_verify: list[str]
) -> None:
    for name in ("team-a", "team-b"):
        stack_file(project, name, "consumer")
    stacks = FakeStacks(existing=("provider", "team-a", "team-b"))
    code, out = run(
        ["--consumer-stack", "team-a", "--consumer-stack", "team-b", "up"], stacks, project
    )
    assert code == 0, out
    provider_stack = ("set_config", "team-a", "xacct:providerStack", "organization/xacct/provider")
    assert stacks.calls == [
        ("preview", "provider", "policy", PROVIDER_GATE),
        ("up", "provider", "policy", PROVIDER_GATE),
        provider_stack,
        ("preview", "team-a", "policy", gate_file("team-a")),
        ("up", "team-a", "policy", gate_file("team-a")),
        ("set_config", "team-b", "xacct:providerStack", "organization/xacct/provider"),
        ("preview", "team-b", "policy", gate_file("team-b")),
        ("up", "team-b", "policy", gate_file("team-b")),
        (
            "set_list",
            "provider",
            "xacct:consumerStacks",
            "organization/xacct/team-a",
            "organization/xacct/team-b",
        ),
        ("preview", "provider", "policy", PROVIDER_GATE),
        (
            "set_list",
            "provider",
            "xacct:consumerStacks",
            "organization/xacct/team-a",
            "organization/xacct/team-b",
        ),
        ("up", "provider", "policy", PROVIDER_GATE),
    ]
    assert no_real_verify == ["verify"]
    assert "set xacct:providerStack = organization/xacct/provider on team-a (its stack file)" in out
    assert "==> [1/9] gate:provider: preview provider with the policy pack" in out
    assert "<== provider: 3 create, 10 unchanged in " in out
    assert "==> [9/9] verify: check every hop" in out and out.rstrip().endswith("up: done")


def test_the_gate_allows_the_accounts_the_provider_stack_declares(project: Path) -> None:
    stacks = FakeStacks()
    stacks.config["provider"]["xacct:consumerAccountIds"] = json.dumps(["333333333333"])
    stacks.config["provider"]["xacct:consumerRoleArns"] = json.dumps(
        ["arn:aws:iam::444444444444:role/link"]
    )
    assert run(["preview"], stacks, project)[0] == 0
    generated = json.loads((project / PROVIDER_GATE).read_text())
    assert generated["endpoint-service-principals-specific"] == {
        "allowedAccounts": ["333333333333", "444444444444"]
    }
    # The rest of the role's pack config is kept as it is.
    base = json.loads((project / "policy" / "config.provider.json").read_text())
    assert generated["log-group-retention"] == base["log-group-retention"]
    assert generated["listener-secure-protocol"] == {"allowTcpPassthrough": False}
    consumer = json.loads((project / gate_file("consumer")).read_text())
    trusted = {"trustedAccounts": [CONSUMER_ACCOUNT]}
    assert consumer == {
        **json.loads((project / "policy" / "config.consumer.json").read_text()),
        **{rule: trusted for rule in TRUSTING_RULES},
    }


def test_each_stack_trusts_its_own_account_only(project: Path) -> None:
    assert run(["preview"], FakeStacks(), project)[0] == 0
    for stack, account in (("provider", PROVIDER_ACCOUNT), ("consumer", CONSUMER_ACCOUNT)):
        generated = json.loads((project / gate_file(stack)).read_text())
        assert {rule: generated[rule] for rule in TRUSTING_RULES} == {
            rule: {"trustedAccounts": [account]} for rule in TRUSTING_RULES
        }


def test_a_stack_whose_account_cannot_be_signed_in_to_stops_the_rollout(project: Path) -> None:
    stack_file(project, "locked-out", "consumer")
    stacks = FakeStacks(existing=("provider", "locked-out"))
    code, out = run(["--consumer-stack", "locked-out", "up"], stacks, project)
    assert code == 2
    assert out == (
        "error: nothing was changed:\n"
        "  - cannot sign in to the account of stack locked-out (aws:profile=gone)\n"
    )
    assert [c for c in stacks.calls if c[0] in ("preview", "up", "destroy")] == []


def test_a_passthrough_provider_is_gated_as_one(project: Path) -> None:
    stacks = FakeStacks()
    stacks.config["provider"]["xacct:tlsMode"] = "passthrough"
    assert run(["preview"], stacks, project)[0] == 0
    generated = json.loads((project / PROVIDER_GATE).read_text())
    assert generated["listener-secure-protocol"] == {"allowTcpPassthrough": True}


def test_up_stops_at_the_first_failure_and_resumes_with_the_same_stacks(
    project: Path, no_real_verify: list[str]
) -> None:
    stack_file(project, "provider-prod", "provider")
    stacks = FakeStacks(existing=("provider-prod", "consumer"), fail_on=("preview", "consumer"))
    code, out = run(["--provider-stack", "provider-prod", "up"], stacks, project)
    assert code == 1
    assert stacks.calls[-1][:2] == ("preview", "consumer")
    assert ("up", "consumer") not in [c[:2] for c in stacks.calls] and no_real_verify == []
    assert "<== gate:consumer: FAILED after" in out
    assert "error: phase 'gate:consumer' failed: preview consumer failed: mandatory policy" in out
    assert (
        "resume with: python -m xacct_ops --provider-stack provider-prod --consumer-stack "
        "consumer up --from gate:consumer" in out
    )


def test_up_resumes_from_a_phase(project: Path) -> None:
    stacks = FakeStacks()
    code, out = run(["up", "--from", "accept"], stacks, project)
    assert code == 0
    assert [c[:2] for c in stacks.calls] == [("set_list", "provider"), ("up", "provider")]
    assert "==> [6/7] accept:" in out


def test_resuming_from_an_unknown_phase_lists_the_phases(project: Path) -> None:
    code, out = run(["up", "--from", "consumers"], FakeStacks(), project)
    assert code == 2
    assert (
        "is not a phase of python -m xacct_ops --provider-stack provider --consumer-stack "
        "consumer up: gate:provider, provider, gate:consumer, consumer:consumer, gate:accept, "
        "accept, verify" in out
    )


def test_preview_is_the_gate_alone_on_every_stack(project: Path) -> None:
    stacks = FakeStacks(existing=("provider", "a", "b"))
    assert (
        run(["--consumer-stack", "a", "--consumer-stack", "b", "preview"], stacks, project)[0] == 0
    )
    assert [c[:2] for c in stacks.calls] == [
        ("preview", "provider"),
        ("preview", "a"),
        ("preview", "b"),
    ]


def summary_of(project: Path) -> dict[str, Any]:
    return dict(json.loads((project / "build" / "rollout-summary.json").read_text()))


def test_every_run_leaves_a_machine_readable_summary(project: Path) -> None:
    stacks = FakeStacks(fail_on=("up", "consumer"))
    code, out = run(["up"], stacks, project)
    assert code == 1
    summary = summary_of(project)
    assert (summary["command"], summary["result"]) == ("up", "failed")
    assert [(p["phase"], p["result"], p["policyGate"]) for p in summary["phases"]] == [
        ("gate:provider", "ok", True),
        ("provider", "ok", False),
        ("gate:consumer", "ok", True),
        ("consumer:consumer", "failed", False),
    ]
    assert summary["phases"][1]["changes"] == {"create": 3, "same": 10}
    assert summary["phases"][3]["error"] == "up consumer failed: mandatory policy violation"
    assert f"summary: {project / 'build' / 'rollout-summary.json'}" in out


def test_drift_refreshes_every_stack_and_fails_on_a_difference(project: Path) -> None:
    calm = FakeStacks()
    assert run(["drift"], calm, project)[0] == 0
    assert calm.calls == [("drift", "provider"), ("drift", "consumer")]
    drifted = FakeStacks(drifted={"provider": {"same": 60, "update": 1}})
    code, out = run(["drift"], drifted, project)
    assert code == 1 and drifted.calls == [("drift", "provider")]
    assert (
        "error: phase 'drift:provider' failed: provider has drifted: 1 update to bring it back"
        in out
    )
    assert summary_of(project)["result"] == "failed"


# ---- only the stacks named, as they are ------------------------------------------------


def test_a_first_up_creates_a_stack_from_its_file_and_only_then(project: Path) -> None:
    stack_file(project, "team-c", "consumer")
    stacks = FakeStacks(existing=("provider",))
    code, out = run(["--consumer-stack", "team-c", "up"], stacks, project)
    assert code == 0, out
    assert stacks.calls.count(("create", "team-c")) == 1
    assert stacks.calls.index(("create", "team-c")) < stacks.calls.index(
        ("preview", "team-c", "policy", gate_file("team-c"))
    )
    assert "created stack team-c from Pulumi.team-c.yaml" in out


@pytest.mark.parametrize("command", [["preview"], ["destroy", "--yes"], ["verify"], ["up"]])
def test_a_mistyped_stack_is_refused_before_anything_is_touched(
    project: Path, command: list[str]
) -> None:
    stacks = FakeStacks()
    code, out = run(["--consumer-stack", "consmer", *command], stacks, project)
    assert code == 2 and stacks.calls == []
    how = (
        "`up` creates it from its stack file Pulumi.consmer.yaml"
        if command == ["up"]
        else "only `up` creates a stack"
    )
    assert out == (
        "error: nothing was changed:\n  - --consumer-stack consmer: no such stack (this "
        f"project's: consumer, provider); {how}\n"
    )


def test_a_stack_of_the_other_kind_is_refused(project: Path) -> None:
    stacks = FakeStacks(existing=("provider", "consumer"))
    code, out = run(
        ["--provider-stack", "consumer", "--consumer-stack", "provider", "destroy", "--yes"],
        stacks,
        project,
    )
    assert code == 2 and stacks.calls == []
    assert "  - --provider-stack consumer: its xacct:role is consumer, not provider" in out
    assert "  - --consumer-stack provider: its xacct:role is provider, not consumer" in out


def test_a_typo_in_destroy_leaves_the_real_stacks_alone(project: Path) -> None:
    # The failure this guards against: `consmer` created, "destroyed", then the real
    # provider unprotected and destroyed, while the real consumer kept its endpoint.
    stacks = FakeStacks()
    code, _ = run(["--consumer-stack", "consmer", "destroy", "--yes"], stacks, project)
    assert code == 2 and stacks.calls == [] and stacks.names() == ["provider", "consumer"]


def test_what_aws_refuses_in_the_preflight_stops_the_rollout_before_any_change(
    project: Path,
) -> None:
    stacks = FakeStacks()
    code, out = run(["up"], stacks, project, preflight=["consumer: the role is set elsewhere"])
    assert code == 2 and stacks.calls == []
    assert out == "error: nothing was changed:\n  - consumer: the role is set elsewhere\n"


# ---- destroy -------------------------------------------------------------------------


def test_destroy_runs_in_reverse_and_gives_the_protection_back(project: Path) -> None:
    stacks = FakeStacks(existing=("provider", "a", "b"))
    code, out = run(
        ["--consumer-stack", "a", "--consumer-stack", "b", "destroy"], stacks, project, "destroy"
    )
    assert code == 0
    assert stacks.calls == [
        ("destroy", "a"),
        ("destroy", "b"),
        ("set_config", "provider", "xacct:protectEndpointService", "false"),
        ("set_list", "provider", "xacct:consumerStacks"),
        ("up", "provider", "policy", PROVIDER_GATE),
        ("destroy", "provider"),
        ("remove_config", "provider", "xacct:protectEndpointService"),
    ]
    assert "xacct:protectEndpointService" not in stacks.config["provider"]
    assert "a later `up` protects again" in out


def test_destroy_without_confirmation_touches_nothing(project: Path) -> None:
    stacks = FakeStacks()
    code, out = run(["destroy"], stacks, project, answer="yes")
    assert code == 1 and stacks.calls == [] and "nothing destroyed" in out
    assert run(["destroy", "--yes"], stacks, project)[0] == 0 and stacks.calls


def test_destroy_unattended_needs_yes(project: Path) -> None:
    stacks = FakeStacks()
    code, out = run(["destroy"], stacks, project, interactive=False)
    assert code == 2 and stacks.calls == []
    assert out == "error: destroy asks for confirmation: add --yes to run it unattended\n"


# ---- interrupts -------------------------------------------------------------------------


def test_ctrl_c_lets_pulumi_cancel_and_names_the_interrupted_stack(project: Path) -> None:
    stack_file(project, "team-a", "consumer")
    stacks = FakeStacks(existing=("provider", "team-a"), interrupt_on=("up", "team-a"))
    code, out = run(["--consumer-stack", "team-a", "up"], stacks, project)
    assert code == 130
    assert ("interrupt",) in stacks.calls  # passed on to Pulumi, then waited for
    assert "interrupt: letting Pulumi cancel phase 'consumer:team-a' (up of team-a) cleanly" in out
    assert "interrupted during phase 'consumer:team-a' (up of team-a): Pulumi cancelled" in out
    assert "  1. pulumi cancel -s team-a --yes" in out
    assert "  2. pulumi refresh -s team-a --clear-pending-creates --yes" in out
    assert "  3. pulumi refresh -s team-a --yes" in out
    assert "-s provider" not in out
    assert (
        "resume with: python -m xacct_ops --provider-stack provider --consumer-stack team-a "
        "up --from consumer:team-a" in out
    )


def test_a_second_ctrl_c_leaves_at_once_and_says_what_may_remain(project: Path) -> None:
    stacks = FakeStacks(interrupt_on=("destroy", "consumer"), interrupts=2)
    try:
        code, out = run(["destroy", "--yes"], stacks, project)
    finally:
        stacks.cancelled.set()  # let the abandoned operation end
    assert code == 130
    assert "left at once during phase 'destroy:consumer' (destroy of consumer)" in out
    assert "may leave the stack locked with operations pending" in out
    assert "  1. pulumi cancel -s consumer --yes" in out


def test_interrupts_are_waited_out_once_and_obeyed_twice() -> None:
    results = []

    def wait_raising(times: int) -> Any:
        count = {"n": 0}

        def wait(finished: threading.Event) -> None:
            count["n"] += 1
            if count["n"] <= times:
                raise KeyboardInterrupt
            finished.wait()

        return wait

    done = threading.Event()
    value, interrupted = run_interruptible(
        lambda: done.wait(1) or {"same": 1}, lambda: results.append("first"), wait_raising(1)
    )
    assert interrupted and results == ["first"] and value == {"same": 1}
    slow = threading.Event()
    with pytest.raises(KeyboardInterrupt):
        run_interruptible(lambda: slow.wait(1) and None, lambda: None, wait_raising(2))
    slow.set()
    assert run_interruptible(lambda: {"create": 1}, lambda: None) == ({"create": 1}, False)
    with pytest.raises(ValueError, match="bad"):
        run_interruptible(lambda: (_ for _ in ()).throw(ValueError("bad")), lambda: None)


# ---- arguments --------------------------------------------------------------------------


def test_bad_arguments_are_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["up", "--timeout", "-5"])
    assert "'-5' is not a positive number of seconds" in capsys.readouterr().err


def test_help_names_the_phases_to_resume_at(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["up", "--help"])
    assert (
        "gate:accept, accept, gate:dns:<c>, dns:<c> for each consumer with xacct:privateDns, verify"
        in " ".join(capsys.readouterr().out.split())
    )


def test_a_diagram_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["plan", "--diagram", str(tmp_path)], out=out) == 2
    assert out.getvalue() == f"error: --diagram {tmp_path} is a directory: give a file name\n"


def test_summaries_name_the_changes() -> None:
    assert summarize({"create": 2, "update": 1, "same": 5}) == "2 create, 1 update, 5 unchanged"
    assert summarize({}) == "no resource changes"


def test_rollout_defaults() -> None:
    assert Rollout() == Rollout(provider="provider", consumers=("consumer",))


# ---- gate-config: the rollout's gate for a CI preview -------------------------------------


def gate_config_run(project: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["gate-config", *argv], out=out, project_dir=project, account_of=account_of)
    return code, out.getvalue()


def test_gate_config_is_the_rollouts_gate_for_one_stack(project: Path) -> None:
    code, out = gate_config_run(project, "provider")
    assert code == 0 and out == f"{project / PROVIDER_GATE}\n"
    written = json.loads((project / PROVIDER_GATE).read_text())
    # What the stack file declares, the account it signs in to, the role's pack config.
    stack = yaml.safe_load((project / "Pulumi.provider.yaml").read_text())["config"]
    assert written["endpoint-service-principals-specific"]["allowedAccounts"] == sorted(
        stack["xacct:consumerAccountIds"]
    )
    assert {rule: written[rule] for rule in TRUSTING_RULES} == {
        rule: {"trustedAccounts": [PROVIDER_ACCOUNT]} for rule in TRUSTING_RULES
    }
    base = json.loads((project / "policy" / "config.provider.json").read_text())
    assert written["log-group-retention"] == base["log-group-retention"]


def test_gate_config_reads_the_role_from_the_stack_file_and_the_base_from_pack(
    project: Path, tmp_path: Path
) -> None:
    stack_file(project, "team-a", "consumer")
    trusted = tmp_path / "base-branch" / "policy"
    shutil.copytree(project / "policy", trusted)
    base = json.loads((trusted / "config.consumer.json").read_text())
    base["log-group-retention"] = {"minimumRetentionDays": 400}
    (trusted / "config.consumer.json").write_text(json.dumps(base))
    code, _ = gate_config_run(
        project, "team-a", "--pack", str(trusted), "--account", "444444444444"
    )
    assert code == 0
    written = json.loads((project / gate_file("team-a")).read_text())
    assert written["log-group-retention"] == {"minimumRetentionDays": 400}
    assert written["resource-policy-principals"] == {"trustedAccounts": ["444444444444"]}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["nope"],
            "error: there is no Pulumi.nope.yaml in {project}; stacks with a file: consumer, "
            "provider\n",
        ),
        (
            ["locked-out"],
            "error: cannot sign in to the account of stack locked-out (aws:profile=gone); or "
            "give the account with --account\n",
        ),
        (
            ["provider", "--pack", "{project}/nowhere"],
            "error: --pack {project}/nowhere: there is no config.provider.json in it\n",
        ),
        (
            ["no-role"],
            "error: Pulumi.no-role.yaml: xacct:role is None; expected provider or consumer\n",
        ),
    ],
)
def test_gate_config_refuses_what_it_cannot_judge(
    project: Path, argv: list[str], message: str
) -> None:
    stack_file(project, "locked-out", "consumer")
    (project / "Pulumi.no-role.yaml").write_text("config:\n  aws:region: us-east-1\n")
    if argv == ["nope"]:
        (project / "Pulumi.locked-out.yaml").unlink()
        (project / "Pulumi.no-role.yaml").unlink()
    code, out = gate_config_run(project, *[a.format(project=project) for a in argv])
    assert (code, out) == (2, message.format(project=project))
    assert not (project / "build").exists()


def test_gate_config_account_must_be_an_account_id(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        gate_config_run(project, "provider", "--account", "12345")
    assert exit_.value.code == 2
    assert (
        "argument --account: '12345' is not an AWS account id (12 digits)"
        in capsys.readouterr().err
    )
