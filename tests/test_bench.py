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


def test_the_http_front_saves_the_consumer_nlb_and_its_hop() -> None:
    from bench.costs import HOURS, price
    from tests.support.variants import consumer_variant

    rest = price(consumer_variant("default").registrations)
    http = price(consumer_variant("http-front").registrations)
    # Priced from what each plan registers. The NLB's hours are the difference, less what the
    # HTTP front adds: one Cloud Map instance per endpoint IP (two, $0.20). Its alarms cost the
    # same: two fewer (the NLB's), but its two error-rate alarms evaluate two metrics each.
    assert round(rest.monthly - http.monthly, 2) == round(0.0225 * HOURS - 2 * 0.10, 2)
    assert [h for h in rest.hops if h not in http.hops] == ["consumer NLB"]
    assert rest.hops[0] == http.hops[0] == "VPC link ENI"
