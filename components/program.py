"""The stack program: read settings, look up account facts, build one side, export its outputs.

`__main__.py` calls `main()`. Tests and the offline plan call `build()` under Pulumi mocks and
get back the exports as a dict keyed by the constants in `components.outputs`.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import outputs as keys
from components.aws_limits import EKS_SUBNET_FREE_ADDRESSES, NLB_SUBNET_FREE_ADDRESSES
from components.cluster import NodePlan, plan_nodes, unusable_az_ids
from components.config import ConsumerSettings, ProviderSettings, Settings, load_settings
from components.consumer import build_consumer_side, monitoring_exports
from components.endpoint_service import ConsumerConnection
from components.errors import StackError
from components.lookups import (
    AccountFacts,
    account_facts,
    eks_versions,
    hosted_zone,
    node_type_facts,
    subnet_facts,
    vpc_cidr,
)
from components.network import (
    NODE_INTERFACE_ENDPOINTS,
    NetworkPlan,
    check_capacity,
    plan_network,
)
from components.provider import ProviderSide, ProviderSideArgs
from components.provider_nlb import check_validation_zone
from components.stack_link import read_stack_outputs


def _tags(settings: Settings) -> dict[str, str]:
    return {
        "xacct:project": pulumi.get_project(),
        "xacct:stack": pulumi.get_stack(),
        "xacct:role": settings.role,
        "ManagedBy": "pulumi",
    }


def _plan(settings: Settings, facts: AccountFacts, **kwargs: Any) -> NetworkPlan:
    network = settings.network
    if network.create:
        return plan_network(network, facts, **kwargs)
    existing_vpc = network.existing_vpc_id or ""
    return plan_network(
        network,
        facts,
        subnet_facts(network.existing_subnet_ids),
        existing_vpc_cidr=vpc_cidr(existing_vpc),
        **kwargs,
    )


def read_consumer_connections(stacks: tuple[str, ...]) -> list[ConsumerConnection]:
    """Each listed consumer stack's endpoint id and account, read from its outputs."""
    connections = []
    for stack in stacks:
        values = read_stack_outputs(
            f"consumer-{stack.replace('/', '-')}",
            stack,
            keys.CONSUMER_KEYS_READ_BY_PROVIDER,
            hint=f"run `pulumi up` on {stack} first, or remove it from xacct:consumerStacks",
        )
        connections.append(
            ConsumerConnection(
                stack=stack,
                endpoint_id=str(values[keys.INTERFACE_ENDPOINT_ID]),
                account_id=str(values[keys.CONSUMER_ACCOUNT_ID]),
            )
        )
    return connections


def provider_subnet_needs(
    settings: ProviderSettings, plan: NetworkPlan, nodes: NodePlan | None
) -> list[tuple[str, int]]:
    """What each of the provider's private subnets holds, in addresses."""
    needs = [("the NLB", NLB_SUBNET_FREE_ADDRESSES)]
    if nodes is not None:
        per_subnet = -(-(settings.cluster.node_count + 2) // len(plan.subnets))
        needs = [
            ("EKS", EKS_SUBNET_FREE_ADDRESSES),
            *needs,
            (
                f"{per_subnet} node(s) of {nodes.addresses_per_node} "
                f"({settings.cluster.node_instance_type}, up to nodeCount + 2 while updating)",
                per_subnet * nodes.addresses_per_node,
            ),
        ]
    if settings.network.node_egress == "vpc-endpoints":
        needs.append(("the AWS service endpoints", len(NODE_INTERFACE_ENDPOINTS)))
    return needs


def build_provider(settings: ProviderSettings, facts: AccountFacts) -> dict[str, Any]:
    nodes = None
    excluded: dict[str, str] = {}
    if not settings.cluster.existing:
        node_type = node_type_facts(settings.cluster.node_instance_type)
        nodes = plan_nodes(settings.cluster, node_type, eks_versions(), facts.region)
        excluded = unusable_az_ids(list(facts.az_names_by_id), node_type)
    if settings.listener.route53_zone_id:
        zone = hosted_zone(settings.listener.route53_zone_id)
        check_validation_zone(settings.listener.server_name, zone)
    plan = _plan(settings, facts, excluded_az_ids=excluded, min_az_count=2)
    check_capacity(plan, provider_subnet_needs(settings, plan, nodes))
    connections = read_consumer_connections(settings.consumer_stacks)
    side = ProviderSide(
        settings.name,
        ProviderSideArgs(
            settings=settings,
            facts=facts,
            plan=plan,
            nodes=nodes,
            connections=connections,
            tags=_tags(settings),
        ),
    )
    return {
        keys.ENDPOINT_SERVICE_NAME: side.service_name,
        keys.ENDPOINT_SERVICE_ID: side.service_id,
        keys.SERVICE_AZ_IDS: list(plan.az_ids),
        keys.PROVIDER_NLB_ARN: side.nlb_arn,
        keys.PROVIDER_NLB_DNS_NAME: side.nlb_dns_name,
        keys.LISTENER_PORT: settings.listener.port,
        keys.TLS_SERVER_NAME: settings.listener.server_name,
        keys.PROVIDER_ACCOUNT_ID: facts.account_id,
        keys.PROVIDER_REGION: facts.region,
        keys.ALLOWED_ACCOUNT_IDS: list(settings.allowed_account_ids),
        keys.ACCEPTED_ENDPOINT_IDS: side.accepted_endpoint_ids,
        keys.CLUSTER_NAME: settings.cluster.name,
        keys.NAME_PREFIX: settings.name,
        keys.RETAINED_ON_DESTROY: side.retained,
        **monitoring_exports(side.monitoring),
    }


def build_consumer(settings: ConsumerSettings, facts: AccountFacts) -> dict[str, Any]:
    return build_consumer_side(settings, facts, _plan, _tags(settings))


def build(settings: Settings) -> dict[str, Any]:
    facts = account_facts()
    if isinstance(settings, ProviderSettings):
        return build_provider(settings, facts)
    return build_consumer(settings, facts)


def main() -> None:
    """`pulumi up`'s entry: a problem the user must fix ends the run as one message listing
    every problem, before any resource is registered, and without a Python traceback."""
    try:
        exports = build(load_settings())
    except StackError as error:
        raise pulumi.RunError(str(error)) from None
    for key, value in exports.items():
        pulumi.export(key, value)
