"""The xacct policy pack: `pulumi preview --policy-pack policy`. Rules live in rules/, by area."""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import build_policies

PolicyPack(
    name="xacct-privatelink",
    enforcement_level=EnforcementLevel.ADVISORY,  # each rule sets its own level
    policies=build_policies(),
)
