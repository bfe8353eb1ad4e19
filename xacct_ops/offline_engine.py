"""The offline engine: the stack programs run on recording Pulumi mocks, with no engine and no
AWS, and every registration is kept (type, name, URN, inputs, outputs, parent, dependencies,
options). A fake account answers the data sources (AZs, subnets, clusters, instance types).

`run_program(config, ...)` runs `components.program.build` once on a fresh monitor and returns
the resolved exports and the registrations: what `python -m xacct_ops plan` prints and judges,
what the bench times, and what the tests assert on (tests/support/program.py adds their
lookups).

Why a MockMonitor subclass: the stock monitor advertises resource references, so a resource
passed as an *input* (an IAM role into `eks.Cluster`, a component into another) is serialized
as a reference and rehydrated on whatever event loop the executor thread has, which is flaky
across tests. With references switched off, such inputs travel as their URN (components) or id
(custom resources), the way the engine handled them before references existed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2
from pulumi.runtime.sync_await import _sync_await

PROVIDER_ACCOUNT = "222222222222"
CONSUMER_ACCOUNT = "111111111111"
REGION = "us-east-1"
# Two accounts see the same AZ IDs under different names: that is what the program must handle.
AZS_BY_ACCOUNT: dict[str, dict[str, str]] = {
    PROVIDER_ACCOUNT: {
        "use1-az1": "us-east-1a",
        "use1-az2": "us-east-1b",
        "use1-az4": "us-east-1c",
        "use1-az6": "us-east-1d",
    },
    CONSUMER_ACCOUNT: {
        "use1-az4": "us-east-1a",
        "use1-az6": "us-east-1b",
        "use1-az1": "us-east-1c",
        "use1-az2": "us-east-1d",
    },
}
DEFAULT_AZS = AZS_BY_ACCOUNT[PROVIDER_ACCOUNT]

# The regions the offline plan can stand in for, with how many AZ IDs its fake accounts have.
REGIONS: dict[str, int] = {
    "us-east-1": 6,
    "us-east-2": 3,
    "us-west-1": 2,
    "us-west-2": 4,
    "ca-central-1": 3,
    "ca-west-1": 3,
    "mx-central-1": 3,
    "sa-east-1": 3,
    "eu-west-1": 3,
    "eu-west-2": 3,
    "eu-west-3": 3,
    "eu-central-1": 3,
    "eu-central-2": 3,
    "eu-north-1": 3,
    "eu-south-1": 3,
    "eu-south-2": 3,
    "il-central-1": 3,
    "me-south-1": 3,
    "me-central-1": 3,
    "af-south-1": 3,
    "ap-east-1": 3,
    "ap-south-1": 3,
    "ap-south-2": 3,
    "ap-southeast-1": 3,
    "ap-southeast-2": 3,
    "ap-southeast-3": 3,
    "ap-southeast-4": 3,
    "ap-southeast-5": 3,
    "ap-southeast-7": 3,
    "ap-northeast-1": 3,
    "ap-northeast-2": 4,
    "ap-northeast-3": 3,
    "us-gov-west-1": 3,
    "us-gov-east-1": 3,
}
_DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def az_id_prefix(region: str) -> str:
    """AWS's AZ ID prefix of a region: us-east-1 → use1, ap-southeast-2 → apse2,
    us-gov-west-1 → usgw1."""
    parts = region.split("-")
    gov = "g" if parts[1] == "gov" else ""
    direction = parts[-2]
    return f"{parts[0]}{gov}{_DIRECTIONS[direction]}{parts[-1]}"


def fake_azs(region: str, account_id: str) -> dict[str, str]:
    """AZ ID → this account's name for it. us-east-1 keeps the fixed maps above; elsewhere the
    consumer's names are rotated against the provider's, as AWS does per account."""
    if region == REGION:
        return dict(AZS_BY_ACCOUNT.get(account_id, DEFAULT_AZS))
    ids = [f"{az_id_prefix(region)}-az{i}" for i in range(1, REGIONS[region] + 1)]
    letters = [chr(ord("a") + i) for i in range(len(ids))]
    if account_id == CONSUMER_ACCOUNT:
        letters = letters[1:] + letters[:1]
    return {az: f"{region}{letter}" for az, letter in zip(ids, letters, strict=True)}


# Where Pulumi autonames a resource, the property that holds its physical name. Pulumi appends
# "-" and 7 random hex characters to the logical name; the mocks do the same (deterministically),
# so name lengths are what AWS will see.
AUTONAMED: dict[str, str] = {
    "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:iam/policy:Policy": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:sns/topic:Topic": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:apigateway/restApi:RestApi": "name",
    "aws:apigateway/apiKey:ApiKey": "name",
    "aws:apigateway/usagePlan:UsagePlan": "name",
    "aws:apigatewayv2/vpcLink:VpcLink": "name",
    "aws:apigateway/vpcLink:VpcLink": "name",
    "aws:cloudtrail/trail:Trail": "name",
    "aws:servicediscovery/httpNamespace:HttpNamespace": "name",
    "aws:servicediscovery/service:Service": "name",
    "aws:wafv2/webAcl:WebAcl": "name",
}
AUTONAME_HEX = 7

# Instance types the fake accounts offer: architecture, network interfaces, IPv4 per interface.
INSTANCE_TYPES: dict[str, tuple[str, int, int]] = {
    "t3.medium": ("x86_64", 3, 6),
    "t3.large": ("x86_64", 3, 12),
    "m5.large": ("x86_64", 3, 10),
    "m7g.large": ("arm64", 3, 10),
    "a1.medium": ("arm64", 2, 4),
}
EKS_VERSIONS: dict[str, str] = {
    "1.31": "EXTENDED_SUPPORT",
    "1.32": "STANDARD_SUPPORT",
    "1.33": "STANDARD_SUPPORT",
    "1.34": "STANDARD_SUPPORT",
}


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _not_found(reason: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A data source that finds nothing fails the call itself, as the engine reports it."""
    return {}, [("", reason)]


@dataclass(frozen=True)
class Registration:
    """One resource as the program registered it."""

    type: str
    name: str
    urn: str
    id: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    protect: bool = False
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    aliases: tuple[str, ...] = ()
    """The URN each alias stands for (what the resource used to be), relative to its parent as
    registered; aliases a child inherits from its parent's are not listed (see tests/test_urns)."""


@dataclass
class FakeAccount:
    """What the invokes answer: the account, its AZs, its existing subnets, VPCs, clusters."""

    account_id: str = PROVIDER_ACCOUNT
    region: str = REGION
    azs: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_AZS))
    subnets: dict[str, dict[str, str]] = field(default_factory=dict)
    """subnet id → {vpc_id, az_id, cidr}"""
    vpcs: dict[str, str] = field(default_factory=dict)
    """vpc id → CIDR"""
    clusters: dict[str, str] = field(default_factory=dict)
    """cluster name → endpoint"""
    oidc_providers: set[str] = field(default_factory=set)
    """issuer URLs that have an IAM OIDC provider in the account"""
    deployer_role: str = "deployer"
    """The role the test's "pulumi up" runs as (the caller identity is a session of it)."""
    instance_types: dict[str, tuple[str, int, int]] = field(
        default_factory=lambda: dict(INSTANCE_TYPES)
    )
    """type → (architecture, max ENIs, IPv4 per ENI), offered in every AZ of the account..."""
    offered_az_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """...unless listed here: type → the only AZ IDs that offer it."""
    eks_versions: dict[str, str] = field(default_factory=lambda: dict(EKS_VERSIONS))
    """Kubernetes version → EKS support status."""
    zones: dict[str, tuple[str, bool]] = field(
        default_factory=lambda: {
            "Z0123456789ABCDEFGHIJ": ("provider.example.com.", False),
            "Z0CONSUMER0ZONE0000001": ("team-a.example.com.", False),
            "Z0PRIVATE0ZONE00000001": ("team-a.internal.", True),
        }
    )
    """Route 53 hosted zone id → (name, private)."""
    endpoints: dict[str, str] = field(default_factory=dict)
    """This stack's interface endpoints as AWS reports them: service name → state."""


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(
        self,
        account: FakeAccount,
        stacks: Mapping[str, Mapping[str, Any]] | None = None,
        stack_name: str = "test",
    ) -> None:
        self.account = account
        self.stacks = dict(stacks or {})
        self.stack_name = stack_name  # ids differ between stacks, as they do in AWS

    # -- invokes -------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        a, token = self.account, args.token
        if token == "pulumi:pulumi:readStackOutputs":
            stack = args.args["name"]
            if stack not in self.stacks:
                raise Exception(f"unknown stack {stack!r}")
            return {"name": stack, "outputs": dict(self.stacks[stack]), "secretOutputNames": []}
        if token == "aws:iam/getSessionContext:getSessionContext":
            arn = args.args["arn"]
            role = arn.split("/")[1] if ":assumed-role/" in arn else None
            issuer = f"arn:aws:iam::{a.account_id}:role/{role}" if role else arn
            return {
                "arn": arn,
                "issuerArn": issuer,
                "issuerId": "AROAMOCK",
                "issuerName": role or "",
                "sessionName": "ci",
                "id": arn,
            }
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": a.account_id,
                "arn": f"arn:aws:sts::{a.account_id}:assumed-role/{a.deployer_role}/ci",
                "userId": "AIDAMOCK",
                "id": a.account_id,
            }
        if token == "aws:index/getRegion:getRegion":
            return {
                "region": a.region,
                "name": a.region,
                "id": a.region,
                "endpoint": f"ec2.{a.region}.amazonaws.com",
                "description": "mock",
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "id": "aws",
                "reverseDnsPrefix": "com.amazonaws",
            }
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {
                "names": list(a.azs.values()),
                "zoneIds": list(a.azs),
                "id": a.region,
                "groupNames": [a.region],
            }
        if token == "aws:ec2/getSubnet:getSubnet":
            subnet = a.subnets.get(args.args["id"])
            if subnet is None:
                return _not_found(f"no matching EC2 Subnet found: {args.args['id']}")
            return {
                "id": args.args["id"],
                "vpcId": subnet["vpc_id"],
                "availabilityZoneId": subnet["az_id"],
                "availabilityZone": a.azs.get(subnet["az_id"], "unknown"),
                "cidrBlock": subnet["cidr"],
            }
        if token == "aws:ec2/getVpc:getVpc":
            vpc_id = args.args["id"]
            if vpc_id not in a.vpcs:
                return _not_found(f"no matching EC2 VPC found: {vpc_id}")
            return {"id": vpc_id, "cidrBlock": a.vpcs[vpc_id]}
        if token == "aws:eks/getCluster:getCluster":
            name = args.args["name"]
            if name not in a.clusters:
                return _not_found(f"couldn't find resource: EKS Cluster ({name})")
            return {
                "id": name,
                "name": name,
                "endpoint": a.clusters[name],
                "certificateAuthorities": [{"data": "TU9DSy1DQQ=="}],
                "identities": [
                    {
                        "oidcs": [
                            {
                                "issuer": f"https://oidc.eks.{a.region}.amazonaws.com/id/{name.upper()}"
                            }
                        ]
                    }
                ],
                "vpcConfig": {"clusterSecurityGroupId": "sg-0c1a55e7c1a55e7c1"},
            }
        if token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
            url = args.args["url"]
            if url not in a.oidc_providers:
                return _not_found(f"no IAM OIDC provider with url {url}")
            host_path = url.removeprefix("https://")
            return {
                "arn": f"arn:aws:iam::{a.account_id}:oidc-provider/{host_path}",
                "url": host_path,
                "id": host_path,
                "clientIdLists": ["sts.amazonaws.com"],
                "thumbprintLists": [],
            }
        if token == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
            wanted = {
                value
                for f in args.args.get("filters") or []
                if f["name"] == "instance-type"
                for value in f["values"]
            }
            offered = [t for t in a.instance_types if t in wanted]
            pairs = [(t, az) for t in offered for az in a.offered_az_ids.get(t, tuple(a.azs))]
            return {
                "id": a.region,
                "instanceTypes": [t for t, _ in pairs],
                "locations": [az for _, az in pairs],
                "locationTypes": ["availability-zone-id"] * len(pairs),
            }
        if token == "aws:ec2/getInstanceType:getInstanceType":
            name = args.args["instanceType"]
            if name not in a.instance_types:
                return _not_found(f"no EC2 Instance Type found matching criteria: {name}")
            arch, enis, per_eni = a.instance_types[name]
            return {
                "id": name,
                "instanceType": name,
                "supportedArchitectures": [arch],
                "maximumNetworkInterfaces": enis,
                "maximumIpv4AddressesPerInterface": per_eni,
            }
        if token == "aws:ec2/getVpcEndpoint:getVpcEndpoint":
            service = args.args.get("serviceName", "")
            if service not in a.endpoints:
                return _not_found("no matching EC2 VPC Endpoint found")
            return {
                "id": f"vpce-{_hex(service)}",
                "serviceName": service,
                "state": a.endpoints[service],
            }
        if token == "aws:route53/getZone:getZone":
            zone_id = args.args["zoneId"]
            if zone_id not in a.zones:
                return _not_found(f"no matching Route 53 Hosted Zone found: {zone_id}")
            name, private = a.zones[zone_id]
            return {"id": zone_id, "zoneId": zone_id, "name": name, "privateZone": private}
        if token == "aws:eks/getClusterVersions:getClusterVersions":
            return {
                "id": a.region,
                "clusterVersions": [
                    {"clusterVersion": version, "versionStatus": status, "clusterType": "eks"}
                    for version, status in a.eks_versions.items()
                ],
            }
        raise NotImplementedError(f"mock has no answer for invoke {token}")

    def autoname(self, typ: str, name: str) -> str:
        """What Pulumi would call the resource: the logical name, "-", 7 random hex."""
        physical = f"{name}-{_hex(typ, name, self.stack_name, length=AUTONAME_HEX)}"
        return physical.lower() if typ == "aws:s3/bucket:Bucket" else physical

    # -- resources -----------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        typ, name, inputs = args.typ, args.name, dict(args.inputs)
        acct, region = self.account.account_id, self.account.region
        h = _hex(typ, name, acct, self.stack_name)
        if typ == "pulumi:pulumi:StackReference":
            stack = inputs["name"]
            if stack not in self.stacks:
                raise Exception(f"unknown stack {stack!r}")
            return f"{stack}", {
                "name": stack,
                "outputs": dict(self.stacks[stack]),
                "secretOutputNames": [],
            }
        out: dict[str, Any] = {**inputs}
        named_by = AUTONAMED.get(typ)
        if named_by and not inputs.get(named_by) and not inputs.get("namePrefix"):
            out[named_by] = self.autoname(typ, name)
        rid = f"{name}-{h[:8]}"
        out["arn"] = f"arn:aws:mock:{region}:{acct}:{typ.split(':')[1]}/{name}"
        prefixes = {
            "aws:ec2/vpc:Vpc": "vpc",
            "aws:ec2/subnet:Subnet": "subnet",
            "aws:ec2/securityGroup:SecurityGroup": "sg",
            "aws:ec2/routeTable:RouteTable": "rtb",
            "aws:ec2/internetGateway:InternetGateway": "igw",
            "aws:ec2/natGateway:NatGateway": "nat",
            "aws:ec2/eip:Eip": "eipalloc",
            "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
            "aws:ec2/vpcEndpointService:VpcEndpointService": "vpce-svc",
            "aws:ec2/flowLog:FlowLog": "fl",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
        }
        if typ in prefixes:
            rid = f"{prefixes[typ]}-{h}"
        if typ == "aws:ec2/vpcEndpointService:VpcEndpointService":
            out["serviceName"] = f"com.amazonaws.vpce.{region}.{rid}"
            out["availabilityZones"] = []
            out["state"] = "Available"
            if inputs.get("privateDnsName"):
                out["privateDnsNameConfigurations"] = [
                    {
                        "name": f"_{h[:20]}",
                        "type": "TXT",
                        "value": f"vpce:{h[20:40]}",
                        "state": "pendingVerification",
                    }
                ]
        elif typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            out["state"] = "pendingAcceptance"
            out["dnsEntries"] = [
                {
                    "dnsName": f"vpce-{h[:17]}.{inputs.get('serviceName', '')}.vpce.amazonaws.com",
                    "hostedZoneId": "Z7HUB22UULQXV",
                }
            ]
            configs = inputs.get("subnetConfigurations") or []
            out["networkInterfaceIds"] = [f"eni-{_hex(name, str(i))}" for i in range(len(configs))]
        elif typ in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"):
            kind = "loadbalancer/net" if "loadBalancer" in typ else "targetgroup"
            out["arn"] = f"arn:aws:elasticloadbalancing:{region}:{acct}:{kind}/{name}/{h[:16]}"
            out["arnSuffix"] = out["arn"].split(":")[-1].split("/", 1)[1]
            out["dnsName"] = f"{name}-{h[:10]}.elb.{region}.amazonaws.com"
            rid = out["arn"]
        elif typ == "aws:acm/certificate:Certificate":
            out["arn"] = (
                f"arn:aws:acm:{region}:{acct}:certificate/{_hex(name, length=8)}-0000-4000-8000-000000000000"
            )
            out["domainValidationOptions"] = [
                {
                    "domainName": inputs["domainName"],
                    "resourceRecordName": f"_x1.{inputs['domainName']}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_x2.acm-validations.aws.",
                }
            ]
            rid = out["arn"]
        elif typ == "aws:acm/certificateValidation:CertificateValidation":
            out["certificateArn"] = inputs["certificateArn"]
        elif typ == "aws:route53/record:Record":
            out["fqdn"] = inputs["name"].rstrip(".")
        elif typ == "aws:eks/nodeGroup:NodeGroup":
            out["resources"] = [{"autoscalingGroups": [{"name": f"eks-{name}-{h[:8]}"}]}]
        elif typ == "eks:index:Cluster":
            out.update(
                endpoint=f"https://{h[:32].upper()}.gr7.{region}.eks.amazonaws.com",
            )
            out.update(
                kubeconfigJson=eks_kubeconfig(out, region),
                clusterSecurityGroupId=f"sg-{_hex(name, 'eks-cluster-sg')}",
                nodeSecurityGroupId=f"sg-{_hex(name, 'eks-cluster-sg')}",
                oidcProviderArn=f"arn:aws:iam::{acct}:oidc-provider/oidc.eks.{region}.amazonaws.com/id/{h[:32].upper()}",
                oidcProviderUrl=f"https://oidc.eks.{region}.amazonaws.com/id/{h[:32].upper()}",
                oidcIssuer=f"oidc.eks.{region}.amazonaws.com/id/{h[:32].upper()}",
            )
        elif typ == "aws:kms/key:Key":
            rid = f"{h[:8]}-1111-4111-8111-{h[:12]}"
            out["keyId"] = rid
            out["arn"] = f"arn:aws:kms:{region}:{acct}:key/{rid}"
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            out["arn"] = f"arn:aws:logs:{region}:{acct}:log-group:{inputs.get('name', name)}"
        elif typ == "aws:iam/role:Role":
            out["arn"] = f"arn:aws:iam::{acct}:role/{out['name']}"
            rid = out["name"]
        elif typ == "aws:apigateway/restApi:RestApi":
            rid = h[:10]
            out["rootResourceId"] = h[10:16]
            out["executionArn"] = f"arn:aws:execute-api:{region}:{acct}:{rid}"
        elif typ == "aws:apigateway/stage:Stage":
            rest = inputs["restApi"]
            out["invokeUrl"] = (
                f"https://{rest}.execute-api.{region}.amazonaws.com/{inputs['stageName']}"
            )
            out["executionArn"] = (
                f"arn:aws:execute-api:{region}:{acct}:{rest}/{inputs['stageName']}"
            )
            out["arn"] = (
                f"arn:aws:apigateway:{region}::/restapis/{rest}/stages/{inputs['stageName']}"
            )
        elif typ == "aws:apigateway/vpcLink:VpcLink":
            rid = h[:6]
        elif typ == "aws:apigatewayv2/api:Api":
            rid = h[:10]
            out["apiEndpoint"] = f"https://{rid}.execute-api.{region}.amazonaws.com"
        elif typ == "aws:apigatewayv2/stage:Stage":
            out["invokeUrl"] = (
                f"https://{inputs['apiId']}.execute-api.{region}.amazonaws.com/{inputs['name']}"
            )
        elif typ == "aws:apigateway/domainName:DomainName":
            if (inputs.get("endpointConfiguration") or {}).get("types") == "PRIVATE":
                out["domainNameId"] = h[:10]
                out["arn"] = (
                    f"arn:aws:apigateway:{region}:{acct}:/domainnames/"
                    f"{inputs['domainName']}+{h[:10]}"
                )
            else:
                out["regionalDomainName"] = f"d-{h[:10]}.execute-api.{region}.amazonaws.com"
                out["regionalZoneId"] = "Z1UJRXOUMOOFQ8"
        elif typ == "aws:route53/zone:Zone":
            out["zoneId"] = f"Z{h[:20].upper()}"
        elif typ == "aws:apigatewayv2/domainName:DomainName":
            out["domainNameConfiguration"] = {
                **inputs["domainNameConfiguration"],
                "targetDomainName": f"d-{h[:10]}.execute-api.{region}.amazonaws.com",
                "hostedZoneId": "Z1UJRXOUMOOFQ8",
            }
        elif typ == "aws:ec2/vpcEndpointConnectionAccepter:VpcEndpointConnectionAccepter":
            out["vpcEndpointState"] = "available"
        elif typ == "aws:s3/bucket:Bucket":
            rid = out["bucket"]
            out["arn"] = f"arn:aws:s3:::{rid}"
        elif typ == "aws:s3/bucketObjectv2:BucketObjectv2":
            out["versionId"] = h[:32]
        return rid, out


STACK_TYPE = "pulumi:pulumi:Stack"


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """A resource's URN as the Pulumi engine builds it (its parent's whole type chain)."""
    qualified = parent.split("::")[2] if parent else STACK_TYPE
    chain = type_ if qualified == STACK_TYPE else f"{qualified}${type_}"
    return f"urn:pulumi:{stack}::{project}::{chain}::{name}"


def _alias(alias: Any, request: Any, urn: str) -> str:
    """The URN an alias stands for: what the resource was called before (its name, type,
    parent, stack or project), the rest as it is now."""
    if alias.WhichOneof("alias") == "urn":
        return str(alias.urn)
    spec = alias.spec
    stack = spec.stack or urn.split("::")[0].removeprefix("urn:pulumi:")
    project = spec.project or urn.split("::")[1]
    if spec.WhichOneof("parent") == "noParent" and spec.noParent:
        parent = ""
    elif spec.WhichOneof("parent") == "parentUrn" and spec.parentUrn:
        parent = spec.parentUrn
    else:
        parent = request.parent
    return engine_urn(stack, project, parent, spec.type or request.type, spec.name or request.name)


def _reveal(value: Any) -> Any:
    """Secrets arrive wrapped ({sig: ..., value: ...}); tests assert on the value inside."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _reveal(value.get("value"))
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def eks_kubeconfig(
    cluster: Mapping[str, Any], region: str, profile: str | None = None, role_arn: str | None = None
) -> str:
    """What pulumi-eks builds: `aws eks get-token`, with `--role` and `--profile` only when
    `getKubeconfig` is given them (nodejs/eks/cluster/cluster.ts, generateKubeconfig); the
    exported `kubeconfigJson` has neither."""
    args = ["--region", region, "eks", "get-token", "--cluster-name", cluster["name"]]
    args += ["--output", "json"]
    if role_arn:
        args += ["--role", role_arn]
    if profile:
        args += ["--profile", profile]
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kubernetes", "cluster": {"server": cluster["endpoint"]}}],
            "users": [{"name": "aws", "user": {"exec": {"command": "aws", "args": args}}}],
        }
    )


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps every registration; advertises no resource references (see module docstring)."""

    def __init__(
        self, mocks: RecordingMocks, registrations: list[Registration] | None = None
    ) -> None:
        super().__init__(mocks)
        self.mocks: RecordingMocks = mocks
        self.registrations: list[Registration] = [] if registrations is None else registrations
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN as the engine builds it: the parent's whole type chain (the stock mock keeps
        the parent's own type only), and nothing for the stack itself."""
        return engine_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def _record(self, request: Any, props: Any, urn: str, rid: str, custom: bool) -> None:
        inputs = _reveal(rpc.deserialize_properties(props))
        state = self.resources[urn].state if urn in self.resources else {}
        prop_deps = getattr(request, "propertyDependencies", {})
        record = Registration(
            type=request.type,
            name=request.name,
            urn=urn,
            id=rid,
            custom=custom,
            inputs=dict(inputs),
            outputs=dict(state or {}),
            parent=request.parent,
            dependencies=tuple(getattr(request, "dependencies", ())),
            property_dependencies={k: tuple(v.urns) for k, v in prop_deps.items()},
            protect=bool(getattr(request, "protect", False)),
            delete_before_replace=bool(getattr(request, "deleteBeforeReplace", False)),
            retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
            aliases=tuple(_alias(a, request, urn) for a in getattr(request, "aliases", ())),
        )
        with self._lock:
            self.registrations.append(record)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(request, request.object, response.urn, response.id, bool(request.custom))
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802
        response = super().ReadResource(request)
        self._record(request, request.properties, response.urn, request.id, True)
        return response

    def Call(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
        """Methods of components (pulumi-eks's `Cluster.get_kubeconfig`); the stock mock
        monitor has none. Each call is kept in `calls` as (token, arguments)."""
        args = _reveal(rpc.deserialize_properties(request.args))
        with self._lock:
            self.calls.append((request.tok, dict(args)))
        if request.tok == "eks:index:Cluster/getKubeconfig":
            cluster = self.resources[args["__self__"]].state
            region = self.mocks.account.region
            kubeconfig = eks_kubeconfig(
                cluster, region, args.get("profileName"), args.get("roleArn")
            )
            result = {"result": kubeconfig}
        else:
            raise NotImplementedError(f"mock has no answer for call {request.tok}")
        ret = _sync_await(rpc.serialize_properties(result, {}))
        return provider_pb2.CallResponse(**{"return": ret})

    def SupportsFeature(self, request: Any) -> Any:  # noqa: N802
        has = request.id not in ("outputValues", "resourceReferences")
        return type("SupportsFeatureResponse", (object,), {"hasSupport": has})

    def GetDeploymentInfo(self, request: Any) -> Any:  # noqa: N802
        info = super().GetDeploymentInfo(request)
        kept = [
            f
            for f in info.supportedFeatures
            if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
        ]
        return resource_pb2.DeploymentInfo(supportedFeatures=kept)


@dataclass
class ProgramRun:
    """What one run of a stack program produced."""

    exports: dict[str, Any]
    registrations: list[Registration]
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Method calls on components, as (token, arguments)."""


def config_map(values: Mapping[str, Any]) -> dict[str, str]:
    """Config as `pulumi config` stores it (lists and objects as JSON): keys without a
    namespace are `xacct:` keys; `aws:region` and the like keep theirs."""
    return {
        (k if ":" in k else f"xacct:{k}"): v if isinstance(v, str) else json.dumps(v)
        for k, v in values.items()
    }


def run_program(
    config: Mapping[str, Any],
    *,
    account: FakeAccount | None = None,
    stacks: Mapping[str, Mapping[str, Any]] | None = None,
    stack_name: str = "test",
    registrations: list[Registration] | None = None,
) -> ProgramRun:
    """Run the stack program once on fresh recording mocks and resolve its exports.

    Pass `registrations` to see what was registered even when the program raises.
    """
    from components.program import build
    from components.settings import load_settings

    mocks = RecordingMocks(account or FakeAccount(), stacks, stack_name)
    monitor = RecordingMonitor(mocks, registrations)
    pulumi.runtime.set_mocks(
        mocks, project="xacct", stack=stack_name, preview=False, monitor=monitor
    )
    pulumi.runtime.set_all_config(config_map(config))
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        # What pulumi.run awaits; from_input resolves the Outputs among the exports too.
        built: Any = asyncio.ensure_future(build(load_settings()))
        return pulumi.Output.from_input(built).apply(exports.update)

    program()
    return ProgramRun(
        exports=exports, registrations=list(monitor.registrations), calls=list(monitor.calls)
    )
