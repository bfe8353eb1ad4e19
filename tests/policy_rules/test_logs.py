"""The log group and trail rules (policy/rules/logs.py)."""

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
    assert uncovered(CASES, "logs") == []
