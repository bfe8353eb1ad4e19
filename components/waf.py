"""ApiFirewall: a regional AWS WAF web ACL on the REST API's stage (xacct:apiWaf), the first
thing a request meets at API Gateway. AWS managed rule groups (the common rule set, known bad
inputs, the Amazon IP reputation list) and a rate-based rule that blocks a client IP above
xacct:apiWafRateLimit requests in 5 minutes; every rule's metrics in CloudWatch. HTTP APIs
cannot take a web ACL, so the setting is REST only (components/settings/consumer.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

COUNTED_RULES = {
    "AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY", "NoUserAgent_HEADER"),
}
"""Rules of a group that only count, not block: API request bodies over 8 KB and clients
without a User-Agent (SDKs, curl -A '') are legitimate here (AWS WAF developer guide, Baseline
rule groups: Core rule set)."""

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


@dataclass(frozen=True, kw_only=True)
class ApiFirewallArgs:
    stage_arn: pulumi.Input[str]
    rate_limit: int
    """Requests per 5 minutes per client IP."""
    tags: dict[str, str] | None = None


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgs:
    return aws.wafv2.WebAclVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class ApiFirewall(pulumi.ComponentResource):
    web_acl_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ApiFirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:consumer:ApiFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rules = [
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=priority,
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                    none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()
                ),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS",
                        name=group,
                        rule_action_overrides=[
                            aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
                                name=rule,
                                action_to_use=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                                    count=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()
                                ),
                            )
                            for rule in COUNTED_RULES.get(group, ())
                        ]
                        or None,
                    )
                ),
                visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                    cloudwatch_metrics_enabled=True,
                    metric_name=group,
                    sampled_requests_enabled=True,
                ),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        rules.append(
            aws.wafv2.WebAclRuleArgs(
                name="rate-per-ip",
                priority=len(rules) + 1,
                action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                        limit=args.rate_limit, aggregate_key_type="IP"
                    )
                ),
                visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                    cloudwatch_metrics_enabled=True,
                    metric_name="rate-per-ip",
                    sampled_requests_enabled=True,
                ),
            )
        )
        acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            scope="REGIONAL",
            description="The API stage: AWS managed rule groups and a rate limit per client IP",
            default_action=aws.wafv2.WebAclDefaultActionArgs(
                allow=aws.wafv2.WebAclDefaultActionAllowArgs()
            ),
            rules=rules,
            visibility_config=_visibility(f"{name}-acl"),
            tags=args.tags or {},
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-stage",
            resource_arn=args.stage_arn,
            web_acl_arn=acl.arn,
            opts=child,
        )
        self.web_acl_arn = acl.arn
        self.register_outputs({"web_acl_arn": self.web_acl_arn})
