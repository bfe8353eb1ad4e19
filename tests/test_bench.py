"""The benchmark's measuring script runs and reports what the table prints (not a timing test)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.configs import ROOT


def test_evaluate_reports_time_memory_and_resources_for_a_scaled_provider() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "evaluate.py"), "provider", "--consumers", "3"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result) == {"import_s", "eval_s", "total_s", "resources", "maxrss_mb"}
    assert result["total_s"] >= result["eval_s"] > 0 and result["maxrss_mb"] > 0
    # 3 consumers: a StackReference and an accepter each, on top of the one-consumer stack
    assert result["resources"] > 60
