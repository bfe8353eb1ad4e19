"""Stack output keys: the one list that the program, the tests, the scripts and the policies share.

The consumer reads the provider's outputs through a StackReference and the provider reads each
consumer's outputs to accept its endpoint connection, so a renamed key here renames it everywhere.
"""

from __future__ import annotations

from typing import Final

# both stacks
RETAINED_ON_DESTROY: Final = "retainedOnDestroy"
"""What `pulumi destroy` leaves in place on purpose (README: how to remove it)."""

# provider stack (account B)
ENDPOINT_SERVICE_NAME: Final = "endpointServiceName"
ENDPOINT_SERVICE_ID: Final = "endpointServiceId"
SERVICE_AZ_IDS: Final = "serviceAvailabilityZoneIds"
PROVIDER_NLB_ARN: Final = "providerNlbArn"
PROVIDER_NLB_DNS_NAME: Final = "providerNlbDnsName"
LISTENER_PORT: Final = "listenerPort"
TLS_SERVER_NAME: Final = "tlsServerName"
PROVIDER_ACCOUNT_ID: Final = "providerAccountId"
PROVIDER_REGION: Final = "providerRegion"
SUPPORTED_REGIONS: Final = "supportedRegions"
"""The regions whose consumers may connect: the service's own, then xacct:supportedRegions."""
PRIVATE_DNS_NAME: Final = "privateDnsName"
"""The endpoint service's private DNS name (the TLS server name), or null."""
PRIVATE_DNS_VERIFICATION: Final = "privateDnsVerification"
"""The TXT record (name, type, value) that proves the name's domain, or null."""
ALLOWED_ACCOUNT_IDS: Final = "allowedAccountIds"
ACCEPTED_ENDPOINT_IDS: Final = "acceptedEndpointIds"
CLUSTER_NAME: Final = "clusterName"
NAME_PREFIX: Final = "namePrefix"

PROVIDER_KEYS: Final = (
    ENDPOINT_SERVICE_NAME,
    ENDPOINT_SERVICE_ID,
    SERVICE_AZ_IDS,
    PROVIDER_NLB_ARN,
    PROVIDER_NLB_DNS_NAME,
    LISTENER_PORT,
    TLS_SERVER_NAME,
    PROVIDER_ACCOUNT_ID,
    PROVIDER_REGION,
    SUPPORTED_REGIONS,
    PRIVATE_DNS_NAME,
    PRIVATE_DNS_VERIFICATION,
    ALLOWED_ACCOUNT_IDS,
    ACCEPTED_ENDPOINT_IDS,
    CLUSTER_NAME,
    NAME_PREFIX,
    RETAINED_ON_DESTROY,
)

# What the consumer reads from the provider: a subset, so the provider can grow outputs freely.
# SUPPORTED_REGIONS is read when present (providers deployed before it exported it are
# same-region only).
PROVIDER_KEYS_READ_BY_CONSUMER: Final = (
    ENDPOINT_SERVICE_NAME,
    SERVICE_AZ_IDS,
    LISTENER_PORT,
    TLS_SERVER_NAME,
    PROVIDER_ACCOUNT_ID,
    PROVIDER_REGION,
    NAME_PREFIX,
)

# consumer stack (account A)
INTERFACE_ENDPOINT_ID: Final = "interfaceEndpointId"
CONSUMER_ACCOUNT_ID: Final = "consumerAccountId"
CONSUMER_REGION: Final = "consumerRegion"
INVOKE_URL: Final = "invokeUrl"
API_ID: Final = "apiId"
STAGE_NAME: Final = "stageName"
API_AUTHORIZATION: Final = "apiAuthorization"
VPC_LINK_ID: Final = "vpcLinkId"
CONSUMER_NLB_ARN: Final = "consumerNlbArn"
"""The consumer NLB's ARN; null with the HTTP API front, which has none."""
ENDPOINT_IPS: Final = "endpointIps"
FRONTEND: Final = "frontend"
"""rest or http (xacct:frontend)."""
API_URL: Final = "apiUrl"
"""Where callers call: https://<apiDomainName>/ with a custom domain, else the invoke URL."""
API_ENDPOINT_TYPE: Final = "apiEndpointType"
"""regional or private (a private API is reachable only through execute-api endpoints)."""
API_DOMAIN_TARGET: Final = "apiDomainTarget"
"""The regional name apiDomainName's DNS record points at (null without a custom domain)."""
CLOUD_MAP_SERVICE_ARN: Final = "cloudMapServiceArn"
"""The Cloud Map service listing the endpoint's IPs (http front; null with rest)."""

CONSUMER_KEYS: Final = (
    INTERFACE_ENDPOINT_ID,
    CONSUMER_ACCOUNT_ID,
    CONSUMER_REGION,
    INVOKE_URL,
    API_ID,
    STAGE_NAME,
    API_AUTHORIZATION,
    VPC_LINK_ID,
    CONSUMER_NLB_ARN,
    ENDPOINT_IPS,
    FRONTEND,
    API_URL,
    API_ENDPOINT_TYPE,
    API_DOMAIN_TARGET,
    CLOUD_MAP_SERVICE_ARN,
    RETAINED_ON_DESTROY,
)

# What `verify` reads from each consumer stack (and, by its front, the consumer NLB's ARN or
# the Cloud Map service with the endpoint IPs).
CONSUMER_KEYS_VERIFIED: Final = (
    INTERFACE_ENDPOINT_ID,
    CONSUMER_REGION,
    INVOKE_URL,
    API_AUTHORIZATION,
    VPC_LINK_ID,
)

# What the provider reads from each consumer stack to accept its connection.
CONSUMER_KEYS_READ_BY_PROVIDER: Final = (INTERFACE_ENDPOINT_ID, CONSUMER_ACCOUNT_ID)

# both stacks, when xacct:monitoring is on
ALARM_TOPIC_ARN: Final = "alarmTopicArn"
DASHBOARD_NAME: Final = "dashboardName"
MONITORING_KEYS: Final = (ALARM_TOPIC_ARN, DASHBOARD_NAME)
