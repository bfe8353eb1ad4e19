"""Each rule of the pack against a table of props that pass and props that fail, with the exact
message (AWSGuard's assertHasResourceViolation, Checkov's pass/fail fixtures); stack rules on
resource lists with property dependencies; values unknown at preview."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from policy import rules
from policy.rules import RULES, build_policies
from tests.conftest import ROOT

POLICIES = {p.name: p for p in build_policies()}
WORLD = (
    "these CIDRs together cover 4,294,967,296 addresses (more than a /8: the internet, whole or "
    "in pieces)"
)
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def validate(
    policy: str,
    token: str,
    props: dict[str, Any],
    config: dict[str, Any] | None = None,
    name: str = "r",
) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(
        token, unknown_checking_proxy(props), f"urn:{name}", name, OPTS, None, config or {}
    )
    POLICIES[policy].validate(args, lambda message, urn=None: found.append(message))
    return found


NLB_OK = {
    "internal": True,
    "loadBalancerType": "network",
    "subnets": ["a", "b"],
    "securityGroups": ["sg-1"],
    "enableCrossZoneLoadBalancing": True,
    "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic": "off",
    "enableDeletionProtection": True,
    "accessLogs": {"enabled": True, "bucket": "b"},
}
LB = rules.LB[0]
ALB = rules.LB[1]
LISTENER = rules.LISTENER[0]
EKS_OK = {
    "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]},
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:key"}},
    "enabledClusterLogTypes": list(rules.CONTROL_PLANE_LOG_TYPES),
    "version": "1.33",
}
ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
S3_ALL = json.dumps({"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:b"}]})
SCOPED = json.dumps(
    {
        "Statement": [
            {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "arn:aws:logs:*"}
        ]
    }
)
TRUST_ANY = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
)
TRUST_EC2 = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
)

# (policy, token, props, config, expected messages); [] means the props pass.
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], list[str]]] = [
    (
        "endpoint-service-acceptance-required",
        rules.ENDPOINT_SERVICE,
        {"acceptanceRequired": True},
        {},
        [],
    ),
    (
        "endpoint-service-acceptance-required",
        rules.ENDPOINT_SERVICE,
        {"acceptanceRequired": False},
        {},
        [
            "aws:ec2/vpcEndpointService:VpcEndpointService 'r': acceptanceRequired is False; set "
            "acceptance_required=True so every endpoint connection is accepted"
        ],
    ),
    (
        "endpoint-service-principals-specific",
        rules.ENDPOINT_SERVICE,
        {
            "allowedPrincipals": [
                "arn:aws:iam::111111111111:root",
                "arn:aws:iam::222222222222:role/gw",
            ]
        },
        {},
        [],
    ),
    (
        "endpoint-service-principals-specific",
        rules.ENDPOINT_SERVICE,
        {"allowedPrincipals": ["*"]},
        {},
        [
            "aws:ec2/vpcEndpointService:VpcEndpointService 'r': allowedPrincipals[0] is '*' (this program sets it from xacct:consumerAccountIds, xacct:consumerRoleArns); name the "
            "consumer accounts (arn:aws:iam::<account>:root) or roles: `*` lets any AWS account "
            "connect"
        ],
    ),
    (
        "endpoint-service-principals-specific",
        rules.ALLOWED_PRINCIPLE,
        {"principalArn": "arn:aws:iam::333333333333:root"},
        {"allowedAccounts": ["111111111111"]},
        [
            "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple 'r': "
            "principalArn is 'arn:aws:iam::333333333333:root'; account 333333333333 is not in the "
            "pack's allowedAccounts (111111111111)"
        ],
    ),
    (
        "endpoint-service-principals-specific",
        rules.ALLOWED_PRINCIPLE,
        {"principalArn": "arn:aws:iam::111111111111:user/bob"},
        {},
        [
            "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple 'r': "
            "principalArn is 'arn:aws:iam::111111111111:user/bob'; use arn:aws:iam::<12-digit "
            "account>:root or a role ARN in that account"
        ],
    ),
    ("lb-internal", LB, NLB_OK, {}, []),
    (
        "lb-internal",
        ALB,
        {**NLB_OK, "internal": False},
        {},
        [
            "aws:alb/loadBalancer:LoadBalancer 'r': internal is False; set internal=True: the path "
            "never touches the internet"
        ],
    ),
    ("lb-deletion-protection", LB, NLB_OK, {}, []),
    (
        "lb-deletion-protection",
        LB,
        {**NLB_OK, "enableDeletionProtection": False},
        {},
        [
            "aws:lb/loadBalancer:LoadBalancer 'r': enableDeletionProtection is False; set "
            "enable_deletion_protection=True for long-lived load balancers"
        ],
    ),
    ("lb-access-logs", LB, NLB_OK, {}, []),
    (
        "lb-access-logs",
        LB,
        {**NLB_OK, "accessLogs": None},
        {},
        [
            "aws:lb/loadBalancer:LoadBalancer 'r': accessLogs.enabled is not set; set access_logs "
            "with an S3 bucket and enabled=True"
        ],
    ),
    ("lb-multi-az", LB, NLB_OK, {}, []),
    (
        "lb-multi-az",
        LB,
        {**NLB_OK, "subnets": ["a"], "enableCrossZoneLoadBalancing": False},
        {},
        [
            "aws:lb/loadBalancer:LoadBalancer 'r': subnets is ['a']; use subnets in at least two "
            "availability zones",
            "aws:lb/loadBalancer:LoadBalancer 'r': enableCrossZoneLoadBalancing is False; turn "
            "cross-zone on, or keep healthy targets in every enabled AZ",
        ],
    ),
    ("nlb-security-groups", LB, NLB_OK, {}, []),
    (
        "nlb-security-groups",
        LB,
        {
            **NLB_OK,
            "securityGroups": [],
            "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic": None,
        },
        {},
        [
            "aws:lb/loadBalancer:LoadBalancer 'r': securityGroups is []; attach a security group "
            "now: an NLB cannot get one later",
            "aws:lb/loadBalancer:LoadBalancer 'r': enforceSecurityGroupInboundRulesOnPrivateLinkTraffic"
            " is not set; choose on or off deliberately and document why",
        ],
    ),
    (
        "listener-tls-policy",
        LISTENER,
        {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {},
        [],
    ),
    ("listener-tls-policy", LISTENER, {"protocol": "TCP"}, {}, []),
    (
        "listener-tls-policy",
        rules.LISTENER[1],
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
        {},
        [
            "aws:alb/listener:Listener 'r': sslPolicy is 'ELBSecurityPolicy-2016-08'; it still "
            "negotiates TLS 1.0: use ELBSecurityPolicy-TLS13-1-2-2021-06 or another policy from "
            "TLS 1.2"
        ],
    ),
    (
        # TLS13 in the name, TLS 1.0 in fact.
        "listener-tls-policy",
        LISTENER,
        {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-0-2021-06"},
        {},
        [
            "aws:lb/listener:Listener 'r': sslPolicy is 'ELBSecurityPolicy-TLS13-1-0-2021-06' (this program sets it from xacct:tlsPolicy); it "
            "still negotiates TLS 1.0: use ELBSecurityPolicy-TLS13-1-2-2021-06 or another policy "
            "from TLS 1.2"
        ],
    ),
    (
        "listener-tls-policy",
        LISTENER,
        {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04"},
        {},
        [],
    ),
    (
        "listener-tls-policy",
        LISTENER,
        {"protocol": "TLS", "sslPolicy": "MyPolicy"},
        {},
        [
            "aws:lb/listener:Listener 'r': sslPolicy is 'MyPolicy' (this program sets it from xacct:tlsPolicy); name a security policy whose "
            "lowest TLS version is known to be 1.2 or 1.3, such as "
            "ELBSecurityPolicy-TLS13-1-2-2021-06"
        ],
    ),
    ("listener-secure-protocol", LISTENER, {"protocol": "TLS"}, {}, []),
    ("listener-secure-protocol", LISTENER, {"protocol": "TCP"}, {"allowTcpPassthrough": True}, []),
    (
        "listener-secure-protocol",
        LISTENER,
        {"protocol": "TCP"},
        {},
        [
            "aws:lb/listener:Listener 'r': protocol is 'TCP' (this program sets it from xacct:tlsMode); use TLS (or set allowTcpPassthrough in "
            "the pack's config where the backend terminates TLS itself)"
        ],
    ),
    (
        "interface-endpoint-shape",
        rules.VPC_ENDPOINT,
        {
            "vpcEndpointType": "Interface",
            "securityGroupIds": ["sg-1"],
            "subnetIds": ["a", "b"],
            "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-1",
        },
        {},
        [],
    ),
    (
        "interface-endpoint-shape",
        rules.VPC_ENDPOINT,
        {"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.us-east-1.s3"},
        {},
        [],
    ),
    (
        "interface-endpoint-shape",
        rules.VPC_ENDPOINT,
        {
            "vpcEndpointType": "Interface",
            "securityGroupIds": [],
            "subnetIds": ["a"],
            "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-1",
        },
        {},
        [
            "aws:ec2/vpcEndpoint:VpcEndpoint 'r': securityGroupIds is []; attach a security group "
            "that admits only the listener port",
            "aws:ec2/vpcEndpoint:VpcEndpoint 'r': subnetIds is ['a']; place the endpoint in subnets "
            "of 2+ AZs",
        ],
    ),
    (
        "interface-endpoint-shape",
        rules.VPC_ENDPOINT,
        {"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-1"},
        {},
        [
            "aws:ec2/vpcEndpoint:VpcEndpoint 'r': vpcEndpointType is 'Gateway'; connect to an "
            "endpoint service with an Interface endpoint"
        ],
    ),
    (
        "sg-no-world-ingress",
        rules.SG_INGRESS,
        {"cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        {},
        [],
    ),
    (
        "sg-no-world-ingress",
        rules.SG_INGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        {},
        [
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule 'r': cidrs is "
            f"['0.0.0.0/0']; {WORLD}: admit a security group or a narrow CIDR, never the internet"
        ],
    ),
    (
        "sg-no-world-ingress",
        rules.SG,
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 22,
                    "toPort": 22,
                    "cidrBlocks": [],
                    "ipv6CidrBlocks": ["::/0"],
                }
            ]
        },
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': ingress[0].cidrs is ['::/0']; "
            f"{WORLD}: admit a security group or a narrow CIDR, never the internet"
        ],
    ),
    (
        "sg-no-world-ingress",
        rules.SG_RULE,
        {"type": "egress", "cidrBlocks": ["0.0.0.0/0"], "protocol": "-1"},
        {},
        [],
    ),
    (
        "sg-no-all-ports",
        rules.SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443},
        {},
        [],
    ),
    (
        "sg-no-all-ports",
        rules.SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 0, "toPort": 65535},
        {},
        [
            "aws:ec2/securityGroupRule:SecurityGroupRule 'r': fromPort-toPort is '0-65535'; admit "
            "only the port the service listens on"
        ],
    ),
    (
        "sg-no-all-ports",
        rules.SG_INGRESS,
        {"ipProtocol": "-1"},
        {},
        [
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule 'r': protocol is '-1'; admit "
            "tcp on the listener port"
        ],
    ),
    ("sg-rule-description", rules.SG_EGRESS, {"description": "to the nodes"}, {}, []),
    (
        "sg-rule-description",
        rules.SG_INGRESS,
        {"ipProtocol": "tcp"},
        {},
        [
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule 'r': description is not set; "
            "describe what the rule admits and why"
        ],
    ),
    (
        "sg-rule-description",
        rules.SG,
        {"egress": [{"protocol": "-1"}]},
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': egress[0].description is not set; describe "
            "the rule"
        ],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION,
        {
            "type": "HTTP_PROXY",
            "connectionType": "VPC_LINK",
            "connectionId": "abc",
            "uri": "https://api.example.com/",
            "tlsConfig": {"insecureSkipVerification": False},
        },
        {},
        [],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION,
        {"type": "AWS_PROXY", "uri": "arn:lambda"},
        {},
        [],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION,
        {
            "type": "HTTP_PROXY",
            "connectionType": "INTERNET",
            "uri": "http://api.example.com/",
            "tlsConfig": {"insecureSkipVerification": True},
        },
        {},
        [
            "aws:apigateway/integration:Integration 'r': connectionType is 'INTERNET'; use "
            "connection_type VPC_LINK: the backend is private",
            "aws:apigateway/integration:Integration 'r': connectionId is not set; set the VPC link's "
            "id",
            "aws:apigateway/integration:Integration 'r': uri is 'http://api.example.com/'; call the "
            "backend with https://<TLS server name>/ so TLS runs end to end",
            "aws:apigateway/integration:Integration 'r': tlsConfig.insecureSkipVerification is True; "
            "verify the backend's certificate (remove insecure_skip_verification)",
        ],
    ),
    (
        "apigw-private-integration",
        rules.INTEGRATION_V2,
        {
            "integrationType": "HTTP_PROXY",
            "connectionType": "VPC_LINK",
            "connectionId": "l",
            "integrationUri": "arn:aws:elasticloadbalancing:listener",
        },
        {},
        [],
    ),
    (
        "apigw-access-logging",
        rules.STAGE,
        {"accessLogSettings": {"destinationArn": "arn:lg"}},
        {},
        [],
    ),
    (
        "apigw-access-logging",
        rules.STAGE_V2,
        {},
        {},
        [
            "aws:apigatewayv2/stage:Stage 'r': accessLogSettings.destinationArn is not set; send "
            "access logs to a log group"
        ],
    ),
    (
        "apigw-execution-logging",
        rules.METHOD_SETTINGS,
        {"settings": {"loggingLevel": "ERROR", "dataTraceEnabled": False}},
        {},
        [],
    ),
    (
        "apigw-execution-logging",
        rules.METHOD_SETTINGS,
        {"settings": {"loggingLevel": "OFF", "dataTraceEnabled": True}},
        {},
        [
            "aws:apigateway/methodSettings:MethodSettings 'r': settings.loggingLevel is 'OFF'; set "
            "ERROR or INFO",
            "aws:apigateway/methodSettings:MethodSettings 'r': settings.dataTraceEnabled is True; "
            "turn data tracing off: it logs request and response bodies",
        ],
    ),
    ("apigw-xray", rules.STAGE, {"xrayTracingEnabled": True}, {}, []),
    (
        "apigw-xray",
        rules.STAGE,
        {"xrayTracingEnabled": False},
        {},
        [
            "aws:apigateway/stage:Stage 'r': xrayTracingEnabled is False; set "
            "xray_tracing_enabled=True"
        ],
    ),
    (
        "apigw-cache-encrypted",
        rules.METHOD_SETTINGS,
        {"settings": {"cachingEnabled": True, "cacheDataEncrypted": True}},
        {},
        [],
    ),
    (
        "apigw-cache-encrypted",
        rules.METHOD_SETTINGS,
        {"settings": {"cachingEnabled": True}},
        {},
        [
            "aws:apigateway/methodSettings:MethodSettings 'r': settings.cacheDataEncrypted is not "
            "set; encrypt cached responses (cache_data_encrypted=True)"
        ],
    ),
    ("apigw-authorization", rules.METHOD, {"authorization": "AWS_IAM"}, {}, []),
    (
        "apigw-authorization",
        rules.METHOD,
        {"authorization": "NONE", "apiKeyRequired": True},
        {},
        [],
    ),
    (
        "apigw-authorization",
        rules.ROUTE_V2,
        {"authorizationType": "NONE"},
        {},
        [
            "aws:apigatewayv2/route:Route 'r': authorizationType is 'NONE'; use AWS_IAM "
            "(xacct:apiAuthorization iam) or require an API key; NONE only with this rule's "
            "enforcement lowered on purpose"
        ],
    ),
    ("eks-endpoint-restricted", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-endpoint-restricted",
        rules.EKS_CLUSTER,
        {**EKS_OK, "vpcConfig": {"endpointPublicAccess": False}},
        {},
        [],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_CLUSTER,
        {**EKS_OK, "vpcConfig": {"endpointPublicAccess": True}},
        {},
        [
            "aws:eks/cluster:Cluster 'r': publicAccessCidrs is not set (this program sets it from xacct:clusterPublicAccessCidrs); list the CIDRs that may "
            "reach the public endpoint (EKS opens it to 0.0.0.0/0 otherwise), or turn it off"
        ],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_COMPONENT,
        {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
        {},
        [
            "eks:index:Cluster 'r': publicAccessCidrs is ['0.0.0.0/0'] (this program sets it from xacct:clusterPublicAccessCidrs); "
            f"{WORLD}: name your runners' CIDRs"
        ],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_COMPONENT,
        {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
        {},
        [
            "eks:index:Cluster 'r': publicAccessCidrs is ['0.0.0.0/1', '128.0.0.0/1'] (this program sets it from xacct:clusterPublicAccessCidrs); "
            f"{WORLD}: name your runners' CIDRs"
        ],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_CLUSTER,
        {**EKS_OK, "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["::/0"]}},
        {},
        [
            "aws:eks/cluster:Cluster 'r': publicAccessCidrs is ['::/0'] (this program sets it from xacct:clusterPublicAccessCidrs); "
            f"{WORLD}: name your runners' CIDRs"
        ],
    ),
    (
        "eks-endpoint-restricted",
        rules.EKS_COMPONENT,
        {"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24", "2.0.0.0/9"]},
        {},
        [],
    ),
    ("eks-endpoint-restricted", rules.EKS_COMPONENT, {}, {}, []),  # the engine's empty props
    (
        "sg-no-world-ingress",
        rules.SG,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/2"]},
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["64.0.0.0/2"]},
            ]
        },
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': ingress[0].cidrs is ['0.0.0.0/2']; "
            f"{WORLD.replace('4,294,967,296', '1,073,741,824')}: admit a security group or a "
            "narrow CIDR, never the internet",
            "aws:ec2/securityGroup:SecurityGroup 'r': ingress[1].cidrs is ['64.0.0.0/2']; "
            f"{WORLD.replace('4,294,967,296', '1,073,741,824')}: admit a security group or a "
            "narrow CIDR, never the internet",
        ],
    ),
    (
        # Each rule is narrow; together they are the internet.
        "sg-no-world-ingress",
        rules.SG,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["8.0.0.0/9"]},
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["8.128.0.0/9"]},
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["9.0.0.0/9"]},
            ]
        },
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': rules is ['8.0.0.0/9', '8.128.0.0/9', "
            f"'9.0.0.0/9']; {WORLD.replace('4,294,967,296', '25,165,824')}: admit a security "
            "group or a narrow CIDR, never the internet"
        ],
    ),
    (
        # Far from the internet as a whole, and still 16 million strangers.
        "sg-no-world-ingress",
        rules.SG_RULE,
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["3.0.0.0/8"],
        },
        {},
        [
            "aws:ec2/securityGroupRule:SecurityGroupRule 'r': cidrs is ['3.0.0.0/8']; these "
            "CIDRs are 16,777,216 internet addresses, and nothing on this path is reached from "
            "the internet: admit a security group or a CIDR of the VPC"
        ],
    ),
    (
        # A few named public hosts (a /24 at most), and any private range.
        "sg-no-world-ingress",
        rules.SG,
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": ["52.94.76.0/24", "10.0.0.0/9", "100.64.0.0/16"],
                },
            ]
        },
        {},
        [],
    ),
    (
        "sg-no-world-egress",
        rules.SG_EGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"},
        {},
        [
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule 'r': cidrs is ['0.0.0.0/0']; "
            f"{WORLD}: send to a security group or a narrow CIDR, never the internet"
        ],
    ),
    (
        "sg-no-world-egress",
        rules.SG,
        {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
        {},
        [
            "aws:ec2/securityGroup:SecurityGroup 'r': egress[0].cidrs is ['0.0.0.0/0']; "
            f"{WORLD}: send to a security group or a narrow CIDR, never the internet"
        ],
    ),
    (
        "sg-no-world-egress",
        rules.SG_EGRESS,
        {"referencedSecurityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        {},
        [],
    ),
    (
        "kms-key-policy-principals",
        rules.KMS_KEY,
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ]
                }
            )
        },
        {},
        [
            "aws:kms/key:Key 'r': policy.Statement[0].Principal is {'AWS': '*'}; name the "
            "principals, or bind `*` to this account or source with a condition "
            "(aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, ...)"
        ],
    ),
    (
        # A wildcard principal narrowed by a condition (e.g. the caller's account) is allowed.
        "kms-key-policy-principals",
        rules.KMS_KEY,
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "kms:Decrypt",
                            "Resource": "*",
                            "Condition": {"StringEquals": {"kms:CallerAccount": "111111111111"}},
                        }
                    ]
                }
            )
        },
        {},
        [],
    ),
    ("eks-secrets-encryption", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-secrets-encryption",
        rules.EKS_CLUSTER,
        {**EKS_OK, "encryptionConfig": None},
        {},
        [
            "aws:eks/cluster:Cluster 'r': encryptionConfig is not set; encrypt the `secrets` "
            "resource with a KMS key"
        ],
    ),
    ("eks-audit-logging", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-audit-logging",
        rules.EKS_COMPONENT,
        {"endpointPublicAccess": False, "enabledClusterLogTypes": ["api"]},
        {},
        ["eks:index:Cluster 'r': enabledClusterLogTypes is ['api']; add `audit`"],
    ),
    ("eks-all-control-plane-logs", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-all-control-plane-logs",
        rules.EKS_CLUSTER,
        {**EKS_OK, "enabledClusterLogTypes": ["api", "audit"]},
        {},
        [
            "aws:eks/cluster:Cluster 'r': enabledClusterLogTypes is ['api', 'audit']; add "
            "authenticator, controllerManager, scheduler"
        ],
    ),
    ("eks-supported-version", rules.EKS_CLUSTER, EKS_OK, {}, []),
    (
        "eks-supported-version",
        rules.EKS_CLUSTER,
        EKS_OK,
        {"supportedVersions": ["1.34"]},
        [
            "aws:eks/cluster:Cluster 'r': version is '1.33' (this program sets it from xacct:kubernetesVersion); use one of 1.34"
        ],
    ),
    ("log-group-retention", rules.LOG_GROUP, {"retentionInDays": 90}, {}, []),
    (
        "log-group-retention",
        rules.LOG_GROUP,
        {},
        {},
        [
            "aws:cloudwatch/logGroup:LogGroup 'r': retentionInDays is not set (this program sets it from xacct:logRetentionDays); set a retention of "
            "at least 30 days"
        ],
    ),
    (
        "log-group-retention",
        rules.LOG_GROUP,
        {"retentionInDays": 90},
        {"minimumRetentionDays": 365},
        [
            "aws:cloudwatch/logGroup:LogGroup 'r': retentionInDays is 90 (this program sets it from xacct:logRetentionDays); keep logs at least 365 "
            "days"
        ],
    ),
    ("log-group-kms", rules.LOG_GROUP, {"kmsKeyId": "arn:key"}, {}, []),
    (
        "log-group-kms",
        rules.LOG_GROUP,
        {},
        {},
        [
            "aws:cloudwatch/logGroup:LogGroup 'r': kmsKeyId is not set; encrypt the log group with a "
            "KMS key"
        ],
    ),
    (
        "cloudtrail-baseline",
        rules.TRAIL,
        {
            "isMultiRegionTrail": True,
            "enableLogFileValidation": True,
            "kmsKeyId": "k",
            "cloudWatchLogsGroupArn": "arn:lg:*",
        },
        {},
        [],
    ),
    (
        "cloudtrail-baseline",
        rules.TRAIL,
        {"isMultiRegionTrail": False},
        {},
        [
            "aws:cloudtrail/trail:Trail 'r': isMultiRegionTrail is False; set "
            "is_multi_region_trail=True",
            "aws:cloudtrail/trail:Trail 'r': enableLogFileValidation is not set; set "
            "enable_log_file_validation=True",
            "aws:cloudtrail/trail:Trail 'r': kmsKeyId is not set; encrypt log files with a KMS key",
            "aws:cloudtrail/trail:Trail 'r': cloudWatchLogsGroupArn is not set; deliver to a "
            "CloudWatch log group too",
        ],
    ),
    ("iam-no-wildcard-admin", rules.IAM_ROLE_POLICY, {"policy": SCOPED}, {}, []),
    (
        "iam-no-wildcard-admin",
        rules.IAM_POLICY,
        {"policy": ADMIN},
        {},
        [
            "aws:iam/policy:Policy 'r': policy is 'Allow * on *'; name the actions and resources "
            "the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_ROLE_POLICY,
        {"policy": S3_ALL},
        {},
        [
            "aws:iam/rolePolicy:RolePolicy 'r': policy is 'Allow s3:*'; name the actions and "
            "resources the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_ATTACHMENT,
        {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {},
        [
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment 'r': policyArn is "
            "'arn:aws:iam::aws:policy/AdministratorAccess'; grant the actions the principal needs"
        ],
    ),
    (
        # The same administrator access through another kind of attachment.
        "iam-no-wildcard-admin",
        "aws:iam/policyAttachment:PolicyAttachment",
        {"roles": ["app"], "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {},
        [
            "aws:iam/policyAttachment:PolicyAttachment 'r': policyArn is "
            "'arn:aws:iam::aws:policy/AdministratorAccess'; grant the actions the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        {"user": "ci", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"},
        {},
        [
            "aws:iam/userPolicyAttachment:UserPolicyAttachment 'r': policyArn is "
            "'arn:aws:iam::aws:policy/IAMFullAccess'; grant the actions the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        {"roleName": "app", "policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
        {},
        [
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive 'r': "
            "policyArns is 'arn:aws:iam::aws:policy/AdministratorAccess'; grant the actions the "
            "principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/groupPolicy:GroupPolicy",
        {
            "group": "ops",
            "policy": json.dumps(
                {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
            ),
        },
        {},
        [
            "aws:iam/groupPolicy:GroupPolicy 'r': policy is \"Allow everything but 'iam:*'\"; "
            "name the actions and resources the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/policyAttachment:PolicyAttachment",
        {"roles": ["app"], "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        {},
        [],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_ROLE,
        {"assumeRolePolicy": TRUST_EC2, "inlinePolicies": [{"name": "x", "policy": ADMIN}]},
        {},
        [
            "aws:iam/role:Role 'r': inlinePolicies[0].policy is 'Allow * on *'; name the actions and "
            "resources the principal needs"
        ],
    ),
    ("iam-trust-specific", rules.IAM_ROLE, {"assumeRolePolicy": TRUST_EC2}, {}, []),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {"assumeRolePolicy": TRUST_ANY},
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Principal is {'AWS': '*'}; name the service, "
            "account or role that may assume it"
        ],
    ),
    ("kms-key-rotation", rules.KMS_KEY, {"enableKeyRotation": True}, {}, []),
    ("kms-key-rotation", rules.KMS_KEY, {"customerMasterKeySpec": "RSA_2048"}, {}, []),
    (
        "kms-key-rotation",
        rules.KMS_KEY,
        {},
        {},
        ["aws:kms/key:Key 'r': enableKeyRotation is not set; set enable_key_rotation=True"],
    ),
    ("sns-topic-encrypted", rules.SNS_TOPIC, {"kmsMasterKeyId": "alias/x"}, {}, []),
    (
        "sns-topic-encrypted",
        rules.SNS_TOPIC,
        {},
        {},
        ["aws:sns/topic:Topic 'r': kmsMasterKeyId is not set; encrypt the topic with a KMS key"],
    ),
]


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ME, OTHER = "111111111111", "222222222222"
TRUSTED = {"trustedAccounts": [ME]}

CASES += [  # the rules of the second round: each with passing and failing props
    ("subnet-no-public-ip", rules.SUBNET, {"mapPublicIpOnLaunch": False}, {}, []),
    (
        "subnet-no-public-ip",
        rules.SUBNET,
        {"mapPublicIpOnLaunch": True},
        {},
        [
            "aws:ec2/subnet:Subnet 'r': mapPublicIpOnLaunch is True; set map_public_ip_on_launch=False"
        ],
    ),
    ("apigw-domain-tls", rules.DOMAIN_NAME, {"securityPolicy": "TLS_1_2"}, {}, []),
    (
        "apigw-domain-tls",
        rules.DOMAIN_NAME,
        {"securityPolicy": "TLS_1_0"},
        {},
        [
            "aws:apigateway/domainName:DomainName 'r': securityPolicy is 'TLS_1_0'; use TLS_1_2 (or a TLS 1.3 policy)"
        ],
    ),
    (
        "apigw-domain-tls",
        rules.DOMAIN_NAME,
        {},
        {},
        [
            "aws:apigateway/domainName:DomainName 'r': securityPolicy is not set; use TLS_1_2 (or a TLS 1.3 policy)"
        ],
    ),
    (
        "apigw-domain-tls",
        "aws:apigatewayv2/domainName:DomainName",
        {"domainNameConfiguration": {"securityPolicy": "TLS_1_2"}},
        {},
        [],
    ),
    (
        "apigw-domain-tls",
        "aws:apigatewayv2/domainName:DomainName",
        {"domainNameConfiguration": {"securityPolicy": "TLS_1_0"}},
        {},
        [
            "aws:apigatewayv2/domainName:DomainName 'r': securityPolicy is 'TLS_1_0'; use TLS_1_2 (or a TLS 1.3 policy)"
        ],
    ),
    (
        "eks-access-scoped",
        rules.EKS_COMPONENT,
        {
            "authenticationMode": "API",
            "accessEntries": {"ops": {"principalArn": f"arn:aws:iam::{ME}:role/ops"}},
        },
        TRUSTED,
        [],
    ),
    (
        "eks-access-scoped",
        rules.EKS_COMPONENT,
        {"authenticationMode": "API_AND_CONFIG_MAP"},
        {},
        [
            "eks:index:Cluster 'r': authenticationMode is 'API_AND_CONFIG_MAP'; use API: access entries, no aws-auth ConfigMap"
        ],
    ),
    (
        "eks-access-scoped",
        rules.EKS_CLUSTER,
        {"accessConfig": {"authenticationMode": "CONFIG_MAP"}},
        {},
        [
            "aws:eks/cluster:Cluster 'r': authenticationMode is 'CONFIG_MAP'; use API: access entries, no aws-auth ConfigMap"
        ],
    ),
    (
        "eks-access-scoped",
        rules.ACCESS_ENTRY,
        {"principalArn": f"arn:aws:iam::{ME}:root"},
        {},
        [
            "aws:eks/accessEntry:AccessEntry 'r': principalArn is 'arn:aws:iam::111111111111:root' (this program sets it from xacct:clusterAdminArns); name a role or user, not a whole account"
        ],
    ),
    (
        "eks-access-scoped",
        rules.ACCESS_ENTRY,
        {"principalArn": f"arn:aws:iam::{OTHER}:role/ops"},
        TRUSTED,
        [
            "aws:eks/accessEntry:AccessEntry 'r': principalArn is 'arn:aws:iam::222222222222:role/ops' (this program sets it from xacct:clusterAdminArns); grant cluster access to this account only"
        ],
    ),
    (
        "eks-access-scoped",
        rules.ACCESS_ENTRY,
        {"principalArn": f"arn:aws:iam::{ME}:role/ops"},
        TRUSTED,
        [],
    ),
    (
        "eks-nodes-private",
        rules.NODE_GROUP,
        {"remoteAccess": {"ec2SshKey": "k", "sourceSecurityGroupIds": ["sg-1"]}},
        {},
        [],
    ),
    (
        "eks-nodes-private",
        rules.NODE_GROUP,
        {"remoteAccess": {"ec2SshKey": "k"}},
        {},
        [
            "aws:eks/nodeGroup:NodeGroup 'r': remoteAccess is {'ec2SshKey': 'k'}; no SSH to nodes (or from named security groups only: without them EKS opens port 22 to 0.0.0.0/0)"
        ],
    ),
    (
        "eks-nodes-private",
        rules.LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "required"}},
        {},
        [],
    ),
    (
        "eks-nodes-private",
        rules.LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "optional"}},
        {},
        [
            "aws:ec2/launchTemplate:LaunchTemplate 'r': metadataOptions.httpTokens is 'optional'; require IMDSv2"
        ],
    ),
    (
        "eks-nodes-private",
        rules.EKS_COMPONENT,
        {"nodeAssociatePublicIpAddress": True},
        {},
        [
            "eks:index:Cluster 'r': nodeAssociatePublicIpAddress is True; keep nodes on private addresses"
        ],
    ),
    ("k8s-workload-private", rules.K8S_SERVICE, {"spec": {"type": "NodePort"}}, {}, []),
    (
        "k8s-workload-private",
        rules.K8S_SERVICE,
        {"spec": {"type": "LoadBalancer"}},
        {},
        [
            "kubernetes:core/v1:Service 'r': spec.type is 'LoadBalancer'; use NodePort or ClusterIP: a LoadBalancer Service makes an ELB outside PrivateLink"
        ],
    ),
    (
        "k8s-workload-private",
        "kubernetes:apps/v1:Deployment",
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "app", "securityContext": {"allowPrivilegeEscalation": False}}
                        ]
                    }
                }
            }
        },
        {},
        [],
    ),
    (
        "k8s-workload-private",
        "kubernetes:apps/v1:Deployment",
        {
            "spec": {
                "template": {
                    "spec": {
                        "hostNetwork": True,
                        "containers": [{"name": "app", "securityContext": {"privileged": True}}],
                    }
                }
            }
        },
        {},
        [
            "kubernetes:apps/v1:Deployment 'r': spec.hostNetwork is True; keep the pod off the node's namespaces",
            "kubernetes:apps/v1:Deployment 'r': containers[app].securityContext.privileged is True; run the container unprivileged",
        ],
    ),
    (
        "k8s-workload-private",
        "kubernetes:core/v1:Pod",
        {
            "spec": {
                "hostPID": True,
                "initContainers": [
                    {"name": "init", "securityContext": {"allowPrivilegeEscalation": True}}
                ],
            }
        },
        {},
        [
            "kubernetes:core/v1:Pod 'r': spec.hostPID is True; keep the pod off the node's namespaces",
            "kubernetes:core/v1:Pod 'r': containers[init].securityContext.allowPrivilegeEscalation is True; run the container unprivileged",
        ],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": f"arn:aws:iam::{ME}:role/app",
                }
            )
        },
        {},
        [],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_POLICY,
        {
            "policy": doc(
                {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:Describe*"], "Resource": "*"}
            )
        },
        {},
        [
            "aws:iam/policy:Policy 'r': policy is 'Allow iam:PassRole on every resource'; name the resources (roles, keys, buckets) it may act on"
        ],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_ROLE_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "NotResource": f"arn:aws:kms:us-east-1:{ME}:key/x",
                }
            )
        },
        {},
        [
            "aws:iam/rolePolicy:RolePolicy 'r': policy is 'Allow kms:Decrypt on every resource'; name the resources (roles, keys, buckets) it may act on"
        ],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_ROLE,
        {
            "inlinePolicies": [
                {
                    "name": "x",
                    "policy": doc(
                        {
                            "Effect": "Allow",
                            "Action": "ec2:Create*",
                            "Resource": f"arn:aws:*:*:{ME}:*",
                        }
                    ),
                }
            ]
        },
        {},
        [
            "aws:iam/role:Role 'r': inlinePolicies[0].policy is 'Allow ec2:Create* (a wildcard of writes) on every resource'; name the resources (roles, keys, buckets) it may act on"
        ],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_ROLE_POLICY,
        {"policy": doc({"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"})},
        {},
        [],
    ),
    (
        "iam-no-privilege-escalation",
        rules.IAM_ROLE_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Action": ["ec2:Describe*", "logs:PutLogEvents"],
                    "Resource": "*",
                }
            )
        },
        {},
        [],
    ),
    (
        "iam-no-users",
        "aws:iam/user:User",
        {"name": "ci"},
        {},
        ["aws:iam/user:User 'r': type is 'User'; use a role (SSO, or OIDC for a pipeline)"],
    ),
    (
        "iam-no-users",
        "aws:iam/accessKey:AccessKey",
        {"user": "ci"},
        {},
        [
            "aws:iam/accessKey:AccessKey 'r': type is 'AccessKey'; use a role (SSO, or OIDC for a pipeline)"
        ],
    ),
    ("iam-no-users", rules.IAM_ROLE, {}, {}, []),
    (
        "resource-policy-principals",
        rules.BUCKET_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {
                        "StringEquals": {
                            "aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{ME}:trail/t"
                        }
                    },
                },
            )
        },
        {},
        [],
    ),
    (
        "resource-policy-principals",
        rules.BUCKET_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                }
            )
        },
        {},
        [
            "aws:s3/bucketPolicy:BucketPolicy 'r': policy.Statement[0].Principal is '*'; name the principals, or bind `*` to this account or source with a condition (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, ...)"
        ],
    ),
    (
        "resource-policy-principals",
        rules.TOPIC_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": "arn:t",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ME}},
                }
            )
        },
        {},
        [],
    ),
    (
        "resource-policy-principals",
        rules.REST_API_POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": [f"arn:aws:iam::{ME}:role/a", f"arn:aws:iam::{OTHER}:root"]
                    },
                    "Action": "execute-api:Invoke",
                    "Resource": "*",
                }
            )
        },
        {},
        [
            "aws:apigateway/restApiPolicy:RestApiPolicy 'r': policy.Principal is ['111111111111', '222222222222']; principals of accounts this stack does not trust: grant only its own account (or list the account in trustedAccounts on purpose)"
        ],
    ),
    (
        "resource-policy-principals",
        rules.SNS_TOPIC,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                    "Action": "sns:Publish",
                    "Resource": "*",
                }
            )
        },
        TRUSTED,
        [
            "aws:sns/topic:Topic 'r': policy.Principal is ['222222222222']; principals of accounts this stack does not trust: grant only its own account (or list the account in trustedAccounts on purpose)"
        ],
    ),
    (
        "lb-internal",
        rules.CLASSIC_ELB,
        {"internal": True, "listeners": [{"lbProtocol": "https", "lbPort": 443}]},
        {},
        [],
    ),
    (
        "lb-internal",
        rules.CLASSIC_ELB,
        {"internal": True, "listeners": [{"lbProtocol": "tcp", "lbPort": 80}]},
        {},
        [
            "aws:elb/loadBalancer:LoadBalancer 'r': listeners[0].lbProtocol is 'TCP'; use HTTPS or SSL"
        ],
    ),
    (
        "sg-no-all-ports",
        rules.SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 1024, "toPort": 65535},
        {},
        [
            "aws:ec2/securityGroupRule:SecurityGroupRule 'r': fromPort-toPort is '1024-65535'; admit only the port the service listens on"
        ],
    ),
    (
        "sg-no-all-ports",
        rules.SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 30000, "toPort": 32767},
        {},
        [
            "aws:ec2/securityGroupRule:SecurityGroupRule 'r': fromPort-toPort is '30000-32767'; admit only the port the service listens on"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_POLICY,
        {"policy": doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::audit/*"})},
        {},
        [
            "aws:iam/policy:Policy 'r': policy is 'Allow * on *'; name the actions and resources the principal needs"
        ],
    ),
    (
        "iam-no-wildcard-admin",
        rules.IAM_ATTACHMENT,
        {"policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
        {},
        [
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment 'r': policyArn is 'arn:aws:iam::aws:policy/PowerUserAccess'; grant the actions the principal needs"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ME}:root"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Principal is ['111111111111']; an account's principals may assume this role: trust a service or a federated identity, or list the account in trustedAccounts on purpose"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ME}:role/deployer"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        TRUSTED,
        [],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{OTHER}:role/deployer"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        TRUSTED,
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Principal is ['222222222222']; an account's principals may assume this role: trust a service or a federated identity, or list the account in trustedAccounts on purpose"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/token.actions.githubusercontent.com"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}
                    },
                }
            )
        },
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Condition is ['repo:acme/*']; bind arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com's tokens to one subject (...:sub: system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:ref:<ref>)"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
                        }
                    },
                }
            )
        },
        {},
        [],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"
                        }
                    },
                }
            )
        },
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Condition is not set; bind arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC's tokens to one subject (...:sub: system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:ref:<ref>)"
        ],
    ),
    (
        "kms-key-policy-principals",
        rules.KMS_GRANT,
        {"granteePrincipal": f"arn:aws:iam::{OTHER}:role/x"},
        TRUSTED,
        [
            "aws:kms/grant:Grant 'r': granteePrincipal is 'arn:aws:iam::222222222222:role/x'; grant the key to this stack's account only"
        ],
    ),
    (
        "kms-key-policy-principals",
        rules.KMS_GRANT,
        {"granteePrincipal": f"arn:aws:iam::{ME}:role/x"},
        TRUSTED,
        [],
    ),
    (
        "kms-key-policy-principals",
        rules.KMS_KEY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                }
            )
        },
        {},
        [
            "aws:kms/key:Key 'r': policy.Statement[0].Principal is '*'; name the principals, or bind `*` to this account or source with a condition (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, ...)"
        ],
    ),
    (
        "cloudtrail-baseline",
        rules.TRAIL,
        {
            "isMultiRegionTrail": True,
            "enableLogFileValidation": True,
            "kmsKeyId": "k",
            "cloudWatchLogsGroupArn": "arn:lg:*",
            "enableLogging": False,
            "eventSelectors": [{"includeManagementEvents": False, "readWriteType": "WriteOnly"}],
        },
        {},
        [
            "aws:cloudtrail/trail:Trail 'r': enableLogging is False; keep the trail logging",
            "aws:cloudtrail/trail:Trail 'r': eventSelectors[0].includeManagementEvents is False; record management events",
            "aws:cloudtrail/trail:Trail 'r': eventSelectors[0].readWriteType is 'WriteOnly'; record reads and writes (All)",
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/token.actions.githubusercontent.com"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringLike": {
                            "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/release-*"
                        }
                    },
                }
            )
        },
        {},
        [],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ME}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringNotEquals": {
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:default"
                        }
                    },
                }
            )
        },
        {},
        [
            "aws:iam/role:Role 'r': assumeRolePolicy.Condition is not set; bind arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC's tokens to one subject (...:sub: system:serviceaccount:<namespace>:<name>, or repo:<org>/<repo>:ref:<ref>)"
        ],
    ),
    (
        "iam-trust-specific",
        rules.IAM_ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::{ME}:saml-provider/okta"},
                    "Action": "sts:AssumeRoleWithSAML",
                    "Condition": {
                        "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}
                    },
                }
            )
        },
        {},
        [],
    ),
]


@pytest.mark.parametrize(
    ("policy", "token", "props", "config", "expected"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_table(
    policy: str, token: str, props: dict[str, Any], config: dict[str, Any], expected: list[str]
) -> None:
    assert validate(policy, token, props, config) == expected


def test_rules_ignore_other_types() -> None:
    assert validate("lb-internal", rules.SG, {"internal": False}) == []


def test_every_resource_rule_has_a_passing_and_a_failing_case() -> None:
    for rule in RULES:
        if rule.stack:
            continue
        cases = [c for c in CASES if c[0] == rule.name]
        assert any(not c[4] for c in cases), f"{rule.name} has no passing case"
        assert any(c[4] for c in cases), f"{rule.name} has no failing case"


def test_unknown_values_are_left_to_the_sdk_to_report() -> None:
    # At preview an NLB's `internal` may be unknown: the check must raise UnknownValueError
    # (the SDK turns it into "can't run policy during preview"), not pass and not crash.
    with pytest.raises(UnknownValueError):
        validate("lb-internal", LB, {"internal": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError):
        validate(
            "endpoint-service-principals-specific",
            rules.ENDPOINT_SERVICE,
            {"allowedPrincipals": ["arn:aws:iam::111111111111:root", UNKNOWN_STRING_VALUE]},
        )


# ---- stack rules -------------------------------------------------------------------------


def resource(
    token: str,
    name: str,
    props: dict[str, Any],
    deps: dict[str, list[PolicyResource]] | None = None,
) -> PolicyResource:
    return PolicyResource(
        token,
        unknown_checking_proxy(props),
        f"urn:{name}",
        name,
        OPTS,
        None,
        None,
        [d for ds in (deps or {}).values() for d in ds],
        deps or {},
    )


def validate_stack(policy: str, resources: list[PolicyResource]) -> list[str]:
    found: list[str] = []
    POLICIES[policy].validate(
        StackValidationArgs(resources, {}), lambda message, urn=None: found.append(message)
    )
    return found


def test_endpoint_service_behind_a_public_nlb_is_caught() -> None:
    public = resource(LB, "nlb", {"internal": False, "loadBalancerType": "network"})
    internal = resource(LB, "nlb2", {"internal": True, "loadBalancerType": "network"})
    bad = resource(rules.ENDPOINT_SERVICE, "svc", {}, {"networkLoadBalancerArns": [public]})
    good = resource(rules.ENDPOINT_SERVICE, "svc2", {}, {"networkLoadBalancerArns": [internal]})
    assert validate_stack("endpoint-service-nlb-internal", [public, internal, bad, good]) == [
        "aws:ec2/vpcEndpointService:VpcEndpointService 'svc': networkLoadBalancerArns includes "
        "aws:lb/loadBalancer:LoadBalancer 'nlb' with internal=False, loadBalancerType='network'; "
        "publish only an internal network load balancer"
    ]


def test_vpc_link_to_a_public_lb_is_caught_for_v1_and_v2() -> None:
    public = resource(LB, "nlb", {"internal": False})
    v1 = resource(rules.VPC_LINK, "link", {}, {"targetArn": [public]})
    v2 = resource(rules.INTEGRATION, "proxy", {}, {"integrationTarget": [public]})
    assert validate_stack("apigw-vpclink-internal-nlb", [public, v1, v2]) == [
        "aws:apigateway/vpcLink:VpcLink 'link': targetArn is aws:lb/loadBalancer:LoadBalancer "
        "'nlb' with internal=False; target an internal load balancer",
        "aws:apigateway/integration:Integration 'proxy': integrationTarget is "
        "aws:lb/loadBalancer:LoadBalancer 'nlb' with internal=False; target an internal load "
        "balancer",
    ]
    internal = resource(LB, "nlb", {"internal": True})
    ok = resource(rules.VPC_LINK, "link", {}, {"targetArn": [internal]})
    assert validate_stack("apigw-vpclink-internal-nlb", [internal, ok]) == []


def endpoint_fixture(*rules_props: dict[str, Any]) -> list[PolicyResource]:
    vpc = resource(rules.VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
    sg = resource(rules.SG, "sg", {"ingress": [], "egress": []})
    endpoint = resource(
        rules.VPC_ENDPOINT,
        "vpce",
        {"vpcEndpointType": "Interface"},
        {"vpcId": [vpc], "securityGroupIds": [sg]},
    )
    standalone = [
        resource(rules.SG_INGRESS, f"rule{i}", props, {"securityGroupId": [sg]})
        for i, props in enumerate(rules_props)
    ]
    return [vpc, sg, endpoint, *standalone]


def test_endpoint_security_group_admitting_one_port_from_a_group_passes() -> None:
    found = validate_stack(
        "endpoint-sg-scoped",
        endpoint_fixture(
            {
                "ipProtocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "referencedSecurityGroupId": "sg-n",
            },
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.0.4.0/24"},
        ),
    )
    assert found == []


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        ({"ipProtocol": "-1"}, "admits protocol '-1'"),
        (
            {"ipProtocol": "tcp", "fromPort": 0, "toPort": 65535, "referencedSecurityGroupId": "s"},
            "admits ports 0-65535",
        ),
        (
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
            "admits 0.0.0.0/0 (wider than the VPC 10.0.0.0/16)",
        ),
        (
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "172.16.0.0/12"},
            "admits 172.16.0.0/12 (wider than the VPC 10.0.0.0/16)",
        ),
    ],
)
def test_endpoint_security_group_wider_than_one_port_from_inside_is_caught(
    props: dict[str, Any], problem: str
) -> None:
    assert validate_stack("endpoint-sg-scoped", endpoint_fixture(props)) == [
        f"aws:ec2/vpcEndpoint:VpcEndpoint 'vpce': "
        f"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule 'rule0' {problem}; admit only "
        "TCP on the listener port from the consumer NLB's or VPC link's security group"
    ]


def test_security_group_managed_inline_and_by_rules_is_caught() -> None:
    sg = resource(rules.SG, "sg", {"ingress": [{"protocol": "tcp"}], "egress": []})
    clean = resource(rules.SG, "clean", {"ingress": [], "egress": []})
    rule = resource(rules.SG_INGRESS, "extra", {}, {"securityGroupId": [sg]})
    rule2 = resource(rules.SG_EGRESS, "out", {}, {"securityGroupId": [clean]})
    assert validate_stack("sg-no-rule-conflicts", [sg, clean, rule, rule2]) == [
        "aws:ec2/securityGroup:SecurityGroup 'sg': has 1 inline rule(s) and separate rules "
        "'extra'; manage its rules one way (separate rules), or each update undoes the other"
    ]


def test_vpc_without_a_flow_log_of_all_traffic_is_caught() -> None:
    logged = resource(rules.VPC, "a", {})
    bare = resource(rules.VPC, "b", {})
    half = resource(rules.VPC, "c", {})
    log = resource(rules.FLOW_LOG, "fl", {"trafficType": "ALL"}, {"vpcId": [logged]})
    rejects = resource(rules.FLOW_LOG, "fl2", {"trafficType": "REJECT"}, {"vpcId": [half]})
    assert validate_stack("vpc-flow-logs", [logged, bare, half, log, rejects]) == [
        "aws:ec2/vpc:Vpc 'b': has no aws.ec2.FlowLog of all traffic; add one (traffic_type ALL)",
        "aws:ec2/vpc:Vpc 'c': has no aws.ec2.FlowLog of all traffic; add one (traffic_type ALL)",
    ]


def bucket_with(
    policy: dict[str, Any] | None, block: dict[str, Any] | None
) -> list[PolicyResource]:
    bucket = resource(rules.BUCKETS[0], "trail", {})
    found = [bucket]
    if policy is not None:
        found.append(
            resource(rules.BUCKET_POLICY, "p", {"policy": json.dumps(policy)}, {"bucket": [bucket]})
        )
    if block is not None:
        found.append(resource(rules.PUBLIC_ACCESS_BLOCK, "b", block, {"bucket": [bucket]}))
    return found


TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::trail", "arn:aws:s3:::trail/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
ALL_BLOCKED = dict.fromkeys(rules.PUBLIC_ACCESS_FLAGS, True)


def test_a_bucket_without_a_tls_only_policy_is_caught() -> None:
    assert validate_stack("s3-tls-only", bucket_with(TLS_ONLY, ALL_BLOCKED)) == []
    message = (
        "aws:s3/bucket:Bucket 'trail': no bucket policy denies aws:SecureTransport false; add a "
        "Deny for Principal * on the bucket and its objects when the request does not use TLS"
    )
    assert validate_stack("s3-tls-only", bucket_with(None, ALL_BLOCKED)) == [message]
    allow_only = {"Statement": [{**TLS_ONLY["Statement"][0], "Effect": "Allow"}]}
    assert validate_stack("s3-tls-only", bucket_with(allow_only, ALL_BLOCKED)) == [message]
    # A deny for the bucket alone leaves its objects readable over HTTP; one action, the rest.
    deny = TLS_ONLY["Statement"][0]
    bucket_only = {"Statement": [{**deny, "Resource": "arn:aws:s3:::trail"}]}
    assert validate_stack("s3-tls-only", bucket_with(bucket_only, ALL_BLOCKED)) == [message]
    one_action = {"Statement": [{**deny, "Action": "s3:GetObject"}]}
    assert validate_stack("s3-tls-only", bucket_with(one_action, ALL_BLOCKED)) == [message]
    everything = {"Statement": [{**deny, "Action": "*", "Resource": "*"}]}
    assert validate_stack("s3-tls-only", bucket_with(everything, ALL_BLOCKED)) == []


def test_references_the_gate_cannot_follow_are_caught() -> None:
    service = resource(
        rules.ENDPOINT_SERVICE,
        "svc",
        {"networkLoadBalancerArns": ["arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/x"]},
    )
    endpoint = resource(
        rules.VPC_ENDPOINT,
        "vpce",
        {"vpcEndpointType": "Interface", "securityGroupIds": ["sg-0legacy"]},
    )
    link = resource(rules.VPC_LINK, "link", {"targetArn": "arn:aws:elasticloadbalancing:nlb"})
    assert validate_stack("endpoint-service-nlb-internal", [service]) == [
        "aws:ec2/vpcEndpointService:VpcEndpointService 'svc': networkLoadBalancerArns is "
        "['arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/x'], not a load balancer of "
        "this stack, so the gate cannot judge it; use one the stack creates"
    ]
    assert validate_stack("endpoint-sg-scoped", [endpoint]) == [
        "aws:ec2/vpcEndpoint:VpcEndpoint 'vpce': securityGroupIds is ['sg-0legacy'], not a "
        "security group of this stack, so the gate cannot judge it; use one the stack creates"
    ]
    assert validate_stack("apigw-vpclink-internal-nlb", [link]) == [
        "aws:apigateway/vpcLink:VpcLink 'link': targetArn is 'arn:aws:elasticloadbalancing:nlb', "
        "not a load balancer of this stack, so the gate cannot judge it; use one the stack "
        "creates"
    ]


def test_a_bucket_without_a_complete_public_access_block_is_caught() -> None:
    assert validate_stack("s3-public-access-blocked", bucket_with(TLS_ONLY, ALL_BLOCKED)) == []
    message = (
        "aws:s3/bucket:Bucket 'trail': no public access block with blockPublicAcls, "
        "blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true; add one"
    )
    partial = {**ALL_BLOCKED, "restrictPublicBuckets": False}
    assert validate_stack("s3-public-access-blocked", bucket_with(TLS_ONLY, partial)) == [message]
    assert validate_stack("s3-public-access-blocked", bucket_with(TLS_ONLY, None)) == [message]


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


def test_stage_without_waf_is_caught() -> None:
    guarded, open_stage = resource(rules.STAGE, "a", {}), resource(rules.STAGE, "b", {})
    association = resource(rules.WAF_ASSOCIATION, "waf", {}, {"resourceArn": [guarded]})
    assert validate_stack("apigw-waf", [guarded, open_stage, association]) == [
        "aws:apigateway/stage:Stage 'b': has no aws.wafv2.WebAclAssociation; associate a "
        "regional web ACL with the stage"
    ]


def test_stack_rule_reports_what_it_can_then_says_what_was_unknown() -> None:
    known = resource(rules.SG, "known", {"ingress": [{"protocol": "tcp"}], "egress": []})
    unknown = resource(rules.SG, "unknown", {"ingress": UNKNOWN_STRING_VALUE, "egress": []})
    rule_a = resource(rules.SG_INGRESS, "ra", {}, {"securityGroupId": [known]})
    rule_b = resource(rules.SG_INGRESS, "rb", {}, {"securityGroupId": [unknown]})
    found: list[str] = []
    with pytest.raises(UnknownValueError):
        POLICIES["sg-no-rule-conflicts"].validate(
            StackValidationArgs([known, unknown, rule_a, rule_b], {}),
            lambda message, urn=None: found.append(message),
        )
    assert len(found) == 1 and "'known'" in found[0]


# ---- the table in shared/SECURITY-RULES.md -----------------------------------------------

SECURITY_RULES = ROOT.parent / "shared" / "SECURITY-RULES.md"


@pytest.mark.skipif(not SECURITY_RULES.exists(), reason="shared/SECURITY-RULES.md not beside repo")
def test_every_row_of_the_security_rules_table_is_a_rule_at_its_level() -> None:
    rows = re.findall(
        r"^\| ([a-z0-9-]+)(?: \(stack\))? \|.*?\| ([MA])(?: if created)? \|",
        SECURITY_RULES.read_text(),
        flags=re.M,
    )
    assert len(rows) >= 30
    ours = {r.name: r for r in RULES}
    for name, level in rows:
        assert name in ours, f"{name} is not in the pack"
        # At its level, or stricter: some baselines are mandatory here where the table warns.
        if level == "M":
            assert ours[name].level.value == "mandatory", name


def test_every_advisory_rule_says_why_it_does_not_refuse() -> None:
    advisory = {r.name for r in RULES if r.level.value == "advisory"}
    assert advisory == set(rules.ADVISORY_BECAUSE)


# ---- no way to the internet, stage settings ---------------------------------------------


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


def test_stage_without_method_settings_for_every_method_is_caught() -> None:
    throttled = {"settings": {"throttlingRateLimit": 50, "throttlingBurstLimit": 100}}
    lifted = {"settings": {"throttlingRateLimit": -1, "throttlingBurstLimit": -1}}
    stages = [resource(rules.STAGE, f"v{i}", {"stageName": f"v{i}"}) for i in range(3)]
    settings = [
        resource(
            rules.METHOD_SETTINGS,
            f"v{i}-settings",
            {"methodPath": path, **limits},
            {"stageName": [stages[i]]},
        )
        for i, (path, limits) in enumerate(
            [("*/*", throttled), ("items/GET", throttled), ("*/*", lifted)]
        )
    ]
    assert validate_stack("apigw-stage-method-settings", [*stages, *settings]) == [
        f"aws:apigateway/stage:Stage 'v{i}': no aws.apigateway.MethodSettings with method_path "
        "*/* and positive throttling limits for it; set its logging level and throttling"
        for i in (1, 2)
    ]


def test_refusals_of_values_the_program_derives_from_config_name_the_setting() -> None:
    # Each (type, property) the program sets from a stack setting names that setting, and the
    # setting exists: the user changes the stack file, not a resource property.
    from components.config import ALL_KEYS

    for (token, prop), keys in rules.SET_BY.items():
        for key in keys.split(", "):
            assert key.removeprefix("xacct:") in ALL_KEYS, (token, prop, key)
    assert validate("log-group-retention", rules.LOG_GROUP, {"retentionInDays": 7}) == [
        "aws:cloudwatch/logGroup:LogGroup 'r': retentionInDays is 7 (this program sets it from "
        "xacct:logRetentionDays); keep logs at least 30 days"
    ]
    # A property no setting decides gets no such pointer.
    assert validate("subnet-no-public-ip", rules.SUBNET, {"mapPublicIpOnLaunch": True}) == [
        "aws:ec2/subnet:Subnet 'r': mapPublicIpOnLaunch is True; set map_public_ip_on_launch=False"
    ]
