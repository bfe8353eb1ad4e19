"""AWS's create-time limits that the program itself plans around.

Pulumi's mocks and `pulumi preview` accept any value; AWS refuses these only when it creates the
resource, often after the EKS cluster's fifteen minutes. Each fact cites the AWS page it comes
from. `xacct_ops/aws_rules.py` checks every registered resource against the same facts.
"""

from __future__ import annotations

import re
from typing import Final

AUTONAME_SUFFIX_LENGTH: Final = len("-1a2b3c4")
"""What Pulumi appends to a logical name to make the physical one: "-" and 7 random hex
characters (https://pulumi.com/docs/iac/concepts/resources/names: `my-role` → `my-role-d7c2fa0`)."""

ELB_NAME_MAX: Final = 32
"""Load balancer and target group names: "can have a maximum of 32 characters, must contain only
alphanumeric characters or hyphens, must not begin or end with a hyphen, and must not begin with
"internal-"" (ELBv2 CreateLoadBalancer / CreateTargetGroup `Name`,
https://docs.aws.amazon.com/goto/cli2/elasticloadbalancingv2-2015-12-01/CreateTargetGroup)."""

LONGEST_ELB_SUFFIX: Final = "-lb-nlb"
"""The longest logical name after the prefix among autonamed load balancers and target groups
(`<name>-lb-nlb`, the NLB inside the `<name>-lb` component)."""

NAME_PREFIX_MAX: Final = ELB_NAME_MAX - AUTONAME_SUFFIX_LENGTH - len(LONGEST_ELB_SUFFIX)
"""The longest `xacct:name` whose every ELB name fits: 32 - 8 - 7 = 17."""

EKS_UNSUPPORTED_AZ_IDS: Final = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})
"""AZ IDs where EKS refuses cluster subnets ("The subnets can't reside in the following
Availability Zones", https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html)."""

SUBNET_RESERVED_ADDRESSES: Final = 5
""""Amazon Web Services reserves both the first four and the last IPv4 address in each subnet's
CIDR block" (EC2 CreateSubnet, https://docs.amazonaws.cn/goto/SdkForKotlin/ec2-2016-11-15/CreateSubnet)."""

EKS_SUBNET_FREE_ADDRESSES: Final = 6
""""The subnets must each have at least six IP addresses for use by Amazon EKS. However, we
recommend at least 16" (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html)."""

NLB_SUBNET_FREE_ADDRESSES: Final = 8
""""the subnets that you specify must have at least 8 available IP addresses" (internet-facing,
or internal with AWS choosing the address, which is the case here;
https://docs.amazonaws.cn/en_us/elasticloadbalancing/latest/network/availability-zones.html)."""

LOG_RETENTION_DAYS: Final = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
"""The values CloudWatch Logs accepts for `retentionInDays` ("Possible values are: 1, 3, 5, ...",
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html)."""

EC2_DESCRIPTION: Final = re.compile(r"^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}$")
"""A security group's description: "Up to 255 characters in length / Valid characters: a-z, A-Z,
0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" (https://docs.aws.amazon.com/goto/WebAPI/ec2/CreateSecurityGroup)."""

EC2_RULE_DESCRIPTION: Final = re.compile(r"^[A-Za-z0-9 ._\-:/()#,@\[\]+=;{}!$*]{0,255}$")
"""A rule's description where it references a security group or prefix list: the same set
without `&` (UserIdGroupPair.Description,
https://docs.aws.amazon.com/goto/WebAPI/ec2-2016-11-15/UserIdGroupPair). Rules to a CIDR
(IpRange) allow `&`; the stricter set is used for every rule, so one description fits any rule."""

VPC_LINK_V2_UNSUPPORTED_AZ_IDS: Final = frozenset({"use1-az3", "usw1-az2", "ape1-az1"})
"""AZ IDs of regions where VPC link V2 is offered in the other AZs only (API Gateway's
"Availability by Region" table lists use1-az1/2/4/5/6, usw1-az1/3, ape1-az2/3;
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-vpc-links-v2.html)."""

CROSS_REGION_UNSUPPORTED_AZ_IDS: Final = frozenset(
    {"use1-az3", "usw1-az2", "apne1-az3", "apne2-az2", "apne2-az4"}
)
""""Cross-Region access is not supported for the following Availability Zones: use1-az3,
usw1-az2, apne1-az3, apne2-az2, and apne2-az4" (AWS PrivateLink guide, "Share your services",
cross-Region access,
https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html)."""

DASHBOARD_WIDGETS_MAX: Final = 500
""""A DashboardBody ... can include an array of between 0 and 500 widget objects"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html)."""

WIDGET_METRICS_MAX: Final = 500
""""One metrics array can include 0-500 metrics and expressions" (same page, Properties of a
Metric Widget Object; older copies said 100)."""

DASHBOARD_METRICS_MAX: Final = 2500
""""Up to 2500 metrics per dashboard, across all widgets ... These quotas cannot be changed"
(CloudWatch service quotas, Dashboards,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html)."""

API_GATEWAY_PORTS: Final = "80, 443 or 1024-65535"
""""API Gateway supports the following endpoint ports: 80, 443 and 1024-65535" for HTTP(S)
integrations (https://docs.aws.amazon.com/apigateway/latest/developerguide/setup-http-integrations.html)."""


def api_gateway_port(port: int) -> bool:
    return port in (80, 443) or 1024 <= port <= 65535
