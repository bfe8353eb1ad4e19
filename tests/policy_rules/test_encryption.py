"""The key rotation and topic encryption rules (policy/rules/encryption.py)."""

from __future__ import annotations

from typing import Any

import pytest

from policy import rules
from tests.policy_rules.support import (
    Case,
    uncovered,
    validate,
)

# (policy, token, props, config, expected messages); [] means the props pass.
CASES: list[Case] = [
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


@pytest.mark.parametrize(
    ("policy", "token", "props", "config", "expected"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_table(
    policy: str, token: str, props: dict[str, Any], config: dict[str, Any], expected: list[str]
) -> None:
    assert validate(policy, token, props, config) == expected


def test_every_rule_here_has_a_passing_and_a_failing_case() -> None:
    assert uncovered(CASES, "encryption") == []
