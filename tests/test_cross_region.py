"""Cross-region PrivateLink: the provider offers its service to the regions it lists
(xacct:supportedRegions), a consumer in one of them connects with `service_region` and places
its endpoint in its own region's AZs (the AZ-ID match with the provider does not apply, the
AZs AWS excludes do), and a consumer in a region not offered is refused by name."""

from __future__ import annotations

from typing import Any

import pytest

from components import outputs as keys
from components.aws_limits import CROSS_REGION_UNSUPPORTED_AZ_IDS
from components.settings import ConfigError
from components.stack_link import StackLinkError
from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG
from tests.support.program import Run, run_program
from xacct_ops import aws_rules
from xacct_ops.offline_engine import CONSUMER_ACCOUNT, FakeAccount, fake_azs

PROVIDER_STACK = "organization/xacct/provider"
SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


@pytest.fixture(scope="module")
def provider() -> Run:
    return run_program(
        {**PROVIDER_CONFIG, "supportedRegions": ["us-west-1", "eu-west-1"]},
        stack_name="provider",
    )


def consumer_in(region: str, exports: dict[str, Any], **changes: Any) -> Run:
    return run_program(
        {**CONSUMER_CONFIG, "aws:region": region, **changes},
        account=FakeAccount(
            account_id=CONSUMER_ACCOUNT, region=region, azs=fake_azs(region, CONSUMER_ACCOUNT)
        ),
        stacks={PROVIDER_STACK: exports},
        stack_name="consumer",
    )


def test_the_provider_offers_its_service_to_its_own_and_the_listed_regions(provider: Run) -> None:
    assert provider.one(SERVICE).inputs["supportedRegions"] == [
        "us-east-1",
        "us-west-1",
        "eu-west-1",
    ]
    assert provider.exports[keys.SUPPORTED_REGIONS] == ["us-east-1", "us-west-1", "eu-west-1"]


def test_a_same_region_provider_names_its_own_region_only() -> None:
    # Always given: left unset, the provider would keep regions listed before.
    run = run_program(PROVIDER_CONFIG, stack_name="provider")
    assert run.one(SERVICE).inputs["supportedRegions"] == ["us-east-1"]
    assert run.exports[keys.SUPPORTED_REGIONS] == ["us-east-1"]


def test_a_consumer_in_a_supported_region_connects_across_regions(provider: Run) -> None:
    run = consumer_in("eu-west-1", provider.exports)
    endpoint = run.one(ENDPOINT)
    assert endpoint.inputs["serviceRegion"] == "us-east-1"
    assert endpoint.inputs["serviceName"] == provider.exports[keys.ENDPOINT_SERVICE_NAME]
    # Its subnets are in its own region's AZs: none of the provider's AZ IDs is in eu-west-1.
    subnet_azs = {r.inputs["availabilityZoneId"] for r in run.of_type("aws:ec2/subnet:Subnet")}
    assert subnet_azs and all(az.startswith("euw1-") for az in subnet_azs)
    assert aws_rules.check(run.registrations) == []


def test_cross_region_endpoints_avoid_the_azs_aws_excludes(provider: Run) -> None:
    # ap-northeast-2 has apne2-az1..az4 here; cross-region endpoints are not offered in
    # apne2-az2 and apne2-az4, so the endpoint's subnets go to az1 and az3 only.
    assert {"apne2-az2", "apne2-az4"} <= CROSS_REGION_UNSUPPORTED_AZ_IDS
    exports = {**provider.exports, keys.SUPPORTED_REGIONS: ["us-east-1", "ap-northeast-2"]}
    run = consumer_in("ap-northeast-2", exports)
    subnet_azs = sorted(
        r.inputs["availabilityZoneId"] for r in run.of_type("aws:ec2/subnet:Subnet")
    )
    assert subnet_azs == ["apne2-az1", "apne2-az3"]
    # As in one region, the consumer takes up to xacct:azCount of the AZs it may use.
    three = consumer_in("ap-northeast-2", exports, azCount="3")
    assert len(three.of_type("aws:ec2/subnet:Subnet")) == 2


def test_a_consumer_in_a_region_not_offered_is_refused_by_name(provider: Run) -> None:
    with pytest.raises(StackLinkError) as caught:
        consumer_in("ap-southeast-2", provider.exports)
    assert str(caught.value) == (
        f"provider stack {PROVIDER_STACK!r} is in us-east-1 and offers its service to "
        "us-east-1, us-west-1, eu-west-1, not to ap-southeast-2 (this stack's aws:region): add "
        "ap-southeast-2 to the provider's xacct:supportedRegions and run `pulumi up` on it, or "
        "deploy this stack to us-east-1"
    )


def test_a_provider_deployed_before_it_exported_its_regions_is_same_region(
    provider: Run,
) -> None:
    older = {k: v for k, v in provider.exports.items() if k != keys.SUPPORTED_REGIONS}
    with pytest.raises(StackLinkError, match="offers its service to us-east-1, not to eu-west-1"):
        consumer_in("eu-west-1", older)


def test_the_same_region_consumer_is_unchanged(provider: Run) -> None:
    run = run_program(
        CONSUMER_CONFIG,
        account=FakeAccount(
            account_id=CONSUMER_ACCOUNT, azs=fake_azs("us-east-1", CONSUMER_ACCOUNT)
        ),
        stacks={PROVIDER_STACK: provider.exports},
        stack_name="consumer",
    )
    assert "serviceRegion" not in run.one(ENDPOINT).inputs


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (["eu-west-1", "mars"], "xacct:supportedRegions[1]: 'mars' is not an AWS region name"),
        (
            ["us-east-1"],
            "xacct:supportedRegions: ['us-east-1'] lists this stack's own region us-east-1: "
            "give only the other regions",
        ),
    ],
)
def test_bad_supported_regions_are_refused(regions: list[str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        run_program(
            {**PROVIDER_CONFIG, "aws:region": "us-east-1", "supportedRegions": regions},
            stack_name="provider",
        )
    assert expected in str(caught.value)
