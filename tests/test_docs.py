"""The README is the front door: every config key and every output key is documented there."""

from __future__ import annotations

import pytest

from components import config
from components import outputs as keys
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("key", config.ALL_KEYS)
def test_every_config_key_is_documented(key: str) -> None:
    assert f"`{key}`" in README


@pytest.mark.parametrize("key", keys.PROVIDER_KEYS + keys.CONSUMER_KEYS + keys.MONITORING_KEYS)
def test_every_output_is_documented(key: str) -> None:
    assert f"`{key}`" in README


def test_readme_test_command_is_what_ci_runs() -> None:
    assert "venv/bin/python -m pytest -q" in README
    assert '"$VENV/bin/python" -m pytest -q' in (ROOT / ".ci" / "run").read_text()


def test_readme_rules_table_is_the_packs() -> None:
    from policy.rules import rules_table

    assert rules_table() in README


def test_readme_alarm_table_is_what_the_stacks_build() -> None:
    from components.monitoring import alarms_table

    assert alarms_table() in README


def test_every_planted_defect_still_finds_its_line() -> None:
    from mutation.mutants import MUTANTS

    for mutant in MUTANTS:
        text = (ROOT / mutant.path).read_text()
        assert text.count(mutant.old) == 1, f"{mutant.name}: {mutant.path} changed"
        assert mutant.new != mutant.old and all((ROOT / t).exists() for t in mutant.tests)
