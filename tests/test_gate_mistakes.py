"""Plausible pull-request mistakes, each of which the policy gate must refuse.

Each mistake is a small edit to the registrations recorded for one of the stacks (a documented
variant of the provider or consumer, default name prefix): a widened trust policy, an inline
policy on `*`, a route to the internet gateway, a removed log setting, and so on. The edited
stack is judged by the pack with the config the rollout gives that stack (`GATE[role]`), and
the violations that are new relative to the unedited stack must include a mandatory one: the
test pins exactly which mandatory rules refuse each mistake, so a rule that stops catching one,
or a different rule catching it instead, shows up here.

To add a mistake, write a function below that takes the recorded registrations and returns the
edited ones (the helpers return new lists and new registrations; never change a registration's
dicts in place, the recordings are shared by every test of the session):

    @mistake("I11", refused_by={"iam-no-privilege-escalation"})
    def passrole_on_star_for_the_cluster(regs: Registrations) -> Registrations:
        \"\"\"iam:PassRole on * for the cluster role.\"\"\"
        return ...

Its docstring is the title; its name, with dashes, is the test id's slug
(`test_the_gate_refuses[I11-passrole-on-star-for-the-cluster]`); `role=` and `variant=` pick
another stack than the provider's default. A mistake the gate does not refuse belongs in the
"Known gaps" comment block below, not in the table.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import pytest

from policy.offline import Violation, evaluate, mandatory
from tests.support.variants import GATE, consumer_variant, provider_variant
from xacct_ops.offline_engine import Registration

Registrations = list[Registration]
Edit = Callable[[Registrations], Registrations]
Role = Literal["provider", "consumer"]
Document = dict[str, Any]

PROVIDER_ACCOUNT = "222222222222"
FOREIGN_ACCOUNT = "999999999999"
FOREIGN_ROOT = f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
TRAIL_BUCKET_ARN = "arn:aws:s3:::xacct-audit-trail-99dde3b"

IAM_ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KMS_KEY = "aws:kms/key:Key"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
EIP = "aws:ec2/eip:Eip"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_CLUSTER = "eks:index:Cluster"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REST_API = "aws:apigateway/restApi:RestApi"
STAGE = "aws:apigateway/stage:Stage"
METHOD = "aws:apigateway/method:Method"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
INTEGRATION = "aws:apigateway/integration:Integration"


# Known gaps (not refused): mistakes tried that pass the gate today.
# S4  EKS public endpoint open to a public /8 (publicAccessCidrs=['3.0.0.0/8'])
# S7  Egress -1 to 10.0.0.0/8 from the consumer's VPC-link SG
# L5  Endpoint service connection accepted for an arbitrary endpoint (hard-coded vpce id)
# G10 Method authenticated only by an API key (authorization NONE, apiKeyRequired)
# S9  World ingress through a managed prefix list (0.0.0.0/1 + 128.0.0.0/1)
# X1  Rule lowered in the PR's own policy/config.provider.json (enforcementLevel disabled)
# X2  Foreign account added to xacct:consumerAccountIds (the rollout's gate allowlist is
#     derived from the same config)


# ---- editing recorded registrations ------------------------------------------------------------
def find(regs: Sequence[Registration], type_: str, part: str = "") -> Registration:
    """The first registration of `type_` whose name contains `part`."""
    return next(r for r in regs if r.type == type_ and part in r.name)


def urn_of(regs: Sequence[Registration], type_: str, part: str = "") -> str:
    return find(regs, type_, part).urn


def swap(regs: Sequence[Registration], old: Registration, new: Registration) -> Registrations:
    return [new if r is old else r for r in regs]


def set_props(regs: Sequence[Registration], type_: str, part: str, **props: Any) -> Registrations:
    """Set properties (in both inputs and outputs) of one registration."""
    old = find(regs, type_, part)
    new = dataclasses.replace(old, inputs={**old.inputs, **props}, outputs={**old.outputs, **props})
    return swap(regs, old, new)


def drop_props(regs: Sequence[Registration], type_: str, part: str, *keys: str) -> Registrations:
    """Remove properties (and their dependencies) from one registration."""
    old = find(regs, type_, part)
    new = dataclasses.replace(
        old,
        inputs={k: v for k, v in old.inputs.items() if k not in keys},
        outputs={k: v for k, v in old.outputs.items() if k not in keys},
        property_dependencies={k: v for k, v in old.property_dependencies.items() if k not in keys},
    )
    return swap(regs, old, new)


def set_deps(
    regs: Sequence[Registration], type_: str, part: str, **deps: Sequence[str]
) -> Registrations:
    """Replace the property dependencies (URNs) of one registration's properties."""
    old = find(regs, type_, part)
    frozen = {prop: tuple(urns) for prop, urns in deps.items()}
    new = dataclasses.replace(old, property_dependencies={**old.property_dependencies, **frozen})
    return swap(regs, old, new)


def remove(regs: Sequence[Registration], type_: str, part: str) -> Registrations:
    old = find(regs, type_, part)
    return [r for r in regs if r is not old]


def add(
    regs: Sequence[Registration],
    type_: str,
    name: str,
    inputs: Mapping[str, Any],
    deps: Mapping[str, Sequence[str]] | None = None,
) -> Registrations:
    """A new custom resource at the top of the stack, depending on `deps` (property → URNs)."""
    stack = regs[0].urn.split("::")[0]
    deps = deps or {}
    new = Registration(
        type=type_,
        name=name,
        urn=f"{stack}::xacct::{type_}::{name}",
        id=f"{name}-id",
        custom=True,
        inputs=dict(inputs),
        outputs=dict(inputs),
        parent="",
        dependencies=tuple(u for urns in deps.values() for u in urns),
        property_dependencies={prop: tuple(urns) for prop, urns in deps.items()},
    )
    return [*regs, new]


def policy_doc(*statements: Document) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def edit_doc(
    regs: Sequence[Registration],
    type_: str,
    part: str,
    prop: str,
    edit: Callable[[Document], None],
) -> Registrations:
    """Edit a JSON policy document property: `edit` changes a freshly parsed copy."""
    doc = json.loads(find(regs, type_, part).inputs[prop])
    edit(doc)
    return set_props(regs, type_, part, **{prop: json.dumps(doc)})


def add_statement(statement: Document) -> Callable[[Document], None]:
    def edit(doc: Document) -> None:
        doc["Statement"].append(statement)

    return edit


def set_settings(regs: Sequence[Registration], **settings: Any) -> Registrations:
    """Change the stage's `*/*` method settings."""
    current = find(regs, METHOD_SETTINGS, "all-methods").inputs["settings"]
    return set_props(regs, METHOD_SETTINGS, "all-methods", settings={**current, **settings})


# ---- the table ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Mistake:
    id: str
    title: str
    role: Role
    variant: str
    refused_by: frozenset[str]
    """Exactly the mandatory rules that newly report on the edited stack."""
    apply: Edit

    @property
    def slug(self) -> str:
        return self.apply.__name__.replace("_", "-")


MISTAKES: list[Mistake] = []


def mistake(
    id_: str, *, refused_by: set[str], role: Role = "provider", variant: str = "default"
) -> Callable[[Edit], Edit]:
    """Register the decorated edit as a mistake; its docstring is the title."""

    def register(apply: Edit) -> Edit:
        if not apply.__doc__:
            raise ValueError(f"mistake {id_} needs a docstring (its title)")
        title = apply.__doc__.strip().splitlines()[0]
        MISTAKES.append(Mistake(id_, title, role, variant, frozenset(refused_by), apply))
        return apply

    return register


# IAM trust ---------------------------------------------------------------------------------------
@mistake("T1", refused_by={"iam-trust-specific"})
def node_trust_any_aws_principal(regs: Registrations) -> Registrations:
    """Node role trust widened to {"AWS": ["*"]}."""

    def widen(doc: Document) -> None:
        doc["Statement"][0]["Principal"] = {"AWS": ["*"]}

    return edit_doc(regs, IAM_ROLE, "cluster-nodes", "assumeRolePolicy", widen)


@mistake("T2", refused_by={"iam-trust-specific"})
def cluster_trust_vendor_root(regs: Registrations) -> Registrations:
    """Cluster role trusts a third-party (vendor) account root, without an ExternalId."""
    statement = {"Effect": "Allow", "Principal": {"AWS": FOREIGN_ROOT}, "Action": "sts:AssumeRole"}
    return edit_doc(regs, IAM_ROLE, "cluster-cluster", "assumeRolePolicy", add_statement(statement))


@mistake("T3", refused_by={"iam-trust-specific"}, variant="ip-targets-irsa")
def irsa_trust_without_sub(regs: Registrations) -> Registrations:
    """IRSA trust without the :sub condition (any service account of the cluster)."""

    def drop_sub(doc: Document) -> None:
        condition = doc["Statement"][0]["Condition"]["StringEquals"]
        for key in [k for k in condition if k.endswith(":sub")]:
            del condition[key]

    return edit_doc(regs, IAM_ROLE, "lbc-role", "assumeRolePolicy", drop_sub)


@mistake("T4", refused_by={"iam-trust-specific"}, variant="ip-targets-irsa")
def irsa_trust_sub_wildcard(regs: Registrations) -> Registrations:
    """IRSA trust :sub wildcarded (StringLike 'system:serviceaccount:*:*')."""

    def wildcard_sub(doc: Document) -> None:
        statement = doc["Statement"][0]
        condition = statement["Condition"]["StringEquals"]
        sub = next(k for k in condition if k.endswith(":sub"))
        del condition[sub]
        statement["Condition"]["StringLike"] = {sub: "system:serviceaccount:*:*"}

    return edit_doc(regs, IAM_ROLE, "lbc-role", "assumeRolePolicy", wildcard_sub)


@mistake("T5", refused_by={"iam-trust-specific"})
def github_deploy_role_any_repo(regs: Registrations) -> Registrations:
    """GitHub Actions deploy role trusting any repository (only the :aud condition)."""
    github = "token.actions.githubusercontent.com"
    trust = policy_doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{PROVIDER_ACCOUNT}:oidc-provider/{github}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{github}:aud": "sts.amazonaws.com"}},
        }
    )
    regs = add(regs, IAM_ROLE, "xacct-deploy", {"assumeRolePolicy": trust})
    permissions = policy_doc(
        {
            "Effect": "Allow",
            "Action": ["eks:DescribeCluster", "ecr:PutImage", "ecr:InitiateLayerUpload"],
            "Resource": "*",
        }
    )
    return add(
        regs,
        ROLE_POLICY,
        "xacct-deploy",
        {"role": "xacct-deploy", "policy": permissions},
        deps={"role": [urn_of(regs, IAM_ROLE, "xacct-deploy")]},
    )


# IAM permissions ---------------------------------------------------------------------------------
def add_node_policy(regs: Registrations, *statements: Document) -> Registrations:
    """A new inline policy on the node role."""
    return add(
        regs,
        ROLE_POLICY,
        "xacct-cluster-nodes-extra",
        {"role": "xacct-cluster-nodes-f44bafa", "policy": policy_doc(*statements)},
        deps={"role": [urn_of(regs, IAM_ROLE, "cluster-nodes")]},
    )


def allow(action: str | list[str], resource: str = "*") -> Document:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@mistake("I1", refused_by={"iam-no-privilege-escalation"})
def passrole_on_star(regs: Registrations) -> Registrations:
    """iam:PassRole on * (with ec2:RunInstances) for the nodes."""
    return add_node_policy(regs, allow(["iam:PassRole", "ec2:RunInstances"]))


@mistake("I2", refused_by={"iam-no-privilege-escalation"})
def assume_role_on_star(regs: Registrations) -> Registrations:
    """sts:AssumeRole on * for the nodes."""
    return add_node_policy(regs, allow("sts:AssumeRole"))


@mistake("I3", refused_by={"iam-no-privilege-escalation"})
def iam_self_escalation_on_star(regs: Registrations) -> Registrations:
    """IAM self-escalation actions on * (no service:*)."""
    actions = ["iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion"]
    return add_node_policy(regs, allow(actions))


@mistake("I4", refused_by={"iam-no-privilege-escalation"})
def data_reads_on_star(regs: Registrations) -> Registrations:
    """Data-plane read on * (kms:Decrypt, s3:GetObject, secretsmanager:GetSecretValue)."""
    actions = ["kms:Decrypt", "s3:GetObject", "secretsmanager:GetSecretValue"]
    return add_node_policy(regs, allow(actions))


@mistake("I5", refused_by={"iam-no-privilege-escalation"})
def prefix_wildcard_actions(regs: Registrations) -> Registrations:
    """Prefix wildcards instead of service:* (iam:Create*, iam:Put*, iam:Attach*, s3:*Object)."""
    return add_node_policy(regs, allow(["iam:Create*", "iam:Put*", "iam:Attach*", "s3:*Object"]))


@mistake("I6", refused_by={"iam-no-wildcard-admin"})
def allow_star_with_not_resource(regs: Registrations) -> Registrations:
    """Allow * with NotResource (admin in all but name)."""
    statement = {
        "Effect": "Allow",
        "Action": "*",
        "NotResource": "arn:aws:s3:::xacct-audit-trail/*",
    }
    return add_node_policy(regs, statement)


@mistake("I7", refused_by={"iam-no-wildcard-admin"})
def allow_star_on_account_arns(regs: Registrations) -> Registrations:
    """Allow * on an ARN pattern covering the whole account."""
    return add_node_policy(regs, allow("*", f"arn:aws:*:*:{PROVIDER_ACCOUNT}:*"))


@mistake("I8", refused_by={"iam-no-wildcard-admin"})
def power_user_access(regs: Registrations) -> Registrations:
    """PowerUserAccess attached to the nodes role."""
    return add(
        regs,
        ROLE_POLICY_ATTACHMENT,
        "xacct-cluster-nodes-power",
        {
            "role": "xacct-cluster-nodes-f44bafa",
            "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess",
        },
        deps={"role": [urn_of(regs, IAM_ROLE, "cluster-nodes")]},
    )


@mistake("I9", refused_by={"iam-no-wildcard-admin"})
def star_colon_star_inline(regs: Registrations) -> Registrations:
    """Inline policy Action *:* on *."""
    return add_node_policy(regs, allow("*:*"))


@mistake("I10", refused_by={"iam-no-users"})
def iam_user_access_key(regs: Registrations) -> Registrations:
    """IAM user with a long-lived access key for CI."""
    user = "aws:iam/user:User"
    regs = add(regs, user, "xacct-ci", {"name": "xacct-ci"})
    regs = add(
        regs,
        "aws:iam/accessKey:AccessKey",
        "xacct-ci",
        {"user": "xacct-ci"},
        deps={"user": [urn_of(regs, user, "xacct-ci")]},
    )
    permissions = policy_doc(allow(["eks:DescribeCluster", "ecr:GetAuthorizationToken"]))
    return add(
        regs,
        "aws:iam/userPolicy:UserPolicy",
        "xacct-ci",
        {"user": "xacct-ci", "policy": permissions},
    )


# KMS ---------------------------------------------------------------------------------------------
@mistake("K1", refused_by={"kms-key-policy-principals"})
def secrets_key_shared_foreign(regs: Registrations) -> Registrations:
    """Secrets key shared with a foreign account (kms:*)."""
    statement = {
        "Sid": "Vendor",
        "Effect": "Allow",
        "Principal": {"AWS": FOREIGN_ROOT},
        "Action": ["kms:Decrypt", "kms:CreateGrant", "kms:*"],
        "Resource": "*",
    }
    return edit_doc(regs, KMS_KEY, "cluster-secrets", "policy", add_statement(statement))


@mistake("K2", refused_by={"kms-key-policy-principals"})
def key_policy_star_weak_condition(regs: Registrations) -> Registrations:
    """Key policy Principal * with a non-narrowing condition (aws:SecureTransport)."""
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    return edit_doc(regs, KMS_KEY, "logs-key", "policy", add_statement(statement))


@mistake("K3", refused_by={"kms-key-policy-principals"})
def key_policy_aws_star(regs: Registrations) -> Registrations:
    """Key policy Principal {"AWS": ["*"]} without a condition."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": ["*"]},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    return edit_doc(regs, KMS_KEY, "cluster-secrets", "policy", add_statement(statement))


@mistake("K4", refused_by={"kms-key-policy-principals"})
def kms_grant_to_foreign_role(regs: Registrations) -> Registrations:
    """KMS grant on the secrets key to a foreign role."""
    return add(
        regs,
        "aws:kms/grant:Grant",
        "xacct-vendor-grant",
        {
            "keyId": "secrets",
            "granteePrincipal": f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/vendor",
            "operations": ["Decrypt", "GenerateDataKey"],
        },
        deps={"keyId": [urn_of(regs, KMS_KEY, "cluster-secrets")]},
    )


# Network -----------------------------------------------------------------------------------------
@mistake("N1", refused_by={"subnet-no-public-ip"})
def private_subnets_public_ips(regs: Registrations) -> Registrations:
    """Private subnets auto-assign public IPs."""
    regs = set_props(regs, SUBNET, "private-use1-az1", mapPublicIpOnLaunch=True)
    return set_props(regs, SUBNET, "private-use1-az2", mapPublicIpOnLaunch=True)


@mistake("N2", refused_by={"no-internet-path"})
def private_default_route_via_igw(regs: Registrations) -> Registrations:
    """Private route table's default route via the internet gateway instead of the NAT."""
    regs = drop_props(regs, ROUTE, "private-default", "natGatewayId")
    regs = set_props(regs, ROUTE, "private-default", gatewayId="igw-54998af53a778995b")
    return set_deps(regs, ROUTE, "private-default", gatewayId=[urn_of(regs, INTERNET_GATEWAY)])


@mistake("N3", refused_by={"eks-nodes-private", "no-internet-path"})
def nodes_in_public_subnets(regs: Registrations) -> Registrations:
    """Node group moved to the public subnets, with public IPs."""
    public = [find(regs, SUBNET, "public-use1-az1"), find(regs, SUBNET, "public-use1-az2")]
    regs = set_props(
        regs, NODE_GROUP, "nodes", subnetIds=[s.outputs.get("id", s.id) for s in public]
    )
    regs = set_deps(regs, NODE_GROUP, "nodes", subnetIds=[s.urn for s in public])
    return set_props(regs, EKS_CLUSTER, "eks", nodeAssociatePublicIpAddress=True)


@mistake("N4", refused_by={"no-internet-path"}, role="consumer")
def consumer_internet_path(regs: Registrations) -> Registrations:
    """Internet path added to the consumer (IGW + NAT + 0.0.0.0/0 route)."""
    private_rt = urn_of(regs, ROUTE_TABLE, "private-rt")
    regs = add(
        regs, INTERNET_GATEWAY, "xacct-net-igw", {"vpcId": "vpc"}, {"vpcId": [urn_of(regs, VPC)]}
    )
    regs = add(regs, EIP, "xacct-net-nat", {"domain": "vpc"})
    regs = add(
        regs,
        "aws:ec2/natGateway:NatGateway",
        "xacct-net-nat-gw",
        {"subnetId": "s", "allocationId": "e"},
        {"subnetId": [urn_of(regs, SUBNET, "az1")], "allocationId": [urn_of(regs, EIP)]},
    )
    return add(
        regs,
        ROUTE,
        "xacct-net-private-default",
        {"destinationCidrBlock": "0.0.0.0/0", "routeTableId": "rt", "gatewayId": "igw"},
        {"routeTableId": [private_rt], "gatewayId": [urn_of(regs, INTERNET_GATEWAY)]},
    )


@mistake("N5", refused_by={"subnet-no-public-ip"}, role="consumer")
def consumer_subnets_public_ips(regs: Registrations) -> Registrations:
    """Consumer subnets auto-assign public IPs."""
    return set_props(regs, SUBNET, "az1", mapPublicIpOnLaunch=True)


@mistake("N6", refused_by={"vpc-flow-logs"})
def flow_log_reject_only(regs: Registrations) -> Registrations:
    """Flow log records only REJECT traffic."""
    return set_props(regs, "aws:ec2/flowLog:FlowLog", "flow-log", trafficType="REJECT")


@mistake("N7", refused_by={"no-internet-path"})
def peering_to_foreign_vpc(regs: Registrations) -> Registrations:
    """VPC peering to a foreign account's VPC, routed from the private subnets."""
    regs = add(
        regs,
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "xacct-partner",
        {"vpcId": "vpc", "peerVpcId": "vpc-partner", "peerOwnerId": FOREIGN_ACCOUNT},
    )
    return add(
        regs,
        ROUTE,
        "xacct-net-partner",
        {
            "destinationCidrBlock": "172.16.0.0/12",
            "routeTableId": "rt",
            "vpcPeeringConnectionId": "pcx",
        },
        {"routeTableId": [urn_of(regs, ROUTE_TABLE, "private-rt")]},
    )


# Security groups ---------------------------------------------------------------------------------
def add_nlb_sg_rule(regs: Registrations, type_: str, name: str, **props: Any) -> Registrations:
    """A new rule on the provider NLB's security group."""
    return add(
        regs,
        type_,
        name,
        {"description": "debug", "securityGroupId": "sg", **props},
        deps={"securityGroupId": [urn_of(regs, SECURITY_GROUP, "lb-nlb")]},
    )


@mistake("S1", refused_by={"sg-no-all-ports"})
def all_protocol_ingress_from_vpc(regs: Registrations) -> Registrations:
    """All-protocol ingress (-1) from the VPC CIDR."""
    return add_nlb_sg_rule(
        regs, SG_INGRESS, "xacct-lb-debug-in", ipProtocol="-1", cidrIpv4="10.0.0.0/16"
    )


@mistake("S2", refused_by={"sg-no-all-ports"})
def all_tcp_ports_from_sg(regs: Registrations) -> Registrations:
    """TCP 1-65535 ingress from a security group."""
    return add_nlb_sg_rule(
        regs,
        SG_INGRESS,
        "xacct-lb-wide-in",
        ipProtocol="tcp",
        fromPort=1,
        toPort=65535,
        referencedSecurityGroupId="sg-nodes",
    )


@mistake("S3", refused_by={"sg-no-world-ingress"})
def ingress_from_public_slash_8(regs: Registrations) -> Registrations:
    """Ingress from a public /8 (3.0.0.0/8, 'AWS ranges')."""
    return add_nlb_sg_rule(
        regs,
        SG_RULE,
        "xacct-lb-aws-in",
        type="ingress",
        protocol="tcp",
        fromPort=443,
        toPort=443,
        cidrBlocks=["3.0.0.0/8"],
    )


@mistake("S5", refused_by={"endpoint-sg-scoped"}, role="consumer")
def endpoint_sg_admits_10_slash_8(regs: Registrations) -> Registrations:
    """Consumer endpoint SG admits 10.0.0.0/8."""
    return add(
        regs,
        SG_INGRESS,
        "xacct-pl-peered-in",
        {
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrIpv4": "10.0.0.0/8",
            "description": "peers",
        },
        deps={"securityGroupId": [urn_of(regs, SECURITY_GROUP, "pl-endpoint")]},
    )


@mistake("S6", refused_by={"sg-no-all-ports"}, role="consumer")
def consumer_nlb_sg_all_tcp_ports(regs: Registrations) -> Registrations:
    """Consumer NLB SG admits every TCP port from the VPC."""
    return add(
        regs,
        SG_INGRESS,
        "xacct-lb-vpc-in",
        {
            "ipProtocol": "tcp",
            "fromPort": 1,
            "toPort": 65535,
            "cidrIpv4": "10.0.0.0/16",
            "description": "vpc",
        },
        deps={"securityGroupId": [urn_of(regs, SECURITY_GROUP, "lb-nlb")]},
    )


@mistake("S8", refused_by={"endpoint-sg-scoped"}, role="consumer")
def endpoint_sg_by_literal_id(regs: Registrations) -> Registrations:
    """Endpoint uses an existing SG by literal id (its rules unseen by the gate)."""
    regs = set_props(regs, VPC_ENDPOINT, "pl-endpoint", securityGroupIds=["sg-0legacyopen"])
    return set_deps(regs, VPC_ENDPOINT, "pl-endpoint", securityGroupIds=[])


@mistake("S10", refused_by={"sg-no-all-ports"})
def tcp_0_65535_from_sg(regs: Registrations) -> Registrations:
    """TCP 0-65535 from a security group."""
    return add_nlb_sg_rule(
        regs,
        SG_INGRESS,
        "xacct-lb-all-in",
        ipProtocol="tcp",
        fromPort=0,
        toPort=65535,
        referencedSecurityGroupId="sg-x",
    )


# EKS ---------------------------------------------------------------------------------------------
@mistake("E1", refused_by={"eks-secrets-encryption"})
def secrets_encryption_removed(regs: Registrations) -> Registrations:
    """Secrets encryption removed."""
    return drop_props(regs, EKS_CLUSTER, "eks", "encryptionConfigKeyArn")


@mistake("E2", refused_by={"eks-audit-logging"})
def audit_logs_removed(regs: Registrations) -> Registrations:
    """Audit logs removed (only the api log type left)."""
    return set_props(regs, EKS_CLUSTER, "eks", enabledClusterLogTypes=["api"])


@mistake("E3", refused_by={"eks-access-scoped"})
def auth_mode_config_map(regs: Registrations) -> Registrations:
    """Authentication mode back to CONFIG_MAP (aws-auth)."""
    return set_props(regs, EKS_CLUSTER, "eks", authenticationMode="CONFIG_MAP")


@mistake("E4", refused_by={"eks-access-scoped"})
def cluster_admin_for_foreign_role(regs: Registrations) -> Registrations:
    """Cluster-admin access entry for a foreign principal."""
    entries = find(regs, EKS_CLUSTER, "eks").inputs["accessEntries"]
    vendor = {
        "principalArn": f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/vendor-support",
        "accessPolicies": {
            "admin": {"policyArn": CLUSTER_ADMIN_POLICY, "accessScope": {"type": "cluster"}}
        },
    }
    return set_props(regs, EKS_CLUSTER, "eks", accessEntries={**entries, "vendor": vendor})


@mistake("E5", refused_by={"eks-access-scoped"})
def cluster_admin_for_account_root(regs: Registrations) -> Registrations:
    """Cluster admin for the account root, as standalone AccessEntry + AccessPolicyAssociation."""
    root = f"arn:aws:iam::{PROVIDER_ACCOUNT}:root"
    regs = add(
        regs,
        "aws:eks/accessEntry:AccessEntry",
        "xacct-everyone",
        {"clusterName": "xacct-eks", "principalArn": root},
    )
    return add(
        regs,
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "xacct-everyone-admin",
        {
            "clusterName": "xacct-eks",
            "principalArn": root,
            "policyArn": CLUSTER_ADMIN_POLICY,
            "accessScope": {"type": "cluster"},
        },
    )


@mistake("E6", refused_by={"eks-nodes-private"})
def node_ssh_open_to_world(regs: Registrations) -> Registrations:
    """Node group SSH remote access with no source SG (EKS opens 0.0.0.0/0:22)."""
    return set_props(regs, NODE_GROUP, "nodes", remoteAccess={"ec2SshKey": "ops"})


@mistake("E7", refused_by={"eks-nodes-private"})
def node_launch_template_imdsv1(regs: Registrations) -> Registrations:
    """Node launch template allows IMDSv1 with hop limit 2."""
    metadata = {"httpEndpoint": "enabled", "httpTokens": "optional", "httpPutResponseHopLimit": 2}
    regs = add(
        regs,
        "aws:ec2/launchTemplate:LaunchTemplate",
        "xacct-nodes-lt",
        {"metadataOptions": metadata},
    )
    return set_props(regs, NODE_GROUP, "nodes", launchTemplate={"id": "lt-1", "version": "1"})


@mistake("E8", refused_by={"k8s-workload-private"})
def service_type_load_balancer(regs: Registrations) -> Registrations:
    """Workload Service switched to type LoadBalancer (a public ELB outside Pulumi)."""
    service = find(regs, "kubernetes:core/v1:Service", "app-service")
    spec = {**service.inputs["spec"], "type": "LoadBalancer"}
    return set_props(regs, service.type, service.name, spec=spec)


@mistake("E9", refused_by={"k8s-workload-private"})
def privileged_host_network_pod(regs: Registrations) -> Registrations:
    """Privileged, hostNetwork workload pod."""
    deployment = find(regs, "kubernetes:apps/v1:Deployment", "deployment")
    spec = json.loads(json.dumps(deployment.inputs["spec"]))
    pod = spec["template"]["spec"]
    pod["hostNetwork"] = True
    for container in pod["containers"]:
        container["securityContext"] = {"privileged": True, "runAsUser": 0}
    return set_props(regs, deployment.type, deployment.name, spec=spec)


# Load balancers and the endpoint service ---------------------------------------------------------
@mistake("L1", refused_by={"lb-internal"})
def public_classic_elb_http(regs: Registrations) -> Registrations:
    """Classic ELB, internet-facing, HTTP (debug access)."""
    listener = {
        "lbPort": 80,
        "lbProtocol": "http",
        "instancePort": 30080,
        "instanceProtocol": "http",
    }
    return add(
        regs,
        "aws:elb/loadBalancer:LoadBalancer",
        "xacct-debug-elb",
        {"internal": False, "subnets": ["subnet-pub1", "subnet-pub2"], "listeners": [listener]},
    )


@mistake("L2", refused_by={"listener-secure-protocol"})
def internal_alb_http_listener(regs: Registrations) -> Registrations:
    """Internal ALB with a plain HTTP listener added."""
    regs = add(
        regs,
        LOAD_BALANCER,
        "xacct-admin-alb",
        {
            "internal": True,
            "loadBalancerType": "application",
            "subnets": ["a", "b"],
            "enableDeletionProtection": True,
            "accessLogs": {"enabled": True},
        },
    )
    return add(
        regs,
        "aws:lb/listener:Listener",
        "xacct-admin-http",
        {"protocol": "HTTP", "port": 80},
        deps={"loadBalancerArn": [urn_of(regs, LOAD_BALANCER, "admin-alb")]},
    )


@mistake("L3", refused_by={"endpoint-service-nlb-internal"})
def endpoint_service_hardcoded_nlb(regs: Registrations) -> Registrations:
    """Endpoint service fronts an NLB referenced by a hard-coded ARN."""
    nlb = (
        f"arn:aws:elasticloadbalancing:us-east-1:{PROVIDER_ACCOUNT}"
        ":loadbalancer/net/legacy-public/0123456789abcdef"
    )
    regs = set_props(regs, ENDPOINT_SERVICE, "svc", networkLoadBalancerArns=[nlb])
    return set_deps(regs, ENDPOINT_SERVICE, "svc", networkLoadBalancerArns=[])


@mistake("L4", refused_by={"endpoint-service-principals-specific"})
def endpoint_service_foreign_principal(regs: Registrations) -> Registrations:
    """Allowed principal for a non-allowlisted account (standalone resource)."""
    return add(
        regs,
        "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple",
        "xacct-svc-partner",
        {"vpcEndpointServiceId": "vpce-svc", "principalArn": FOREIGN_ROOT},
    )


# Logging and audit -------------------------------------------------------------------------------
@mistake("A1", refused_by={"log-group-retention"})
def log_retention_removed(regs: Registrations) -> Registrations:
    """Log group retention removed (never expires)."""
    return drop_props(regs, LOG_GROUP, "control-plane", "retentionInDays")


@mistake("A2", refused_by={"resource-policy-principals"})
def alarm_topic_policy_open(regs: Registrations) -> Registrations:
    """Alarm SNS topic policy open to Principal *."""
    policy = policy_doc(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["sns:Publish", "sns:Subscribe"],
            "Resource": "*",
        }
    )
    return add(
        regs,
        "aws:sns/topicPolicy:TopicPolicy",
        "xacct-watch-alarms",
        {"arn": "arn", "policy": policy},
        deps={"arn": [urn_of(regs, "aws:sns/topic:Topic")]},
    )


@mistake("A3", refused_by={"cloudtrail-baseline"}, variant="cloudtrail")
def trail_logging_stopped(regs: Registrations) -> Registrations:
    """CloudTrail created with logging stopped."""
    return set_props(regs, TRAIL, "trail", enableLogging=False)


@mistake("A4", refused_by={"cloudtrail-baseline"}, variant="cloudtrail")
def trail_drops_management_events(regs: Registrations) -> Registrations:
    """CloudTrail drops management events and reads."""
    selector = {"readWriteType": "WriteOnly", "includeManagementEvents": False}
    return set_props(regs, TRAIL, "trail", eventSelectors=[selector])


@mistake("A5", refused_by={"s3-versioning"}, variant="cloudtrail")
def trail_bucket_versioning_suspended(regs: Registrations) -> Registrations:
    """Trail bucket versioning suspended."""
    return set_props(
        regs,
        "aws:s3/bucketVersioning:BucketVersioning",
        "trail",
        versioningConfiguration={"status": "Suspended"},
    )


@mistake("A9", refused_by={"s3-trail-bucket-kms"}, variant="cloudtrail")
def trail_bucket_sse_s3(regs: Registrations) -> Registrations:
    """Trail bucket KMS default encryption removed (falls back to SSE-S3)."""
    return set_props(
        regs,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "trail",
        rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    )


@mistake("A6", refused_by={"resource-policy-principals"}, variant="cloudtrail")
def trail_bucket_foreign_read(regs: Registrations) -> Registrations:
    """Trail bucket readable by a foreign account."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": FOREIGN_ROOT},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [TRAIL_BUCKET_ARN, f"{TRAIL_BUCKET_ARN}/*"],
    }
    return edit_doc(regs, BUCKET_POLICY, "trail", "policy", add_statement(statement))


@mistake("A7", refused_by={"resource-policy-principals"}, variant="cloudtrail")
def trail_bucket_public_read(regs: Registrations) -> Registrations:
    """Trail bucket policy Allow Principal * s3:GetObject (the public access block would stop it
    at apply)."""
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{TRAIL_BUCKET_ARN}/*",
    }
    return edit_doc(regs, BUCKET_POLICY, "trail", "policy", add_statement(statement))


@mistake("A8", refused_by={"s3-tls-only"}, variant="cloudtrail")
def tls_deny_bucket_arn_only(regs: Registrations) -> Registrations:
    """TLS-only deny narrowed to the bucket ARN (objects readable over HTTP)."""

    def narrow(doc: Document) -> None:
        deny = next(s for s in doc["Statement"] if s.get("Sid") == "DenyInsecureTransport")
        deny["Resource"] = TRAIL_BUCKET_ARN
        deny["Action"] = "s3:ListBucket"

    return edit_doc(regs, BUCKET_POLICY, "trail", "policy", narrow)


# API Gateway (consumer) --------------------------------------------------------------------------
@mistake("G1", refused_by={"resource-policy-principals"}, role="consumer")
def api_policy_principal_star(regs: Registrations) -> Registrations:
    """REST API resource policy Allow Principal * execute-api:Invoke."""
    policy = policy_doc(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    )
    return add(
        regs,
        "aws:apigateway/restApiPolicy:RestApiPolicy",
        "xacct-api-policy",
        {"restApiId": "api", "policy": policy},
        deps={"restApiId": [urn_of(regs, REST_API)]},
    )


@mistake("G2", refused_by={"resource-policy-principals"}, role="consumer")
def api_policy_foreign_account(regs: Registrations) -> Registrations:
    """REST API resource policy for a non-consumer account."""
    policy = policy_doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": FOREIGN_ROOT},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    )
    return set_props(regs, REST_API, "api", policy=policy)


@mistake("G3", refused_by={"apigw-stage-method-settings"}, role="consumer")
def method_settings_removed(regs: Registrations) -> Registrations:
    """MethodSettings removed (no execution logs, no throttling)."""
    return remove(regs, METHOD_SETTINGS, "all-methods")


@mistake("G4", refused_by={"apigw-execution-logging"}, role="consumer")
def execution_logs_with_bodies(regs: Registrations) -> Registrations:
    """Execution logs with request and response bodies (dataTraceEnabled)."""
    return set_settings(regs, dataTraceEnabled=True)


@mistake("G5", refused_by={"apigw-execution-logging"}, role="consumer")
def execution_logging_off(regs: Registrations) -> Registrations:
    """Execution logging OFF."""
    return set_settings(regs, loggingLevel="OFF")


@mistake("G6", refused_by={"apigw-cache-encrypted"}, role="consumer")
def unencrypted_stage_cache(regs: Registrations) -> Registrations:
    """Stage cache without encryption."""
    return set_settings(regs, cachingEnabled=True)


@mistake("G7", refused_by={"apigw-access-logging"}, role="consumer")
def access_logs_removed(regs: Registrations) -> Registrations:
    """Stage access logs removed."""
    return drop_props(regs, STAGE, "stage", "accessLogSettings")


@mistake("G8", refused_by={"apigw-private-integration"}, role="consumer")
def backend_tls_unverified(regs: Registrations) -> Registrations:
    """Integration skips backend certificate verification."""
    return set_props(
        regs, INTEGRATION, "proxy-backend", tlsConfig={"insecureSkipVerification": True}
    )


@mistake("G9", refused_by={"apigw-authorization"}, role="consumer")
def http_api_route_unauthorized(regs: Registrations) -> Registrations:
    """HTTP API route without authorization."""
    return add(
        regs,
        "aws:apigatewayv2/route:Route",
        "xacct-api-health",
        {"apiId": "x", "routeKey": "GET /health", "authorizationType": "NONE"},
    )


@mistake("G11", refused_by={"apigw-domain-tls"}, role="consumer")
def domain_tls_1_0(regs: Registrations) -> Registrations:
    """Custom domain with the TLS_1_0 security policy."""
    return add(
        regs,
        "aws:apigateway/domainName:DomainName",
        "xacct-api-domain",
        {
            "domainName": "api.consumer.example.com",
            "securityPolicy": "TLS_1_0",
            "regionalCertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/x",
            "endpointConfiguration": {"types": "REGIONAL"},
        },
    )


@mistake("G12", refused_by={"apigw-authorization"}, role="consumer")
def method_none_health_check(regs: Registrations) -> Registrations:
    """Method with authorization NONE on one new resource (a health check)."""
    return add(
        regs,
        METHOD,
        "xacct-api-health-get",
        {"restApi": "x", "resourceId": "y", "httpMethod": "GET", "authorization": "NONE"},
    )


@mistake("G13", refused_by={"apigw-stage-method-settings"}, role="consumer")
def throttling_unlimited(regs: Registrations) -> Registrations:
    """Stage throttling lifted (burst and rate limits -1)."""
    return set_settings(regs, throttlingBurstLimit=-1, throttlingRateLimit=-1)


# ---- judging -----------------------------------------------------------------------------------
ViolationKey = tuple[str, str, str]


def key(violation: Violation) -> ViolationKey:
    return (violation.policy, violation.level, violation.message)


@functools.cache
def recorded(role: Role, variant: str) -> tuple[Registration, ...]:
    run = provider_variant(variant) if role == "provider" else consumer_variant(variant)
    return tuple(run.registrations)


@functools.cache
def baseline(role: Role, variant: str) -> tuple[Violation, ...]:
    """What the gate reports on the unedited stack."""
    return tuple(evaluate(recorded(role, variant), GATE[role]))


def new_violations(role: Role, variant: str, regs: Registrations) -> list[ViolationKey]:
    """The violations on `regs` beyond the unedited stack's (as a multiset)."""
    after = Counter(key(v) for v in evaluate(regs, GATE[role]))
    before = Counter(key(v) for v in baseline(role, variant))
    return sorted((after - before).elements())


STACKS = sorted({(m.role, m.variant) for m in MISTAKES})


@pytest.mark.parametrize(("role", "variant"), STACKS, ids=[f"{r}-{v}" for r, v in STACKS])
def test_the_unedited_stack_passes_the_gate(role: Role, variant: str) -> None:
    blocked = [f"{v.policy}: {v.message}" for v in mandatory(baseline(role, variant))]
    assert blocked == []


@pytest.mark.parametrize("case", [pytest.param(m, id=f"{m.id}-{m.slug}") for m in MISTAKES])
def test_the_gate_refuses(case: Mistake) -> None:
    regs = case.apply(list(recorded(case.role, case.variant)))
    new = new_violations(case.role, case.variant, regs)
    refused_by = {policy for policy, level, _ in new if level == "mandatory"}
    report = "\n".join(f"{level} {policy}: {message}" for policy, level, message in new)
    assert refused_by == case.refused_by, f"{case.id} {case.title}\n{report}"
