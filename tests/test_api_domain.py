"""The API's custom domain (xacct:apiDomainName) for both fronts, and the REST stage's WAF
(xacct:apiWaf): what is built and wired, and what is refused before anything is."""

from __future__ import annotations

from typing import Any

import pytest

from components import outputs as keys
from components.settings import ConfigError
from tests.support.configs import CONSUMER_CONFIG
from tests.support.program import Run, run_program
from tests.support.variants import CONSUMER_CERT, consumer_variant, provider_variant
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, FakeAccount, Registration

ZONE = "Z0CONSUMER0ZONE0000001"
DOMAIN = "api.team-a.example.com"


def consumer(**changes: Any) -> Run:
    return run_program(
        {**CONSUMER_CONFIG, **changes},
        account=FakeAccount(
            account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT])
        ),
        stacks={"organization/xacct/provider": provider_variant("default").exports},
        stack_name="consumer",
    )


def test_a_rest_domain_is_regional_tls12_mapped_to_the_stage_with_a_validated_certificate() -> None:
    run = consumer_variant("custom-domain")
    domain = run.one("aws:apigateway/domainName:DomainName")
    assert domain.inputs["domainName"] == DOMAIN
    assert domain.inputs["securityPolicy"] == "TLS_1_2"
    assert domain.inputs["endpointConfiguration"] == {"types": "REGIONAL"}
    validation = run.one("aws:acm/certificateValidation:CertificateValidation")
    assert domain.inputs["regionalCertificateArn"] == validation.outputs["certificateArn"]
    certificate = run.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["domainName"] == DOMAIN
    mapping = run.one("aws:apigateway/basePathMapping:BasePathMapping")
    api = run.one("aws:apigateway/restApi:RestApi")
    stage = run.one("aws:apigateway/stage:Stage")
    assert mapping.inputs["restApi"] == api.id
    assert mapping.inputs["stageName"] == stage.inputs["stageName"]
    alias = next(r for r in run.of_type("aws:route53/record:Record") if r.inputs.get("type") == "A")
    assert alias.inputs["zoneId"] == ZONE and alias.inputs["name"] == DOMAIN
    assert alias.inputs["aliases"] == [
        {
            "name": domain.outputs["regionalDomainName"],
            "zoneId": domain.outputs["regionalZoneId"],
            "evaluateTargetHealth": False,
        }
    ]
    # Only the domain answers: the execute-api URL is off.
    assert api.inputs["disableExecuteApiEndpoint"] is True
    assert run.exports[keys.API_URL] == f"https://{DOMAIN}/"
    assert run.exports[keys.API_DOMAIN_TARGET] == domain.outputs["regionalDomainName"]


def test_an_http_domain_takes_the_given_certificate_and_makes_no_record_without_a_zone() -> None:
    run = consumer_variant("custom-domain-http-own-certificate")
    domain = run.one("aws:apigatewayv2/domainName:DomainName")
    configuration = domain.inputs["domainNameConfiguration"]
    assert configuration == {
        "certificateArn": CONSUMER_CERT,
        "endpointType": "REGIONAL",
        "securityPolicy": "TLS_1_2",
    }
    mapping = run.one("aws:apigatewayv2/apiMapping:ApiMapping")
    assert mapping.inputs["apiId"] == run.one("aws:apigatewayv2/api:Api").id
    assert not run.of_type("aws:acm/certificate:Certificate", "aws:route53/record:Record")
    assert run.one("aws:apigatewayv2/api:Api").inputs["disableExecuteApiEndpoint"] is False
    # No zone: the user points the name at the target.
    target = domain.outputs["domainNameConfiguration"]["targetDomainName"]
    assert run.exports[keys.API_DOMAIN_TARGET] == target


def test_without_a_domain_the_execute_api_url_is_on_and_says_so() -> None:
    # Always given: left unset, the provider would keep a `true` from an earlier domain.
    run = consumer_variant("default")
    assert run.one("aws:apigateway/restApi:RestApi").inputs["disableExecuteApiEndpoint"] is False
    assert run.exports[keys.API_URL] == run.exports[keys.INVOKE_URL]
    assert run.exports[keys.API_DOMAIN_TARGET] is None


def test_the_waf_guards_the_rest_stage_with_managed_rules_and_a_rate_limit() -> None:
    run = consumer_variant("waf")
    acl = run.one("aws:wafv2/webAcl:WebAcl")
    assert acl.inputs["scope"] == "REGIONAL"
    rules = acl.inputs["rules"]
    groups = [
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in rules
        if "managedRuleGroupStatement" in r["statement"]
    ]
    assert groups == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    (rate,) = [r for r in rules if "rateBasedStatement" in r["statement"]]
    assert rate["statement"]["rateBasedStatement"] == {"limit": 500, "aggregateKeyType": "IP"}
    assert "block" in rate["action"]
    common = next(
        r["statement"]["managedRuleGroupStatement"]
        for r in rules
        if r["name"] == "AWSManagedRulesCommonRuleSet"
    )
    # Bodies over 8 KB and clients without a User-Agent are legitimate API calls: counted.
    assert [(o["name"], o["actionToUse"]) for o in common["ruleActionOverrides"]] == [
        ("SizeRestrictions_BODY", {"count": {}}),
        ("NoUserAgent_HEADER", {"count": {}}),
    ]
    assert len({r["priority"] for r in rules}) == len(rules)
    association = run.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == run.one("aws:apigateway/stage:Stage").outputs["arn"]
    assert association.inputs["webAclArn"] == acl.outputs["arn"]


def refused(registrations: list[Registration], **changes: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        run_program(
            {**CONSUMER_CONFIG, **changes},
            account=FakeAccount(
                account_id=CONSUMER_ACCOUNT, azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT])
            ),
            stacks={"organization/xacct/provider": provider_variant("default").exports},
            stack_name="consumer",
            registrations=registrations,
        )
    return str(caught.value)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"apiDomainName": DOMAIN},
            "xacct:apiDomainName: needs a certificate: set xacct:apiCertificateArn (an ACM "
            "certificate for the name, in this stack's region), or xacct:apiRoute53ZoneId (the "
            "public zone to validate a new one in)",
        ),
        (
            {"apiRoute53ZoneId": ZONE},
            "xacct:apiRoute53ZoneId: must not be set without xacct:apiDomainName (they are its "
            "certificate and its zone)",
        ),
        (
            {"disableExecuteApiEndpoint": "true"},
            "xacct:disableExecuteApiEndpoint: True needs xacct:apiDomainName: without a custom "
            "domain it leaves the API unreachable",
        ),
        (
            {"frontend": "http", "apiWaf": "true"},
            "xacct:apiWaf: True is REST only: AWS WAF cannot be associated with an HTTP API",
        ),
        ({"apiWafRateLimit": "100"}, "xacct:apiWafRateLimit: must not be set without xacct:apiWaf"),
        (
            {
                "apiDomainName": DOMAIN,
                "apiCertificateArn": CONSUMER_CERT.replace("us-east-1", "eu-west-1"),
            },
            "xacct:apiCertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/"
            "87654321-4321-4321-4321-210987654321' is in eu-west-1: a regional custom domain "
            "takes a certificate from its own region (us-east-1)",
        ),
        (
            {"apiDomainName": "api.other.example.org", "apiRoute53ZoneId": ZONE},
            "xacct:apiRoute53ZoneId: 'Z0CONSUMER0ZONE0000001' holds team-a.example.com, not "
            "xacct:apiDomainName 'api.other.example.org': Route 53 refuses the records there",
        ),
        (
            {"apiDomainName": "api.team-a.internal", "apiRoute53ZoneId": "Z0PRIVATE0ZONE00000001"},
            "xacct:apiRoute53ZoneId: 'Z0PRIVATE0ZONE00000001' (team-a.internal) is a private "
            "hosted zone: ACM validates a certificate through public DNS",
        ),
    ],
)
def test_bad_domain_and_waf_settings_are_refused_before_anything_is_declared(
    changes: dict[str, Any], expected: str
) -> None:
    seen: list[Registration] = []
    assert expected in refused(seen, **changes)
    assert {r.type for r in seen} <= {"pulumi:pulumi:StackReference"}


def test_mutual_tls_reads_the_ca_bundle_from_a_private_versioned_encrypted_bucket() -> None:
    run = consumer_variant("custom-domain-mutual-tls")
    domain = run.one("aws:apigateway/domainName:DomainName")
    bucket = run.one("aws:s3/bucket:Bucket", "truststore")
    bundle = run.one("aws:s3/bucketObjectv2:BucketObjectv2")
    assert domain.inputs["mutualTlsAuthentication"] == {
        "truststoreUri": f"s3://{bucket.id}/truststore.pem",
        "truststoreVersion": bundle.outputs["versionId"],
    }
    assert bundle.inputs["bucket"] == bucket.id and bundle.inputs["key"] == "truststore.pem"
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "truststore")
    assert all(
        block.inputs[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning", "truststore")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    encryption = run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "truststore",
    )
    assert encryption.inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]
    policy = run.one("aws:s3/bucketPolicy:BucketPolicy", "truststore").inputs["policy"]
    assert '"aws:SecureTransport": "false"' in policy


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"apiMutualTlsTruststore": "tests/data/truststore.pem"},
            "xacct:apiMutualTlsTruststore: must not be set without xacct:apiDomainName",
        ),
        (
            {
                "apiDomainName": DOMAIN,
                "apiRoute53ZoneId": ZONE,
                "disableExecuteApiEndpoint": "true",
                "apiMutualTlsTruststore": "tests/data/nothing-here.pem",
            },
            "xacct:apiMutualTlsTruststore: 'tests/data/nothing-here.pem' is not a file",
        ),
        (
            {
                "apiDomainName": DOMAIN,
                "apiRoute53ZoneId": ZONE,
                "disableExecuteApiEndpoint": "true",
                "apiMutualTlsTruststore": "tests/data/urns.json",
            },
            "xacct:apiMutualTlsTruststore: 'tests/data/urns.json' holds no PEM certificate",
        ),
        (
            {
                "apiDomainName": DOMAIN,
                "apiRoute53ZoneId": ZONE,
                "apiMutualTlsTruststore": "tests/data/truststore.pem",
            },
            "xacct:apiMutualTlsTruststore: needs xacct:disableExecuteApiEndpoint true: the "
            "execute-api URL takes no client certificate",
        ),
    ],
)
def test_bad_mutual_tls_settings_are_refused(changes: dict[str, Any], expected: str) -> None:
    seen: list[Registration] = []
    assert expected in refused(seen, **changes)
    assert seen == []
