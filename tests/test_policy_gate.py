"""The pack as a preview gate on the real programs (run on the recording mocks): every documented
variant passes with no mandatory violation, and a deliberately weakened stack is caught by the
right rule."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import subprocess
import sys
from typing import Any

import pytest
import yaml

from policy.offline import Violation, evaluate, mandatory, stack_resources
from policy.rules import RULES
from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG, ROOT
from tests.support.program import Run, run_program
from tests.support.variants import (
    CONSUMER_VARIANTS,
    GATE,
    PROVIDER_STACK,
    PROVIDER_VARIANTS,
    VARIANT_PREFIX,
    consumer_account,
    consumer_variant,
    existing_account,
    provider_settings,
    provider_variant,
)
from xacct_ops.gate import gate_config
from xacct_ops.offline_engine import Registration


def provider_run(**changes: Any) -> Run:
    config = {k: v for k, v in {**PROVIDER_CONFIG, **changes}.items() if v is not None}
    account = existing_account() if "existingVpcId" in changes else None
    return run_program(config, account=account, stack_name="provider")


@pytest.fixture(scope="module")
def provider_exports() -> dict[str, Any]:
    return provider_variant("default").exports


def consumer_run(provider_exports: dict[str, Any], **changes: Any) -> Run:
    return run_program(
        {**CONSUMER_CONFIG, **changes},
        account=consumer_account(),
        stacks={PROVIDER_STACK: provider_exports},
        stack_name="consumer",
    )


def describe(violations: list[Violation]) -> list[str]:
    return [f"{v.policy}: {v.message}" for v in violations]


# The same runs as the AWS create-time rules judge (cached per worker).
@pytest.mark.parametrize("variant", PROVIDER_VARIANTS)
def test_provider_variants_pass_the_gate(variant: str) -> None:
    run = provider_variant(variant, VARIANT_PREFIX)
    gate = gate_config("provider", provider_settings(variant))
    assert describe(mandatory(evaluate(run.registrations, gate))) == []


@pytest.mark.parametrize("variant", CONSUMER_VARIANTS)
def test_consumer_variants_pass_the_gate(variant: str) -> None:
    run = consumer_variant(variant, VARIANT_PREFIX)
    assert describe(mandatory(evaluate(run.registrations, GATE["consumer"]))) == []


def test_unauthenticated_api_needs_the_gate_lowered_on_purpose(
    provider_exports: dict[str, Any],
) -> None:
    run = consumer_run(provider_exports, apiAuthorization="none")
    blocked = mandatory(evaluate(run.registrations, GATE["consumer"]))
    assert {v.policy for v in blocked} == {"apigw-authorization"} and len(blocked) == 2
    lowered = evaluate(
        run.registrations,
        {**GATE["consumer"], "apigw-authorization": {"enforcementLevel": "advisory"}},
    )
    assert mandatory(lowered) == []


def test_advisories_on_the_default_stacks_are_the_documented_ones(
    provider_exports: dict[str, Any],
) -> None:
    provider = {v.policy for v in evaluate(provider_run().registrations, GATE["provider"])}
    consumer_run_ = consumer_run(provider_exports)
    consumer = {v.policy for v in evaluate(consumer_run_.registrations, GATE["consumer"])}
    assert provider == {"lb-access-logs"}
    assert consumer == {"lb-deletion-protection", "lb-access-logs", "apigw-waf"}
    # The consumer NLB passes TLS through by design: its role's config allows that, and
    # without it the TCP listener is refused.
    strict = {v.policy for v in mandatory(evaluate(consumer_run_.registrations))}
    assert strict == {"listener-secure-protocol"}


def test_recorded_property_dependencies_reach_the_stack_rules() -> None:
    run = provider_run()
    resources = {r.name: r for r in stack_resources(run.registrations)}
    service = resources["xacct-svc-svc"]
    assert [d.name for d in service.property_dependencies["networkLoadBalancerArns"]] == [
        "xacct-lb-nlb"
    ]


# ---- weakened stacks are caught ----------------------------------------------------------


def weaken(run: Run, type_: str, name: str, **props: Any) -> list[Registration]:
    """The run's registrations with one resource's inputs (and state) changed."""
    target = run.one(type_, name)
    changed = dataclasses.replace(
        target, inputs={**target.inputs, **props}, outputs={**target.outputs, **props}
    )
    return [changed if r is target else r for r in run.registrations]


def caught(registrations: list[Registration], role: str = "") -> set[str]:
    if not role:
        role = "consumer" if any("consumer" in r.urn for r in registrations) else "provider"
    return {v.policy for v in mandatory(evaluate(registrations, GATE[role]))}


@pytest.fixture(scope="module")
def provider() -> Run:
    return provider_run()


@pytest.fixture(scope="module")
def consumer(provider_exports: dict[str, Any]) -> Run:
    return consumer_run(provider_exports)


def test_public_provider_nlb_is_caught(provider: Run) -> None:
    weakened = weaken(provider, "aws:lb/loadBalancer:LoadBalancer", "lb-nlb", internal=False)
    assert caught(weakened) == {"lb-internal", "endpoint-service-nlb-internal"}


def test_wildcard_principal_is_caught(provider: Run) -> None:
    weakened = weaken(
        provider, "aws:ec2/vpcEndpointService:VpcEndpointService", "svc", allowedPrincipals=["*"]
    )
    assert caught(weakened) == {"endpoint-service-principals-specific"}


def test_acceptance_off_is_caught(provider: Run) -> None:
    weakened = weaken(
        provider, "aws:ec2/vpcEndpointService:VpcEndpointService", "svc", acceptanceRequired=False
    )
    assert caught(weakened) == {"endpoint-service-acceptance-required"}


def test_world_ingress_to_the_nodes_is_caught(provider: Run) -> None:
    weakened = weaken(
        provider,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "nlb-nodes-in",
        cidrIpv4="0.0.0.0/0",
        referencedSecurityGroupId=None,
    )
    assert caught(weakened) == {"sg-no-world-ingress"}


def test_world_ingress_to_the_endpoint_is_caught(consumer: Run) -> None:
    weakened = weaken(
        consumer,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "nlb-endpoint-in",
        cidrIpv4="0.0.0.0/0",
        referencedSecurityGroupId=None,
    )
    assert caught(weakened) == {"sg-no-world-ingress", "endpoint-sg-scoped"}


def test_plain_http_integration_is_caught(consumer: Run) -> None:
    weakened = weaken(
        consumer,
        "aws:apigateway/integration:Integration",
        "proxy-backend",
        uri="http://api.provider.example.com/{proxy}",
    )
    assert caught(weakened) == {"apigw-private-integration"}


def test_public_vpc_link_target_is_caught(consumer: Run) -> None:
    weakened = weaken(consumer, "aws:lb/loadBalancer:LoadBalancer", "lb-nlb", internal=False)
    assert caught(weakened) == {"lb-internal", "apigw-vpclink-internal-nlb"}


def test_public_eks_endpoint_is_caught(provider: Run) -> None:
    weakened = weaken(provider, "eks:index:Cluster", "eks", publicAccessCidrs=["0.0.0.0/0"])
    assert caught(weakened) == {"eks-endpoint-restricted"}


# ---- the pack's files and the CI example -------------------------------------------------


def test_pack_entry_point_is_thin_and_builds_from_the_rules_module() -> None:
    source = (ROOT / "policy" / "__main__.py").read_text()
    calls = [
        n.func.id
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    assert calls == ["PolicyPack", "build_policies"]
    assert (
        yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())["runtime"]["name"]
        == "python"
    )


def test_the_pack_imports_as_the_policy_runtime_loads_it() -> None:
    # Pulumi runs policy/__main__.py with policy/ as the working directory: `rules` is then a
    # top-level package, so nothing in it may import through `policy.` or the program's code.
    done = subprocess.run(
        [sys.executable, "-c", "import rules; print(len(rules.build_policies()))"],
        cwd=ROOT / "policy",
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(RULES)


def test_example_workflow_is_valid_and_runs_the_gate() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "preview-gate.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["pull_request"]
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    previews = [s for s in steps if s.get("uses", "").startswith("pulumi/actions@")]
    assert previews and all(s["with"]["command"] == "preview" for s in previews)
    # The gate comes from the base branch: a pull request cannot lower the rules judging it.
    gate = next(s for s in steps if s.get("with", {}).get("path") == "gate")
    assert gate["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert all(s["with"]["policyPacks"] == "gate/policy" for s in previews)
    # Its config is the one the rollout would use for the stack, written by the base's code.
    writes = next(s for s in steps if "gate-config" in s.get("run", ""))
    assert "cd gate && venv/bin/python -m xacct_ops gate-config" in writes["run"]
    assert all(
        s["with"]["policyPackConfigs"] == "gate/build/policy-config.${{ matrix.stack }}.json"
        for s in previews
    )
    owners = (ROOT / ".github" / "CODEOWNERS").read_text()
    for guarded in (
        "/policy/",
        "/xacct_ops/gate.py",
        "/Pulumi.*.yaml",
        "/Pulumi.yaml",
        "/requirements*.txt",
        "/.github/",
    ):
        assert f"\n{guarded} " in owners
    # The gate is installed and written before the pull request's dependencies, every install
    # from wheels only, and found unchanged right before the preview.
    runs = [s.get("run", "") for s in steps]
    installs = [i for i, r in enumerate(runs) if "pip install" in r]
    assert all("--only-binary=:all:" in runs[i] for i in installs)
    gate_install = next(i for i in installs if "gate/requirements-ops.txt" in runs[i])
    program_install = next(i for i in installs if "-r requirements.txt" in runs[i])
    config_step = steps.index(writes)
    check = next(i for i, r in enumerate(runs) if "sha256sum --quiet --check" in r)
    preview = steps.index(previews[0])
    assert gate_install < config_step < program_install < check == preview - 1


@pytest.mark.parametrize("stack", ["provider", "consumer"])
def test_example_pack_configs_name_real_policies_and_settings(stack: str) -> None:
    from policy.rules import RULES

    config = json.loads((ROOT / "policy" / f"config.{stack}.json").read_text())
    known = {r.name: r for r in RULES}
    for policy, settings in config.items():
        assert policy in known, policy
        assert set(settings) <= {*known[policy].config, "enforcementLevel"}, policy


def test_internet_route_for_the_node_subnets_is_caught(provider: Run) -> None:
    # The public route table re-associated with a subnet the nodes and the NLB sit in.
    association = provider.one(
        "aws:ec2/routeTableAssociation:RouteTableAssociation", "net-private-use1-az1"
    )
    public = provider.one(
        "aws:ec2/routeTableAssociation:RouteTableAssociation", "net-public-use1-az1"
    )
    moved = dataclasses.replace(
        association,
        property_dependencies={
            **association.property_dependencies,
            "routeTableId": public.property_dependencies["routeTableId"],
        },
    )
    weakened = [moved if r is association else r for r in provider.registrations]
    assert caught(weakened) == {"no-internet-path"}


def test_stage_without_method_settings_is_caught(consumer: Run) -> None:
    settings = consumer.one("aws:apigateway/methodSettings:MethodSettings", "all-methods")
    assert caught([r for r in consumer.registrations if r is not settings]) == {
        "apigw-stage-method-settings"
    }


def test_internet_gateway_on_the_consumer_side_is_caught(consumer: Run) -> None:
    vpc = consumer.one("aws:ec2/vpc:Vpc", "net-vpc")
    igw = dataclasses.replace(
        vpc,
        type="aws:ec2/internetGateway:InternetGateway",
        name=vpc.name.replace("vpc", "igw"),
        urn=vpc.urn.replace(
            "aws:ec2/vpc:Vpc::", "aws:ec2/internetGateway:InternetGateway::"
        ).replace("-vpc", "-igw"),
        inputs={},
        outputs={},
    )
    assert caught([*consumer.registrations, igw]) == {"no-internet-path"}


def refreshed(run: Run) -> list[Registration]:
    """The registrations as a stack policy sees them after `pulumi refresh`: each security
    group's outputs list every rule AWS has on it, its separate rules' included."""
    by_urn = {r.urn: r for r in run.registrations}
    reported: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for rule in run.of_type(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    ):
        (sg_urn,) = rule.property_dependencies["securityGroupId"]
        direction = "egress" if "Egress" in rule.type else "ingress"
        peer = rule.inputs.get("referencedSecurityGroupId")
        entry = {
            "protocol": rule.inputs["ipProtocol"],
            "fromPort": rule.inputs.get("fromPort", 0),
            "toPort": rule.inputs.get("toPort", 0),
            "securityGroups": [peer] if peer else [],
            "cidrBlocks": [rule.inputs["cidrIpv4"]] if rule.inputs.get("cidrIpv4") else [],
            "self": False,
            "description": rule.inputs.get("description", ""),
        }
        reported.setdefault(sg_urn, {"ingress": [], "egress": []})[direction].append(entry)
    return [
        dataclasses.replace(r, outputs={**r.outputs, **reported[r.urn]})
        if r.urn in reported and by_urn[r.urn].type == "aws:ec2/securityGroup:SecurityGroup"
        else r
        for r in run.registrations
    ]


@pytest.mark.parametrize("side", ["provider", "consumer"])
def test_the_gate_passes_the_stacks_as_refreshed(side: str, provider: Run, consumer: Run) -> None:
    run = provider if side == "provider" else consumer
    registrations = refreshed(run)
    assert registrations != run.registrations  # the groups do report their rules now
    assert describe(mandatory(evaluate(registrations, GATE[side]))) == []
