"""One measured evaluation, in a fresh process: import, run a stack program on the recording
mocks, print JSON (seconds for import and for evaluation, resources, peak memory)."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The SDK submodules the program uses, each with one class it declares: the SDKs load
# submodules lazily, on first attribute access, so importing alone would not pay for them.
SDK_TOUCHES = (
    ("pulumi_aws.acm", "Certificate"),
    ("pulumi_aws.apigateway", "RestApi"),
    ("pulumi_aws.apigatewayv2", "VpcLink"),
    ("pulumi_aws.autoscaling", "Attachment"),
    ("pulumi_aws.cloudtrail", "Trail"),
    ("pulumi_aws.cloudwatch", "MetricAlarm"),
    ("pulumi_aws.ec2", "Vpc"),
    ("pulumi_aws.eks", "NodeGroup"),
    ("pulumi_aws.iam", "Role"),
    ("pulumi_aws.kms", "Key"),
    ("pulumi_aws.lb", "LoadBalancer"),
    ("pulumi_aws.route53", "Record"),
    ("pulumi_aws.s3", "Bucket"),
    ("pulumi_aws.sns", "Topic"),
    ("pulumi_aws.vpc", "SecurityGroupIngressRule"),
    ("pulumi_eks", "Cluster"),
    ("pulumi_kubernetes.core.v1", "Service"),
    ("pulumi_kubernetes.apps.v1", "Deployment"),
    ("pulumi_kubernetes.helm.v3", "Release"),
    ("pulumi_kubernetes.apiextensions", "CustomResource"),
)


def touch_sdk() -> None:
    """The floor: what any program using these SDKs pays before doing anything."""
    import importlib

    import pulumi  # noqa: F401

    for module, name in SDK_TOUCHES:
        getattr(importlib.import_module(module), name)


def consumer_stacks(count: int) -> tuple[list[str], dict[str, dict[str, str]]]:
    """`count` consumer accounts and deployed consumer stacks (their exports, as the mocks
    would produce them) for the provider to allow and accept."""
    from components import outputs as keys

    accounts = [f"{100000000000 + i:012d}" for i in range(count)]
    stacks = {
        f"organization/xacct/consumer-{i}": {
            keys.INTERFACE_ENDPOINT_ID: f"vpce-{i:017x}",
            keys.CONSUMER_ACCOUNT_ID: account,
        }
        for i, account in enumerate(accounts)
    }
    return accounts, stacks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["floor", "provider", "consumer"])
    parser.add_argument("--consumers", type=int, default=1)
    parser.add_argument("--frontend", choices=["rest", "http"], default="rest")
    args = parser.parse_args()

    touch_sdk()
    import_s = time.perf_counter() - STARTED
    eval_s, resources = 0.0, None
    cost: dict[str, object] = {}
    if args.what != "floor":
        from xacct_ops.offline_engine import (
            AZS_BY_ACCOUNT,
            CONSUMER_ACCOUNT,
            FakeAccount,
            run_program,
        )
        from xacct_ops.plan import read_stack_file

        # The stacks as the stack files configure them.
        provider_config = read_stack_file("provider").config
        consumer_config = read_stack_file("consumer").config

        if args.what == "provider":
            accounts, stacks = consumer_stacks(args.consumers)
            config = {
                **provider_config,
                "consumerAccountIds": accounts,
                "consumerStacks": list(stacks),
            }
            started = time.perf_counter()
            run = run_program(config, stacks=stacks, stack_name="provider")
        else:
            # The provider's exports feed the consumer's StackReference; only the consumer's
            # own evaluation is timed.
            provider_exports = run_program(
                {**provider_config, "consumerAccountIds": [CONSUMER_ACCOUNT]}, stack_name="provider"
            ).exports
            account = FakeAccount(
                account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT])
            )
            consumer_config = {**consumer_config, "frontend": args.frontend}
            started = time.perf_counter()
            run = run_program(
                consumer_config,
                account=account,
                stack_name="consumer",
                stacks={consumer_config["providerStack"]: provider_exports},
            )
        eval_s = time.perf_counter() - started
        resources = len(run.registrations)
        if args.what == "consumer":
            from bench.costs import price

            priced = price(run.registrations)
            cost = {"monthly_usd": priced.monthly, "hops": list(priced.hops)}
    print(
        json.dumps(
            {
                "import_s": import_s,
                "eval_s": eval_s,
                "total_s": import_s + eval_s,
                "resources": resources,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                **cost,
            }
        )
    )


if __name__ == "__main__":
    main()
