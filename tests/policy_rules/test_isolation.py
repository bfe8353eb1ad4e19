"""The isolation rules (policy/rules/isolation.py): default security groups closed, no way to the
internet."""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
)

from policy import rules
from tests.policy_rules.support import (
    LB,
    resource,
    validate_stack,
)


def test_the_default_security_group_must_be_closed() -> None:
    vpc = resource(rules.VPC, "vpc", {})
    closed = resource(rules.DEFAULT_SG, "default", {}, {"vpcId": [vpc]})
    assert validate_stack("default-sg-closed", [vpc, closed]) == []
    assert validate_stack("default-sg-closed", [vpc]) == [
        "aws:ec2/vpc:Vpc 'vpc': its default security group keeps AWS's rules; manage it with an "
        "aws.ec2.DefaultSecurityGroup without rules"
    ]
    open_ = resource(
        rules.DEFAULT_SG,
        "default",
        {"ingress": [{"protocol": "-1", "self": True, "fromPort": 0, "toPort": 0}]},
        {"vpcId": [vpc]},
    )
    assert validate_stack("default-sg-closed", [vpc, open_]) == [
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup 'default': has 1 rule(s); the default "
        "security group admits and sends nothing: remove them"
    ]


def provider_routes(
    path_subnet_on_public_table: bool,
) -> tuple[list[PolicyResource], PolicyResource]:
    private = resource(rules.SUBNET, "private-a", {})
    public = resource(rules.SUBNET, "public-a", {})
    igw = resource(rules.INTERNET_GATEWAY, "igw", {})
    table = resource("aws:ec2/routeTable:RouteTable", "public-rt", {})
    route = resource(rules.ROUTE, "default", {}, {"gatewayId": [igw], "routeTableId": [table]})
    associated = private if path_subnet_on_public_table else public
    association = resource(
        rules.ROUTE_TABLE_ASSOCIATION,
        "public-rt-a",
        {},
        {"subnetId": [associated], "routeTableId": [table]},
    )
    nlb = resource(LB, "nlb", {"internal": True}, {"subnets": [private]})
    return [private, public, igw, table, route, association, nlb], route


def test_provider_internet_route_serving_only_the_nat_subnets_passes() -> None:
    resources, _ = provider_routes(path_subnet_on_public_table=False)
    assert validate_stack("no-internet-path", resources) == []


def test_internet_route_for_a_subnet_of_the_path_is_caught() -> None:
    resources, _ = provider_routes(path_subnet_on_public_table=True)
    assert validate_stack("no-internet-path", resources) == [
        "aws:ec2/route:Route 'default': routes the path's subnets 'private-a' to an internet "
        "gateway; only the NAT's public subnets may route there"
    ]


def test_consumer_side_with_any_way_out_is_caught() -> None:
    side = resource(rules.CONSUMER_SIDE, "consumer", {})
    nat = resource("aws:ec2/natGateway:NatGateway", "nat", {})
    eip = resource("aws:ec2/eip:Eip", "nat-ip", {})
    assert validate_stack("no-internet-path", [side, nat, eip]) == [
        "aws:ec2/natGateway:NatGateway 'nat': the consumer side reaches the provider over "
        "PrivateLink only; remove this way out of its VPC",
        "aws:ec2/eip:Eip 'nat-ip': the consumer side reaches the provider over PrivateLink "
        "only; remove this way out of its VPC",
    ]
    # The same gateway on the provider side is its NAT's way out, not a finding by itself.
    assert validate_stack("no-internet-path", [nat, eip]) == []


def test_peering_on_either_side_is_caught() -> None:
    peering = resource("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peer", {})
    assert validate_stack("no-internet-path", [peering]) == [
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection 'peer': PrivateLink is the only way "
        "between the accounts; remove the peering"
    ]


def path_subnet() -> tuple[PolicyResource, PolicyResource, PolicyResource, PolicyResource]:
    vpc = resource(rules.VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
    igw = resource(rules.INTERNET_GATEWAY, "igw", {}, {"vpcId": [vpc]})
    subnet = resource(rules.SUBNET, "private-a", {}, {"vpcId": [vpc]})
    nlb = resource(LB, "nlb", {"internal": True}, {"subnets": [subnet]})
    return vpc, igw, subnet, nlb


EXPOSED = (
    "routes the path's subnets 'private-a' to an internet gateway; only the NAT's public "
    "subnets may route there"
)


def test_an_internet_route_inline_in_a_route_table_is_caught() -> None:
    vpc, igw, subnet, nlb = path_subnet()
    table = resource(
        "aws:ec2/routeTable:RouteTable",
        "private-rt",
        {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]},
        {"routes": [igw], "vpcId": [vpc]},
    )
    association = resource(
        rules.ROUTE_TABLE_ASSOCIATION, "a", {}, {"subnetId": [subnet], "routeTableId": [table]}
    )
    assert validate_stack("no-internet-path", [vpc, igw, subnet, table, association, nlb]) == [
        f"aws:ec2/routeTable:RouteTable 'private-rt': {EXPOSED}"
    ]


def test_the_main_route_table_serves_every_subnet_without_its_own() -> None:
    vpc, igw, subnet, nlb = path_subnet()
    # A route on vpc.main_route_table_id, and the path's subnet associated with no table.
    route = resource(
        rules.ROUTE,
        "main-default",
        {"destinationCidrBlock": "0.0.0.0/0"},
        {"gatewayId": [igw], "routeTableId": [vpc]},
    )
    assert validate_stack("no-internet-path", [vpc, igw, subnet, route, nlb]) == [
        f"aws:ec2/route:Route 'main-default': {EXPOSED}"
    ]
    default = resource(
        "aws:ec2/defaultRouteTable:DefaultRouteTable",
        "main",
        {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0abc"}]},
    )
    assert validate_stack("no-internet-path", [vpc, subnet, default, nlb]) == [
        f"aws:ec2/defaultRouteTable:DefaultRouteTable 'main': {EXPOSED}"
    ]
    # A subnet with a private table of its own is not on the main table.
    private = resource("aws:ec2/routeTable:RouteTable", "private-rt", {"routes": []})
    own = resource(
        rules.ROUTE_TABLE_ASSOCIATION, "a", {}, {"subnetId": [subnet], "routeTableId": [private]}
    )
    assert validate_stack("no-internet-path", [vpc, igw, subnet, route, private, own, nlb]) == []


def test_an_internet_gateway_given_by_id_is_caught() -> None:
    vpc, _, subnet, nlb = path_subnet()
    table = resource("aws:ec2/routeTable:RouteTable", "private-rt", {})
    route = resource(
        rules.ROUTE,
        "default",
        {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789abcdef0"},
        {"routeTableId": [table]},
    )
    association = resource(
        rules.ROUTE_TABLE_ASSOCIATION, "a", {}, {"subnetId": [subnet], "routeTableId": [table]}
    )
    assert validate_stack("no-internet-path", [vpc, subnet, table, route, association, nlb]) == [
        f"aws:ec2/route:Route 'default': {EXPOSED}"
    ]
