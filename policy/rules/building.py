"""The pack built from the registered rules: each `Rule` as a resource or stack validation policy,
and the README's rules table (with why each advisory rule only warns)."""

from __future__ import annotations

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .core import (
    _RESOURCE_CHECKS,
    _STACK_CHECKS,
    EKS_COMPONENT,
    RULES,
    M,
    Rule,
)


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    check = _RESOURCE_CHECKS[rule.name]

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.tokens:
            return
        if args.resource_type == EKS_COMPONENT and len(args.props) == 0:
            return  # the engine gives components no props: their aws:eks/cluster child is checked
        for finding in check(args.resource_type, args.props, args.get_config() or {}):
            report_violation(finding.message(args.resource_type, args.name), args.urn)

    return ResourceValidationPolicy(
        name=rule.name,
        description=f"{rule.description} [{rule.anchors}]",
        validate=validate,
        enforcement_level=rule.level,
        config_schema=PolicyConfigSchema(properties=rule.config) if rule.config else None,
    )


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    check = _STACK_CHECKS[rule.name]

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        unknown: UnknownValueError | None = None
        found = check(list(args.resources), args.get_config() or {})
        while True:
            try:
                resource, message = next(found)  # type: ignore[call-overload]
            except StopIteration:
                break
            except UnknownValueError as error:
                unknown = unknown or error  # a value not known at preview: say so below
                break
            report_violation(message, resource.urn)
        if unknown is not None:
            raise unknown

    return StackValidationPolicy(
        name=rule.name,
        description=f"{rule.description} [{rule.anchors}]",
        validate=validate,
        enforcement_level=rule.level,
    )


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [_stack_policy(r) if r.stack else _resource_policy(r) for r in RULES]


ADVISORY_BECAUSE = {
    "lb-deletion-protection": "the provider's NLB is protected with its endpoint service; the "
    "consumer's has nothing outside its stack depending on it (README: choices a scanner flags)",
    "lb-access-logs": "NLBs log TLS listeners only (the consumer's is TCP), into a bucket whose "
    "policy lets log delivery write: an option a baseline may add (ELB.5 is about ALBs)",
    "lb-multi-az": "both NLBs span two AZs or more with cross-zone on; a single-AZ test stack "
    "is a deliberate choice",
    "nlb-security-groups": "how to treat PrivateLink traffic is a design choice (README: NLB "
    "security groups); the rule asks that it be made explicitly",
    "sg-rule-description": "a missing description weakens review, not access",
    "apigw-xray": "tracing is observability, not protection (APIGateway.3 is LOW)",
    "eks-all-control-plane-logs": "audit logs are mandatory (eks-audit-logging); the other "
    "four are diagnostics",
    "eks-supported-version": "the program asks EKS for the versions it offers; extended "
    "support is allowed, at its price",
    "apigw-waf": "a WAF belongs on public stages with untrusted callers; IAM-authenticated "
    "APIs may go without (APIGateway.4 is MEDIUM)",
}
"""Why each advisory rule warns rather than refuses (the rules table prints it)."""


def rules_table() -> str:
    """The README's table of rules (a test keeps the README in step with it)."""
    lines = [
        "| rule | applies to | level | what must hold | sources | advisory because |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULES:
        tokens = ", ".join(f"`{t.split(':')[1] if t.startswith('aws:') else t}`" for t in r.tokens)
        kind = " (stack)" if r.stack else ""
        level = "M" if r.level == M else "A"
        why = ADVISORY_BECAUSE.get(r.name, "") if r.level != M else ""
        lines.append(
            f"| `{r.name}`{kind} | {tokens} | {level} | {r.description} | {r.anchors} | {why} |"
        )
    return "\n".join(lines)
