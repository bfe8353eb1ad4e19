"""A private API (xacct:apiEndpointType private): the REST API's endpoint type PRIVATE, an
execute-api interface endpoint in the consumer's VPC (unless turned off), a resource policy that
allows the listed endpoints and denies every other source, and the settings it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import outputs as keys
from components.api import private_api_policy
from components.settings import ConfigError
from tests.support.configs import CONSUMER_CONFIG
from tests.support.program import run_program
from tests.support.variants import consumer_variant, provider_variant
from xacct_ops import verify
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, FakeAccount, Registration

OTHER = "vpce-0a1b2c3d4e5f60718"


def test_the_api_is_private_to_its_own_execute_api_endpoint() -> None:
    run = consumer_variant("private-api")
    api = run.one("aws:apigateway/restApi:RestApi")
    endpoint = next(
        r
        for r in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.inputs["serviceName"] == "com.amazonaws.us-east-1.execute-api"
    )
    assert api.inputs["endpointConfiguration"] == {
        "types": "PRIVATE",
        "vpcEndpointIds": [endpoint.id],
    }
    (sg_id,) = endpoint.inputs["securityGroupIds"]
    ingress = [
        r
        for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == sg_id
    ]
    vpc = run.one("aws:ec2/vpc:Vpc")
    assert [(r.inputs["cidrIpv4"], r.inputs["fromPort"]) for r in ingress] == [
        (vpc.inputs["cidrBlock"], 443)
    ]
    policy = json.loads(run.one("aws:apigateway/restApiPolicy:RestApiPolicy").inputs["policy"])
    # IAM authorization: no Allow, so callers need an IAM grant of their own; every source
    # but the listed endpoint is denied.
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceVpce": [endpoint.id]}}
    assert deny["Resource"] == f"{api.outputs['executionArn']}/*"
    # Private DNS off (it would capture every execute-api name in the VPC): callers use the
    # endpoint-specific name.
    assert endpoint.inputs["privateDnsEnabled"] is False
    stage = run.one("aws:apigateway/stage:Stage").inputs["stageName"]
    assert run.exports[keys.API_URL] == (
        f"https://{api.id}-{endpoint.id}.execute-api.us-east-1.amazonaws.com/{stage}"
    )
    assert run.exports[keys.API_ENDPOINT_TYPE] == "private"


def test_other_callers_endpoints_alone_can_be_named() -> None:
    run = consumer_variant("private-api-other-callers-only")
    api = run.one("aws:apigateway/restApi:RestApi")
    assert api.inputs["endpointConfiguration"]["vpcEndpointIds"] == [OTHER]
    assert not [
        r
        for r in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if "execute-api" in r.inputs["serviceName"]
    ]


def test_a_regional_api_keeps_todays_inputs() -> None:
    run = consumer_variant("default")
    assert run.one("aws:apigateway/restApi:RestApi").inputs["endpointConfiguration"] == {
        "types": "REGIONAL"
    }
    assert not run.of_type("aws:apigateway/restApiPolicy:RestApiPolicy")
    assert run.exports[keys.API_ENDPOINT_TYPE] == "regional"


def test_the_policy_opens_to_any_principal_only_when_the_endpoints_are_the_only_gate() -> None:
    arn = "arn:aws:execute-api:us-east-1:111111111111:a1b2c3"
    iam = json.loads(private_api_policy(arn, ["vpce-1"], open_allow=False))
    assert [s["Effect"] for s in iam["Statement"]] == ["Deny"]
    open_ = json.loads(private_api_policy(arn, ["vpce-1", "vpce-2"], open_allow=True))
    allow, deny = open_["Statement"]
    assert (allow["Effect"], allow["Principal"], allow["Action"]) == (
        "Allow",
        "*",
        "execute-api:Invoke",
    )
    assert allow["Condition"] == {"StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}
    assert allow["Resource"] == deny["Resource"] == f"{arn}/*"


@pytest.mark.parametrize("authorization", ["none", "api-key"])
def test_without_iam_the_listed_endpoints_are_allowed(authorization: str) -> None:
    # Without an authorizer nothing else grants access: a deny-only policy would refuse all.
    none = run_program(
        {**CONSUMER_CONFIG, "apiEndpointType": "private", "apiAuthorization": authorization},
        account=FakeAccount(
            account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT])
        ),
        stacks={"organization/xacct/provider": provider_variant("default").exports},
        stack_name="consumer",
    )
    statements = json.loads(
        none.one("aws:apigateway/restApiPolicy:RestApiPolicy").inputs["policy"]
    )["Statement"]
    assert [s["Effect"] for s in statements] == ["Allow", "Deny"]


def test_verify_says_why_it_does_not_call_a_private_api() -> None:
    hop = verify.private_api_hop(
        {keys.API_ENDPOINT_TYPE: "private", keys.INVOKE_URL: "https://a.execute-api/v1"}
    )
    assert hop.skipped and hop.ok
    assert hop.detail.startswith("not checked from here: the API is private")
    assert "call https://a.execute-api/v1 from inside one of those VPCs" in hop.detail


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"apiEndpointType": "private", "frontend": "http"},
            "xacct:apiEndpointType: 'private' is REST only: HTTP APIs have no private endpoint "
            "type",
        ),
        (
            {"apiEndpointType": "private", "privateApiOwnEndpoint": "false"},
            "xacct:apiEndpointType: private with xacct:privateApiOwnEndpoint false and no "
            "xacct:privateApiVpcEndpointIds: no VPC endpoint could call the API",
        ),
        (
            {"privateApiVpcEndpointIds": [OTHER]},
            "xacct:privateApiVpcEndpointIds: must not be set without xacct:apiEndpointType private",
        ),
        (
            {"apiEndpointType": "private", "privateApiVpcEndpointIds": ["vpc-1"]},
            "xacct:privateApiVpcEndpointIds[0]: 'vpc-1' is not a VPC endpoint id (vpce-...)",
        ),
        (
            {
                "apiEndpointType": "private",
                "privateApiOwnEndpoint": "false",
                "privateApiVpcEndpointIds": [OTHER],
                "apiDomainName": "api.team-a.example.com",
                "apiRoute53ZoneId": "Z0CONSUMER0ZONE0000001",
            },
            "xacct:apiDomainName: a private custom domain needs this stack's own execute-api "
            "endpoint",
        ),
        (
            {
                "apiEndpointType": "private",
                "apiDomainName": "api.team-a.example.com",
                "apiRoute53ZoneId": "Z0CONSUMER0ZONE0000001",
                "disableExecuteApiEndpoint": "true",
                "apiMutualTlsTruststore": "tests/data/truststore.pem",
            },
            "xacct:apiMutualTlsTruststore: must not be set with xacct:apiEndpointType private",
        ),
        (
            {"apiEndpointType": "private", "apiWaf": "true"},
            "xacct:apiWaf: must not be set with xacct:apiEndpointType private",
        ),
        (
            {"apiEndpointType": "internal"},
            "xacct:apiEndpointType: 'internal' is not one of: private, regional",
        ),
    ],
)
def test_bad_private_api_settings_are_refused_before_anything_is_declared(
    changes: dict[str, Any], expected: str
) -> None:
    seen: list[Registration] = []
    with pytest.raises(ConfigError) as caught:
        run_program(
            {**CONSUMER_CONFIG, **changes},
            account=FakeAccount(
                account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT])
            ),
            stacks={"organization/xacct/provider": provider_variant("default").exports},
            stack_name="consumer",
            registrations=seen,
        )
    assert expected in str(caught.value)
    assert seen == []


def test_a_private_custom_domain_is_associated_with_and_resolves_to_the_own_endpoint() -> None:
    run = consumer_variant("private-api-custom-domain")
    endpoint = next(
        r
        for r in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.inputs["serviceName"].endswith(".execute-api")
    )
    domain = run.one("aws:apigateway/domainName:DomainName")
    assert domain.inputs["endpointConfiguration"] == {
        "types": "PRIVATE",
        "ipAddressType": "dualstack",
    }
    assert domain.inputs["securityPolicy"] == "TLS_1_2"
    assert (
        domain.inputs["certificateArn"]
        == run.one("aws:acm/certificateValidation:CertificateValidation").outputs["certificateArn"]
    )
    policy = json.loads(domain.inputs["policy"])
    assert [(s["Effect"], s["Condition"]) for s in policy["Statement"]] == [
        ("Allow", {"StringEquals": {"aws:SourceVpce": endpoint.id}}),
        ("Deny", {"StringNotEquals": {"aws:SourceVpce": endpoint.id}}),
    ]
    mapping = run.one("aws:apigateway/basePathMapping:BasePathMapping")
    assert mapping.inputs["domainNameId"] == domain.outputs["domainNameId"]
    association = run.one("aws:apigateway/domainNameAccessAssociation:DomainNameAccessAssociation")
    assert association.inputs == {
        "accessAssociationSource": endpoint.id,
        "accessAssociationSourceType": "VPCE",
        "domainNameArn": domain.outputs["arn"],
        "tags": association.inputs["tags"],
    }
    zone = run.one("aws:route53/zone:Zone")
    assert zone.inputs["vpcs"] == [{"vpcId": run.one("aws:ec2/vpc:Vpc").id}]
    alias = next(r for r in run.of_type("aws:route53/record:Record") if r.inputs.get("type") == "A")
    assert alias.inputs["zoneId"] == zone.outputs["zoneId"]
    assert alias.inputs["aliases"][0]["name"] == endpoint.outputs["dnsEntries"][0]["dnsName"]
    # Nothing public: no alias in the public zone, only the certificate's validation record.
    assert [r.inputs["type"] for r in run.of_type("aws:route53/record:Record")] == ["CNAME", "A"]
    assert run.exports[keys.API_URL] == "https://api.team-a.example.com/"
