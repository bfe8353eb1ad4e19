"""Planted defects in the lines security and wiring depend on, each with the tests that must
notice it. `python -m mutation.run` (make mutate) applies one at a time to a copy of the
project, runs those tests, and prints how many were caught. A test keeps each `old` text
present exactly once, so the list cannot rot silently."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    why: str


PROVIDER_NLB = (
    "internal={internal},\n            subnets=args.subnet_ids,\n"
    "            security_groups=[sg.id],\n"
    '            enforce_security_group_inbound_rules_on_private_link_traffic="off",'
)

MUTANTS = (
    Mutant(
        "logs key open to anyone",
        "components/keys.py",
        '"Principal": {"AWS": f"arn:{facts.partition}:iam::{facts.account_id}:root"}',
        '"Principal": {"AWS": "*"}',
        ("tests/test_provider.py",),
        "anyone gets kms:* on the key of every log group, the trail and the alarm topic",
    ),
    Mutant(
        "logs statement without its encryption context",
        "components/keys.py",
        '"Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": logs_arns}},',
        "",
        ("tests/test_provider.py",),
        "CloudWatch Logs of any account could use the key",
    ),
    Mutant(
        "alarms statement without its source account",
        "components/keys.py",
        '"Action": ["kms:Decrypt", "kms:GenerateDataKey*"],\n'
        '                "Resource": "*",\n'
        '                "Condition": {"StringEquals": {"aws:SourceAccount": account}},',
        '"Action": ["kms:Decrypt", "kms:GenerateDataKey*"],\n                "Resource": "*",',
        ("tests/test_provider.py",),
        "CloudWatch alarms of any account could use the key",
    ),
    Mutant(
        "endpoint service accepts on its own",
        "components/endpoint_service.py",
        "acceptance_required=True,",
        "acceptance_required=False,",
        ("tests/test_provider.py", "tests/test_policy_gate.py"),
        "any allowed principal's endpoint connects without the provider's acceptance",
    ),
    Mutant(
        "endpoint service without the guard on principals",
        "components/endpoint_service.py",
        'if not args.allowed_principals or "*" in args.allowed_principals:',
        "if False:",
        ("tests/test_provider.py",),
        "a `*` principal would publish the NLB to every account",
    ),
    Mutant(
        "acceptance of a stranger's endpoint",
        "components/endpoint_service.py",
        "if c.account_id not in allowed_account_ids:",
        "if False:",
        ("tests/test_acceptance.py",),
        "the provider would accept endpoints from accounts it never allowed",
    ),
    Mutant(
        "consumer NLB targets one IP only",
        "components/consumer_nlb.py",
        "target_id=ip,",
        "target_id=args.target_ips[0],",
        ("tests/test_consumer.py",),
        "every AZ but one loses its path to the endpoint",
    ),
    Mutant(
        "public provider NLB",
        "components/provider_nlb.py",
        PROVIDER_NLB.format(internal="True"),
        PROVIDER_NLB.format(internal="False"),
        ("tests/test_provider.py", "tests/test_policy_gate.py"),
        "the workload's NLB would face the internet",
    ),
    Mutant(
        "TLS 1.0 on the provider listener",
        "components/provider_nlb.py",
        "ssl_policy=listener.tls_policy if tls else None,",
        'ssl_policy="ELBSecurityPolicy-2016-08" if tls else None,',
        ("tests/test_provider.py", "tests/test_policy_gate.py"),
        "the listener would negotiate TLS 1.0",
    ),
    Mutant(
        "ingress from anywhere instead of the source group",
        "components/security.py",
        '        referenced_security_group_id=source,\n        ip_protocol="tcp",',
        '        cidr_ipv4="0.0.0.0/0",\n        ip_protocol="tcp",',
        ("tests/test_provider.py", "tests/test_consumer.py", "tests/test_policy_gate.py"),
        "every hop would admit the internet instead of the previous hop",
    ),
    Mutant(
        "cluster API private access off",
        "components/cluster.py",
        "endpoint_private_access=True,",
        "endpoint_private_access=False,",
        ("tests/test_provider.py",),
        "nodes and in-VPC runners could not reach the API server privately",
    ),
    Mutant(
        "integration skips TLS verification",
        "components/api.py",
        "insecure_skip_verification=False",
        "insecure_skip_verification=True",
        ("tests/test_consumer.py", "tests/test_policy_gate.py"),
        "API Gateway would talk to whoever answers, unverified",
    ),
    Mutant(
        "IAM auth becomes none",
        "components/api.py",
        'AUTHORIZATION = {"iam": "AWS_IAM",',
        'AUTHORIZATION = {"iam": "NONE",',
        ("tests/test_consumer.py", "tests/test_policy_gate.py"),
        "the API would answer anyone",
    ),
    Mutant(
        "the kubeconfig forgets the stack's role",
        "components/cluster.py",
        'token_args += ["--role-arn", credentials.role_arn]',
        "pass",
        ("tests/test_provider.py",),
        "Kubernetes calls would be signed by whatever identity the environment holds",
    ),
    Mutant(
        "the world as a public-endpoint CIDR",
        "components/settings/provider.py",
        "    if network.prefixlen == 0:\n",
        "    if False:\n",
        ("tests/test_config.py",),
        "0.0.0.0/0 would reach the cluster's public API endpoint",
    ),
    Mutant(
        "bucket public policy allowed",
        "components/buckets.py",
        "block_public_policy=True,",
        "block_public_policy=False,",
        ("tests/test_provider.py", "tests/test_policy_gate.py"),
        "a bucket policy could make the audit log (or the truststore) public",
    ),
    Mutant(
        "endpoint replaced before its IPs are free",
        "components/interface_endpoint.py",
        "                delete_before_replace=True,\n",
        "",
        ("tests/test_aws_rules.py",),
        "replacing the endpoint fails: its pinned IPs are still held",
    ),
    Mutant(
        "destroy starts with the provider",
        "xacct_ops/orchestrate.py",
        '    phases += [\n        Phase("unprotect"',
        '    phases[:0] = [\n        Phase("unprotect"',
        ("tests/test_rollout.py",),
        "the provider would go first, orphaning every consumer's endpoint",
    ),
    Mutant(
        "admin through an attachment let through",
        "policy/rules/iam.py",
        'if token in IAM_ATTACHMENTS and _admin_arn(props.get("policyArn", "")):',
        "if False:",
        ("tests/policy_rules/test_iam.py",),
        "AdministratorAccess attached to a role would pass the gate",
    ),
    Mutant(
        "HTTP API integration in plain HTTP",
        "components/http_api.py",
        """            tls_config=aws.apigatewayv2.IntegrationTlsConfigArgs(
                server_name_to_verify=args.server_name
            ),
""",
        "",
        ("tests/test_http_front.py", "tests/test_policy_gate.py"),
        "without a TLS config an HTTP API's private integration speaks plain HTTP to the provider",
    ),
    Mutant(
        "private API open to any principal through its endpoints",
        "components/api.py",
        'open_allow=args.authorization != "iam"',
        "open_allow=True",
        ("tests/test_private_api.py",),
        "an Allow to * in the resource policy lets any principal of the account in without IAM",
    ),
    Mutant(
        "cross-region endpoint in an AZ AWS excludes",
        "components/consumer.py",
        "az for az in facts.az_names_by_id if az not in CROSS_REGION_UNSUPPORTED_AZ_IDS",
        "az for az in facts.az_names_by_id",
        ("tests/test_cross_region.py",),
        "AWS refuses a cross-region endpoint in those AZs: the consumer's first up fails",
    ),
)
