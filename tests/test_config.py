"""Settings: every rule has a bad-input case asserting its message; good input parses as meant;
Pulumi.yaml declares exactly the keys the program reads, and the stack files are valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import settings as config
from components.settings import ConfigError, ConsumerSettings, ProviderSettings, parse_settings
from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG, ROOT

EXISTING_VPC = {
    "existingVpcId": "vpc-0abc1234def567890",
    "existingSubnetIds": ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"],
}


def raw(values: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def problems(values: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw(values))
    return caught.value.problems


def provider(**changes: Any) -> dict[str, Any]:
    values = {**PROVIDER_CONFIG, **changes}
    return {k: v for k, v in values.items() if v is not None}


def consumer(**changes: Any) -> dict[str, Any]:
    values = {**CONSUMER_CONFIG, **changes}
    return {k: v for k, v in values.items() if v is not None}


# (config, the one problem expected, verbatim)
BAD_INPUT = [
    (consumer(frontend="graphql"), "xacct:frontend: 'graphql' is not one of: http, rest"),
    (
        consumer(frontend="http", apiAuthorization="api-key"),
        "xacct:apiAuthorization: 'api-key' is REST only: HTTP APIs have no API keys; use iam "
        "with xacct:frontend http, or xacct:frontend rest",
    ),
    (
        consumer(frontend="http", vpcLinkVersion="v1"),
        "xacct:vpcLinkVersion: 'v1' is REST only: xacct:frontend http links with v2",
    ),
    ({}, "xacct:role: is required to choose which side this stack builds: provider or consumer"),
    ({"role": "both"}, "xacct:role: 'both' is not one of: consumer, provider"),
    (
        provider(consumerAccountIds=["12345"]),
        "xacct:consumerAccountIds[0]: '12345' is not a 12-digit AWS account id",
    ),
    (
        provider(consumerAccountIds=["111111111111", "111111111111"]),
        "xacct:consumerAccountIds: ['111111111111', '111111111111'] has duplicate items",
    ),
    (
        provider(consumerAccountIds="111111111111"),
        "xacct:consumerAccountIds: '111111111111' is not a list of strings: set it with "
        "`pulumi config set --path 'xacct:consumerAccountIds[0]' VALUE`",
    ),
    (
        provider(consumerAccountIds=None),
        "xacct:consumerAccountIds or xacct:consumerRoleArns: at least one consumer principal "
        "is required (the endpoint service never allows `*`)",
    ),
    (
        provider(consumerAccountIds=None, consumerRoleArns=["arn:aws:iam::111111111111:user/x"]),
        "xacct:consumerRoleArns[0]: 'arn:aws:iam::111111111111:user/x' is not an IAM role ARN "
        "(arn:aws:iam::<12 digits>:role/<name>)",
    ),
    (
        provider(consumerStacks=["consumer"]),
        "xacct:consumerStacks[0]: 'consumer' is not a fully qualified stack name: "
        "organization/<project>/<stack> (self-managed backend) or <org>/<project>/<stack> "
        "(Pulumi Cloud)",
    ),
    (
        provider(vpcCidr="10.0.0.1/16"),
        "xacct:vpcCidr: '10.0.0.1/16' is not a CIDR block with its host bits zero "
        "(e.g. 203.0.113.0/24)",
    ),
    (
        provider(vpcCidr="10.0.0.0/26"),
        "xacct:vpcCidr: '10.0.0.0/26' is not a VPC CIDR this program can split: "
        "expected a /16 to /24",
    ),
    (
        provider(vpcCidr="8.8.0.0/16"),
        "xacct:vpcCidr: '8.8.0.0/16' is not a private (RFC 1918) range",
    ),
    (
        provider(azCount="1"),
        "xacct:azCount: 1 is out of range: expected 2 to 6: private subnets, one per "
        "availability zone",
    ),
    (
        provider(azCount="two"),
        "xacct:azCount: 'two' is not a whole number: private subnets, one per availability zone",
    ),
    (
        provider(existingSubnetIds=EXISTING_VPC["existingSubnetIds"]),
        "xacct:existingSubnetIds: must not be set without xacct:existingVpcId",
    ),
    (
        provider(existingVpcId="vpc-0abc1234def567890"),
        "xacct:existingSubnetIds: is required: a list of at least 2 item(s)",
    ),
    (
        provider(**EXISTING_VPC, vpcCidr="10.9.0.0/16"),
        "xacct:vpcCidr: must not be set with xacct:existingVpcId (the VPC exists already)",
    ),
    (
        provider(**EXISTING_VPC, nodeEgress="vpc-endpoints"),
        "xacct:nodeEgress: must not be set with xacct:existingVpcId (its egress is yours)",
    ),
    (
        provider(existingVpcId="vpc-1", existingSubnetIds=EXISTING_VPC["existingSubnetIds"]),
        "xacct:existingVpcId: 'vpc-1' is not a VPC id (vpc-0123abcd...)",
    ),
    (
        provider(existingVpcId="vpc-0abc1234def567890", existingSubnetIds=["subnet-1", "x"]),
        "xacct:existingSubnetIds[0]: 'subnet-1' is not a subnet id (subnet-0123abcd...)",
    ),
    (
        provider(nodeEgress="internet"),
        "xacct:nodeEgress: 'internet' is not one of: nat, vpc-endpoints",
    ),
    (
        provider(clusterPublicAccessCidrs=["0.0.0.0/0"]),
        "xacct:clusterPublicAccessCidrs[0]: '0.0.0.0/0' opens the endpoint to the whole "
        "internet: list the CIDRs that need it",
    ),
    (
        provider(clusterPublicAccessCidrs=["2001:db8::/32"]),
        "xacct:clusterPublicAccessCidrs[0]: '2001:db8::/32' is not an IPv4 CIDR block",
    ),
    (
        provider(clusterAdminArns=["admin"]),
        "xacct:clusterAdminArns[0]: 'admin' is not an IAM role or user ARN "
        "(arn:aws:iam::<account>:role/<name>)",
    ),
    (
        provider(kubernetesVersion="1.3"),
        "xacct:kubernetesVersion: '1.3' is not a Kubernetes minor version such as 1.33",
    ),
    (
        provider(nodeInstanceType="large"),
        "xacct:nodeInstanceType: 'large' is not an EC2 instance type such as t3.medium",
    ),
    (
        provider(nodeCount="0"),
        "xacct:nodeCount: 0 is out of range: expected 1 to 100: nodes in the node group",
    ),
    (
        provider(existingClusterName="prod"),
        "xacct:existingClusterName: needs xacct:existingVpcId and xacct:existingSubnetIds: "
        "the NLB must sit in the existing cluster's VPC",
    ),
    (
        provider(**EXISTING_VPC, existingClusterName="prod", existingNodeAsgNames=["asg-a"]),
        "xacct:existingNodeSecurityGroupId: is required with xacct:existingClusterName: the "
        "security group of the nodes, which must admit the NLB on the node port",
    ),
    (
        provider(
            **EXISTING_VPC,
            existingClusterName="prod",
            existingNodeSecurityGroupId="sg-0123456789abcdef0",
        ),
        "xacct:existingNodeAsgNames: is required: a list of at least 1 item(s)",
    ),
    (
        provider(
            **EXISTING_VPC,
            existingClusterName="prod",
            existingNodeAsgNames=["asg-a"],
            existingNodeSecurityGroupId="sg-0123456789abcdef0",
            nodeCount="3",
        ),
        "xacct:nodeCount: must not be set with xacct:existingClusterName (the cluster exists "
        "already)",
    ),
    (
        provider(existingNodeAsgNames=["asg-a"]),
        "xacct:existingNodeAsgNames: must not be set without xacct:existingClusterName",
    ),
    (
        provider(nodePort="8080"),
        "xacct:nodePort: 8080 is out of range: expected 30000 to 32767 (the Kubernetes "
        "NodePort range)",
    ),
    (
        provider(workloadPort="80"),
        "xacct:workloadPort: 80 is out of range: expected 1024 to 65535 (the container runs "
        "as non-root, so not below 1024)",
    ),
    (
        provider(workloadNamespace="Prod_NS"),
        "xacct:workloadNamespace: 'Prod_NS' is not a Kubernetes namespace name",
    ),
    (
        provider(deployWorkload="false"),
        "xacct:nodePort: is required with xacct:deployWorkload false: the node port of your "
        "own NodePort Service",
    ),
    (
        provider(deployWorkload="false", nodePort="31000", workloadImage="nginx:1"),
        "xacct:workloadImage: must not be set with xacct:deployWorkload false (no workload is "
        "deployed)",
    ),
    (
        provider(deployWorkload="yes"),
        "xacct:deployWorkload: 'yes' is not a boolean: expected true or false",
    ),
    (
        provider(listenerPort="70000"),
        "xacct:listenerPort: 70000 is out of range: expected 1 to 65535",
    ),
    (
        provider(tlsServerName=None),
        "xacct:tlsServerName: is required on the provider: the DNS name the consumer calls over "
        "HTTPS; the certificate on the NLB (tls) or in the workload (passthrough) must be "
        "valid for it",
    ),
    (
        provider(tlsServerName="API.Example.com"),
        "xacct:tlsServerName: 'API.Example.com' is not a lower-case DNS name such as "
        "api.example.com",
    ),
    (
        provider(route53ZoneId=None),
        "xacct:certificateArn or xacct:route53ZoneId: one is required with xacct:tlsMode tls "
        "(an ACM certificate ARN for xacct:tlsServerName, or the Route 53 zone to validate a "
        "new one in)",
    ),
    (
        provider(
            certificateArn="arn:aws:acm:us-east-1:222222222222:certificate/"
            "12345678-1234-1234-1234-123456789012"
        ),
        "xacct:certificateArn and xacct:route53ZoneId: set one, not both (an existing "
        "certificate, or one created in that zone)",
    ),
    (
        provider(route53ZoneId=None, certificateArn="arn:aws:iam::1:cert"),
        "xacct:certificateArn: 'arn:aws:iam::1:cert' is not an ACM certificate ARN",
    ),
    (
        provider(route53ZoneId="zone-1"),
        "xacct:route53ZoneId: 'zone-1' is not a Route 53 hosted zone id (Z...)",
    ),
    (
        provider(tlsPolicy="ELBSecurityPolicy-2016-08"),
        "xacct:tlsPolicy: 'ELBSecurityPolicy-2016-08' is not one of: "
        + ", ".join(sorted(config.TLS_POLICIES)),
    ),
    (
        provider(tlsMode="passthrough"),
        "xacct:route53ZoneId: must not be set with xacct:tlsMode passthrough (the workload "
        "terminates TLS)",
    ),
    (provider(tlsMode="plain"), "xacct:tlsMode: 'plain' is not one of: passthrough, tls"),
    (
        provider(logRetentionDays="45"),
        f"xacct:logRetentionDays: 45 is not a CloudWatch Logs retention: one of "
        f"{config.LOG_RETENTION_DAYS}",
    ),
    (
        provider(name="X"),
        "xacct:name: 'X' is not a resource name prefix: 3-17 of a-z, 0-9 and -, starting with "
        "a letter (AWS names load balancers and target groups in 32 characters)",
    ),
    (
        provider(providerStack="organization/xacct/provider"),
        "xacct:providerStack: must not be set on a provider stack (xacct:role is provider)",
    ),
    (
        provider(colour="blue"),
        "xacct:colour: is not a setting of this program (see Pulumi.yaml for the keys)",
    ),
    (
        consumer(providerStack=None),
        "xacct:providerStack: is required on the consumer: the provider stack to read the "
        "endpoint service from, organization/<project>/<stack> (self-managed backend) or "
        "<org>/<project>/<stack> (Pulumi Cloud); deploy it first",
    ),
    (
        consumer(providerStack="provider"),
        "xacct:providerStack: 'provider' is not a fully qualified stack name: "
        "organization/<project>/<stack> or <org>/<project>/<stack>",
    ),
    (
        consumer(tlsServerName="api.example.com"),
        "xacct:tlsServerName: must not be set on a consumer stack (xacct:role is consumer)",
    ),
    (
        consumer(nodeEgress="vpc-endpoints"),
        "xacct:nodeEgress: must not be set on a consumer stack (xacct:role is consumer)",
    ),
    (
        consumer(apiAuthorization="cognito"),
        "xacct:apiAuthorization: 'cognito' is not one of: api-key, iam, none",
    ),
    (consumer(stageName="v-1"), "xacct:stageName: 'v-1' is not a stage name (letters, digits, _)"),
    (
        consumer(throttleRateLimit="0"),
        "xacct:throttleRateLimit: 0 is out of range: expected 1 to 10000 requests per second",
    ),
    (
        consumer(throttleBurstLimit="9000"),
        "xacct:throttleBurstLimit: 9000 is out of range: expected 1 to 5000 requests",
    ),
    (
        consumer(endpointHostNumber="2"),
        "xacct:endpointHostNumber: 2 is out of range: expected 4 to 250: the host number of "
        "each endpoint ENI's fixed IP in its subnet (AWS reserves the first four)",
    ),
    (
        consumer(manageApiGatewayAccount="maybe"),
        "xacct:manageApiGatewayAccount: 'maybe' is not a boolean: expected true or false",
    ),
    (
        provider(name="p" * 18),
        f"xacct:name: '{'p' * 18}' is not a resource name prefix: 3-17 of a-z, 0-9 and -, "
        "starting with a letter (AWS names load balancers and target groups in 32 characters)",
    ),
    (
        consumer(name="internal-api"),
        "xacct:name: 'internal-api' would name the load balancers internal-...: ELB refuses "
        "names that begin with 'internal-'; choose another prefix",
    ),
    (
        provider(clusterPublicAccessCidrs=["32.0.0.0/3", "64.0.0.0/3"]),
        "xacct:clusterPublicAccessCidrs: ['32.0.0.0/3', '64.0.0.0/3'] together cover "
        "1,073,741,824 addresses, more than a /8 (16,777,216): that is the internet in pieces; "
        "list the egress CIDRs of the runners that need the public endpoint",
    ),
    (
        # The whole internet in two halves: each half holds private ranges as well.
        provider(clusterPublicAccessCidrs=["0.0.0.0/1", "128.0.0.0/1"]),
        "xacct:clusterPublicAccessCidrs[1]: '128.0.0.0/1' covers addresses that are not on the "
        "internet (RFC 1918, CGNAT, loopback, link-local): the public endpoint only ever sees "
        "public source addresses (runners inside the VPC reach the private endpoint; set [] "
        "for private only)",
    ),
    (
        provider(clusterPublicAccessCidrs=["10.20.0.0/16"]),
        "xacct:clusterPublicAccessCidrs[0]: '10.20.0.0/16' covers addresses that are not on the "
        "internet (RFC 1918, CGNAT, loopback, link-local): the public endpoint only ever sees "
        "public source addresses (runners inside the VPC reach the private endpoint; set [] "
        "for private only)",
    ),
    (
        provider(clusterPublicAccessCidrs=["0.0.0.0/0"]),
        "xacct:clusterPublicAccessCidrs[0]: '0.0.0.0/0' opens the endpoint to the whole "
        "internet: list the CIDRs that need it",
    ),
    (
        provider(tlsMode="passthrough", route53ZoneId=None),
        "xacct:tlsMode: 'passthrough' with the sample workload, which serves plain HTTP on "
        "xacct:workloadPort: no request could ever succeed. A passthrough backend terminates "
        "TLS itself on xacct:workloadPort with a certificate valid for xacct:tlsServerName (and "
        "answers HTTPS health checks on /): set xacct:workloadImage to such an image, "
        "xacct:deployWorkload false for your own, or xacct:tlsMode tls",
    ),
    (
        provider(nodeEgress="vpc-endpoints"),
        "xacct:workloadImage: 'public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine' cannot be "
        "pulled with xacct:nodeEgress vpc-endpoints: the nodes reach only ECR in their own "
        "region (<account>.dkr.ecr.<region>.amazonaws.com/...), and no VPC endpoint reaches "
        "ECR Public or Docker Hub; push the image to an ECR repository in this region (or fill "
        "one with an ECR pull-through cache rule, whose first pull needs an internet route), "
        "or set xacct:nodeEgress nat",
    ),
    (
        provider(nodeEgress="vpc-endpoints", workloadImage="nginxinc/nginx-unprivileged:1.27"),
        "xacct:workloadImage: 'nginxinc/nginx-unprivileged:1.27' cannot be pulled with "
        "xacct:nodeEgress vpc-endpoints: the nodes reach only ECR in their own region "
        "(<account>.dkr.ecr.<region>.amazonaws.com/...), and no VPC endpoint reaches ECR Public "
        "or Docker Hub; push the image to an ECR repository in this region (or fill one with an "
        "ECR pull-through cache rule, whose first pull needs an internet route), or set "
        "xacct:nodeEgress nat",
    ),
    (
        provider(
            nodeEgress="vpc-endpoints",
            workloadImage="222222222222.dkr.ecr.us-east-1.amazonaws.com/backend:1",
            targetMode="ip",
        ),
        "xacct:installLbController: 'true' with xacct:nodeEgress vpc-endpoints: the chart pulls "
        "public.ecr.aws/eks/aws-load-balancer-controller from ECR Public, which no VPC endpoint "
        "reaches; install the controller from an ECR copy in this region and set "
        "xacct:installLbController false, or set xacct:nodeEgress nat",
    ),
    (
        provider(tlsPolicyy="ELBSecurityPolicy-TLS13-1-2-2021-06"),
        "xacct:tlsPolicyy: is not a setting of this program (did you mean xacct:tlsPolicy?)",
    ),
    (
        provider(createCloudTrail="1"),
        "xacct:createCloudTrail: '1' is not a boolean: expected true or false",
    ),
    (
        provider(protectEndpointService="1"),
        "xacct:protectEndpointService: '1' is not a boolean: expected true or false",
    ),
    (
        provider(tlsPolicy=""),
        "xacct:tlsPolicy: is empty: remove the key to use its default "
        "(ELBSecurityPolicy-TLS13-1-2-2021-06), or give a value",
    ),
    (
        consumer(logRetentionDays="14"),
        "xacct:logRetentionDays: 14 is below the 30 days the policy gate requires of every log "
        "group (policy/config.consumer.json, log-group-retention.minimumRetentionDays)",
    ),
    (
        provider(listenerPort="25"),
        "xacct:listenerPort: 25 is not a port API Gateway integrations call: expected 80, 443 "
        "or 1024-65535 (the consumers' API calls https://<tlsServerName>:<listenerPort>/)",
    ),
    (
        consumer(endpointIps=["10.0.0.300"]),
        "xacct:endpointIps[0]: '10.0.0.300' is not an IPv4 address (e.g. 10.0.0.10)",
    ),
    (
        consumer(endpointIps=["10.0.0.10", "10.0.16.10"], endpointHostNumber="12"),
        "xacct:endpointHostNumber: must not be set with xacct:endpointIps (the addresses are "
        "given one by one)",
    ),
    (
        provider(endpointIps=["10.0.0.10"]),
        "xacct:endpointIps: must not be set on a provider stack (xacct:role is provider)",
    ),
]


@pytest.mark.parametrize(("values", "expected"), BAD_INPUT)
def test_bad_input_is_named_with_its_value_and_what_is_expected(
    values: dict[str, Any], expected: str
) -> None:
    assert expected in problems(values)


def test_public_endpoint_cidrs_may_overlap_and_stay_under_the_bound() -> None:
    cidrs = ["198.51.100.0/24", "198.51.100.128/25", "1.0.0.0/9"]
    s = parse_settings(raw(provider(clusterPublicAccessCidrs=cidrs)))
    assert isinstance(s, ProviderSettings)
    assert config.public_access_coverage(s.cluster.public_access_cidrs) == 2**23 + 256


def test_an_ecr_image_of_another_region_is_refused_with_vpc_endpoint_egress() -> None:
    image = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/backend:1"
    found = problems_with_aws(provider(nodeEgress="vpc-endpoints", workloadImage=image))
    assert found == [
        f"xacct:workloadImage: {image!r} is in ECR in eu-west-1, and xacct:nodeEgress "
        "vpc-endpoints reaches only ECR in this stack's region us-east-1; push the image to an "
        "ECR repository in this region (or fill one with an ECR pull-through cache rule, whose "
        "first pull needs an internet route), or set xacct:nodeEgress nat"
    ]


def problems_with_aws(values: dict[str, Any], **aws: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw(values), aws={"region": "us-east-1", **aws})
    return caught.value.problems


ROLE = "arn:aws:iam::222222222222:role/deployer"
BAD_AWS = [
    (
        {"regoin": "us-east-1"},
        "aws:regoin: is not a setting of the AWS provider (pulumi-aws): did you mean aws:region?",
    ),
    ({"region": "mars-1"}, "aws:region: 'mars-1' is not an AWS region name such as us-east-1"),
    ({"profile": "my profile"}, "aws:profile: 'my profile' is not a profile name of ~/.aws/config"),
    (
        {"assumeRole": json.dumps({"roleArn": ROLE})},
        "aws:assumeRole: is not a setting of the AWS provider (pulumi-aws): pulumi-aws 7 reads "
        "aws:assumeRoles, a list of {roleArn: ...}",
    ),
    (
        {"assumeRoles": json.dumps({"roleArn": ROLE})},
        f"aws:assumeRoles: '{json.dumps({'roleArn': ROLE})}' is not a list of roles: set it "
        "with `pulumi config set --path 'aws:assumeRoles[0].roleArn' ARN`",
    ),
    (
        {"assumeRoles": json.dumps([{"roleArn": "deployer"}])},
        "aws:assumeRoles[0].roleArn: 'deployer' is not an IAM role ARN "
        "(arn:aws:iam::<12 digits>:role/<name>)",
    ),
    (
        {"assumeRoles": json.dumps([{"roleArn": ROLE}, {"roleArn": ROLE + "-2"}])},
        "aws:assumeRoles: a chain of 2 roles: the Kubernetes provider signs in with `aws eks "
        "get-token --role-arn`, which assumes one role from the profile or environment; use one "
        "role, or a profile of ~/.aws/config that chains them (source_profile) as aws:profile",
    ),
    (
        {"assumeRoles": json.dumps([{"roleArn": ROLE, "externalId": "x-1"}])},
        "aws:assumeRoles[0].externalId: the Kubernetes provider signs in with `aws eks "
        "get-token --role-arn`, which cannot pass an external id: use a profile of "
        "~/.aws/config with role_arn and external_id as aws:profile",
    ),
]


@pytest.mark.parametrize(("aws", "expected"), BAD_AWS)
def test_bad_aws_settings_are_named(aws: dict[str, str], expected: str) -> None:
    assert expected in problems_with_aws(provider(), **aws)


def test_role_chains_are_fine_where_no_kubernetes_provider_signs_in() -> None:
    chain = json.dumps([{"roleArn": ROLE}, {"roleArn": ROLE + "-2", "externalId": "x"}])
    s = parse_settings(raw(consumer()), aws={"assumeRoles": chain, "region": "us-east-1"})
    assert s.aws.role_arn == ROLE + "-2" and s.aws.region == "us-east-1"
    s = parse_settings(
        raw(provider(deployWorkload="false", nodePort="31000")), aws={"assumeRoles": chain}
    )
    assert s.aws.role_arn == ROLE + "-2"


def test_profile_and_role_reach_the_settings() -> None:
    s = parse_settings(
        raw(provider()),
        aws={"profile": "account-b", "assumeRoles": json.dumps([{"roleArn": ROLE}])},
    )
    assert (s.aws.profile, s.aws.role_arn, s.aws.region) == ("account-b", ROLE, None)


def test_the_aws_keys_are_the_providers() -> None:
    import importlib.util
    import re

    package = importlib.util.find_spec("pulumi_aws")
    assert package is not None and package.origin is not None
    source = (Path(package.origin).parent / "config" / "vars.py").read_text()
    assert set(re.findall(r"__config__\.get\w*\('(\w+)'", source)) == config.AWS_PROVIDER_KEYS


def test_the_retention_floor_is_the_policy_gates() -> None:
    gate = json.loads((ROOT / "policy" / "config.provider.json").read_text())
    floor = gate["log-group-retention"]["minimumRetentionDays"]
    assert config.gate_minimum_retention("provider") == floor
    below = max(d for d in config.LOG_RETENTION_DAYS if d < floor)
    assert problems(provider(logRetentionDays=str(below)))[0].startswith(
        f"xacct:logRetentionDays: {below} is below the {floor} days"
    )
    assert isinstance(parse_settings(raw(provider(logRetentionDays=str(floor)))), ProviderSettings)


def test_every_problem_is_reported_at_once() -> None:
    found = problems(provider(azCount="9", nodePort="1", consumerAccountIds=["1"]))
    assert [p.split(":")[1] for p in found] == ["azCount", "consumerAccountIds[0]", "nodePort"]


def test_provider_defaults_are_secure_and_complete() -> None:
    s = parse_settings(raw(PROVIDER_CONFIG))
    assert isinstance(s, ProviderSettings)
    assert s.network.create and s.network.vpc_cidr == "10.0.0.0/16" and s.network.az_count == 2
    assert s.network.node_egress == "nat"
    assert s.cluster.name == "xacct-eks" and not s.cluster.existing
    assert s.cluster.public_access_cidrs == ("203.0.113.0/24",)
    assert s.listener.tls_mode == "tls" and s.listener.port == 443
    assert s.listener.tls_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert s.workload.deploy and s.workload.node_port == 30443 and s.workload.port == 8080
    assert s.protect_endpoint_service and not s.create_cloudtrail
    assert s.allowed_principals == ("arn:aws:iam::111111111111:root",)


def test_principals_combine_accounts_and_roles_without_wildcards() -> None:
    s = parse_settings(
        raw(
            provider(
                consumerAccountIds=["333333333333", "111111111111"],
                consumerRoleArns=["arn:aws:iam::444444444444:role/api-gw"],
            )
        )
    )
    assert isinstance(s, ProviderSettings)
    assert s.allowed_principals == (
        "arn:aws:iam::111111111111:root",
        "arn:aws:iam::333333333333:root",
        "arn:aws:iam::444444444444:role/api-gw",
    )
    assert s.allowed_account_ids == ("111111111111", "333333333333", "444444444444")


def test_empty_public_cidrs_mean_a_private_only_endpoint() -> None:
    s = parse_settings(raw(provider(clusterPublicAccessCidrs=[])))
    assert isinstance(s, ProviderSettings)
    assert s.cluster.public_access_cidrs == ()


def test_existing_vpc_and_cluster_parse() -> None:
    s = parse_settings(
        raw(
            provider(
                **EXISTING_VPC,
                clusterPublicAccessCidrs=None,
                clusterAdminArns=None,
                existingClusterName="prod",
                existingNodeAsgNames=["eks-ng-1"],
                existingNodeSecurityGroupId="sg-0123456789abcdef0",
            )
        )
    )
    assert isinstance(s, ProviderSettings)
    assert not s.network.create and s.network.existing_subnet_ids == tuple(
        EXISTING_VPC["existingSubnetIds"]
    )
    assert s.cluster.existing and s.cluster.existing_node_asg_names == ("eks-ng-1",)


def test_consumer_defaults() -> None:
    s = parse_settings(raw(CONSUMER_CONFIG))
    assert isinstance(s, ConsumerSettings)
    assert s.api_authorization == "iam" and s.stage_name == "v1"
    assert s.network.node_egress is None and s.manage_api_gateway_account


def test_a_value_equal_to_its_default_counts_as_not_set() -> None:
    # The CLI passes every declared default to the program: a consumer stack carries the
    # provider's keys at their defaults, which must not count as "set on a consumer stack".
    defaults = config.project_defaults()
    s = parse_settings({**defaults, **raw(CONSUMER_CONFIG)})
    assert isinstance(s, ConsumerSettings)


PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def test_pulumi_yaml_declares_exactly_the_keys_the_program_reads() -> None:
    assert set(PROJECT["config"]) == set(config.ALL_KEYS)
    for key, spec in PROJECT["config"].items():
        assert spec.get("description"), f"{key} has no description"
        assert spec.get("type") in ("string", "integer", "boolean", "array"), key
        if spec["type"] == "array":
            assert spec["items"] == {"type": "string"}, key


def test_only_role_is_required_by_the_schema() -> None:
    # A key without a default is required on *every* stack by the CLI; role-specific
    # requirements are enforced by the program instead.
    required = [k for k, spec in PROJECT["config"].items() if "default" not in spec]
    assert required == ["role"]


@pytest.mark.parametrize(
    ("stack_file", "kind"),
    [("Pulumi.provider.yaml", ProviderSettings), ("Pulumi.consumer.yaml", ConsumerSettings)],
)
def test_stack_files_are_valid_settings(stack_file: str, kind: type) -> None:
    values = yaml.safe_load((ROOT / stack_file).read_text())["config"]
    ours = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("xacct:")}
    assert isinstance(parse_settings(raw(ours)), kind)


def test_project_file_is_found_from_the_package() -> None:
    assert Path(ROOT, "Pulumi.yaml") == config.PROJECT_FILE


def test_pulumi_up_runs_the_program_through_the_sdks_async_entrypoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pulumi

    from components import program

    handed: list[object] = []
    monkeypatch.setattr(pulumi, "run", handed.append)
    program.main()
    assert handed == [program.run]


def test_a_bad_config_ends_pulumi_up_as_one_message_without_a_traceback() -> None:
    import asyncio

    import pulumi

    from components import program
    from xacct_ops.offline_engine import FakeAccount, RecordingMocks, RecordingMonitor, config_map

    mocks = RecordingMocks(FakeAccount())
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project="xacct", stack="provider", preview=False, monitor=monitor
    )
    pulumi.runtime.set_all_config(config_map(provider(azCount="9", nodePort="1")))
    # RunError is the SDK's "clean exit": the language host prints its message, no traceback.
    with pytest.raises(pulumi.RunError) as caught:
        asyncio.new_event_loop().run_until_complete(program.run())
    assert str(caught.value) == (
        "invalid stack configuration:\n"
        "  - xacct:azCount: 9 is out of range: expected 2 to 6: private subnets, one per "
        "availability zone\n"
        "  - xacct:nodePort: 1 is out of range: expected 30000 to 32767 (the Kubernetes NodePort "
        "range)"
    )
    assert caught.value.__suppress_context__ and monitor.registrations == []
