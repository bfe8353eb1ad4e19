"""What both network load balancers (the provider's and the consumer's) share."""

from __future__ import annotations

import pulumi


def listener_options(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    """A listener's options: an NLB's target group serves one load balancer only, so when the NLB
    is replaced the old listener must let go of the target group before the new listener can
    take it (create-before-delete fails with TargetGroupAssociationLimit)."""
    return pulumi.ResourceOptions(parent=parent, delete_before_replace=True)


HEALTH_CHECK_TIMEOUT = 5
"""Seconds, below both target groups' 10-second interval: left unset, AWS's default for these
target groups is 10 s, equal to the interval, which ELB refuses for ALBs and the CDK and the
Terraform provider refuse for NLBs too (xacct_ops/aws_rules.py, rule health-check)."""
