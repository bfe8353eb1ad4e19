"""A verified private DNS name (xacct:publishPrivateDnsName on the provider, xacct:privateDns on
the consumer): the endpoint service takes the TLS server name, its domain is proven by a TXT
record in the listener's zone and verification is waited for; the consumer turns private DNS
on with the resource made for endpoints that need acceptance first."""

from __future__ import annotations

from typing import Any

import pytest

from components import outputs as keys
from components.stack_link import StackLinkError
from tests.support.configs import CONSUMER_CONFIG
from tests.support.program import Run, run_program
from tests.support.variants import provider_settings, provider_variant
from xacct_ops import aws_rules
from xacct_ops.offline_engine import AZS_BY_ACCOUNT, CONSUMER_ACCOUNT, FakeAccount

SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
NAME = "api.provider.example.com"


def consumer(
    provider_exports: dict[str, Any], endpoint_state: str | None = None, **changes: Any
) -> Run:
    service = provider_exports[keys.ENDPOINT_SERVICE_NAME]
    return run_program(
        {**CONSUMER_CONFIG, **changes},
        account=FakeAccount(
            account_id=CONSUMER_ACCOUNT,
            azs=dict(AZS_BY_ACCOUNT[CONSUMER_ACCOUNT]),
            endpoints={service: endpoint_state} if endpoint_state else {},
        ),
        stacks={"organization/xacct/provider": provider_exports},
        stack_name="consumer",
    )


def test_the_service_takes_the_tls_name_and_proves_its_domain_in_the_zone() -> None:
    run = provider_variant("private-dns-name")
    service = run.one(SERVICE)
    assert service.inputs["privateDnsName"] == NAME
    (expected,) = service.outputs["privateDnsNameConfigurations"]
    record = next(
        r for r in run.of_type("aws:route53/record:Record") if r.inputs.get("type") == "TXT"
    )
    assert record.inputs["zoneId"] == "Z0123456789ABCDEFGHIJ"
    assert record.inputs["name"] == expected["name"]
    assert record.inputs["records"] == [expected["value"]]
    verified = run.one(
        "aws:vpc/endpointServicePrivateDnsVerification:EndpointServicePrivateDnsVerification"
    )
    assert verified.inputs == {"serviceId": service.id, "waitForVerification": True}
    assert record.urn in verified.dependencies
    # Named for the DNS name: a new name is a new verification (it runs at creation only).
    other = run_program(
        {**provider_settings("private-dns-name"), "tlsServerName": "svc.provider.example.com"},
        stack_name="provider",
    )
    renamed = other.one(
        "aws:vpc/endpointServicePrivateDnsVerification:EndpointServicePrivateDnsVerification"
    )
    assert renamed.name != verified.name
    assert run.exports[keys.PRIVATE_DNS_NAME] == NAME
    assert run.exports[keys.PRIVATE_DNS_VERIFICATION]["value"] == expected["value"]
    assert aws_rules.check(run.registrations) == []


def test_without_a_zone_the_record_is_an_output_and_nothing_waits() -> None:
    run = provider_variant("private-dns-name-own-certificate")
    assert run.one(SERVICE).inputs["privateDnsName"] == NAME
    assert not run.of_type(
        "aws:vpc/endpointServicePrivateDnsVerification:EndpointServicePrivateDnsVerification"
    )
    assert run.exports[keys.PRIVATE_DNS_VERIFICATION]["type"] == "TXT"


def test_todays_provider_publishes_no_name() -> None:
    run = provider_variant("default")
    assert "privateDnsName" not in run.one(SERVICE).inputs
    assert run.exports[keys.PRIVATE_DNS_NAME] is None


def test_the_consumer_turns_private_dns_on_once_its_endpoint_is_accepted() -> None:
    exports = provider_variant("private-dns-name").exports
    run = consumer(exports, "available", privateDns="true")
    endpoint = run.one(ENDPOINT)
    assert "privateDnsEnabled" not in endpoint.inputs
    dns = run.one("aws:vpc/endpointPrivateDns:EndpointPrivateDns")
    assert dns.inputs == {"vpcEndpointId": endpoint.id, "privateDnsEnabled": True}
    assert aws_rules.check(run.registrations) == []


@pytest.mark.parametrize("state", [None, "pendingAcceptance"])
def test_before_acceptance_private_dns_waits_for_the_next_up(state: str | None) -> None:
    # AWS refuses private DNS on an endpoint not yet accepted: nothing is declared for it, and
    # the endpoint's own argument is already left unset, so the next `up` adds it alone.
    run = consumer(provider_variant("private-dns-name").exports, state, privateDns="true")
    assert "privateDnsEnabled" not in run.one(ENDPOINT).inputs
    assert not run.of_type("aws:vpc/endpointPrivateDns:EndpointPrivateDns")


def test_todays_consumer_keeps_private_dns_off_on_the_endpoint() -> None:
    run = consumer(provider_variant("private-dns-name").exports)
    assert run.one(ENDPOINT).inputs["privateDnsEnabled"] is False
    assert not run.of_type("aws:vpc/endpointPrivateDns:EndpointPrivateDns")


def test_private_dns_needs_a_provider_that_publishes_a_name() -> None:
    with pytest.raises(StackLinkError) as caught:
        consumer(provider_variant("default").exports, privateDns="true")
    assert str(caught.value).startswith(
        "xacct:privateDns: true, but provider stack 'organization/xacct/provider' publishes no "
        "private DNS name: set xacct:publishPrivateDnsName true on it"
    )
