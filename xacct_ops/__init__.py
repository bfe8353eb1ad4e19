"""Operations for the xacct stacks: rollout (Automation API), verify (boto3), offline plan."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The Pulumi project: Pulumi.yaml, the stack files and the policy pack."""


def policy_config_file(role: str) -> str:
    """The pack's config for a role's stacks, relative to the project."""
    return f"policy/config.{role}.json"
