"""The README is the front door: every config key and every output key is documented there."""

from __future__ import annotations

import re
import sys

import pytest

from components import outputs as keys
from components import settings as config
from tests.support.configs import ROOT

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


def config_rows() -> list[tuple[list[str], str, str]]:
    """The README's configuration table: (keys, role, default cell) per row."""
    start = README.index("| key | role | default | meaning |")
    rows = []
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("| "):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows.append((re.findall(r"`(\w+)`", cells[0]), cells[1], cells[2]))
    return rows


def test_readme_configuration_table_is_pulumi_yamls() -> None:
    # Pulumi.yaml is where defaults live; the README's table may not say otherwise.
    declared = config.project_defaults()
    roles = {
        "both": set(config.COMMON_KEYS),
        "provider": set(config.PROVIDER_ONLY_KEYS),
        "consumer": set(config.CONSUMER_ONLY_KEYS),
    }
    seen: list[str] = []
    for names, role, default in config_rows():
        seen += names
        assert set(names) <= roles[role], (names, role)
        shown = re.findall(r"`([^`]*)`", default)
        for index, key in enumerate(names):
            value = declared.get(key, "")
            if default.startswith(("(required", "one of them")) or default == "–":
                assert value in ("", "[]"), (key, value)
            elif shown[index].startswith("<"):  # derived from another key when unset
                assert value == "", (key, value)
            else:
                assert shown[index] == value, (key, shown[index], value)
    assert sorted(seen) == sorted(config.ALL_KEYS)


def test_a_wrong_default_in_the_readme_table_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = README.replace("| `azCount` | both | `2` |", "| `azCount` | both | `3` |")
    assert wrong != README
    monkeypatch.setattr(sys.modules[__name__], "README", wrong)
    with pytest.raises(AssertionError, match="azCount"):
        test_readme_configuration_table_is_pulumi_yamls()


def test_the_readme_layout_lists_every_module() -> None:
    layout = README[README.index("### Layout") : README.index("## Set-up, the main job")]
    modules = [
        *(ROOT / "components").glob("*.py"),
        *(ROOT / "xacct_ops").glob("*.py"),
        ROOT / "policy" / "offline.py",
    ]
    for path in modules:
        if path.name.startswith("__"):
            continue
        assert f"`{path.relative_to(ROOT)}`" in layout, path.name
    for path in (ROOT / "policy" / "rules").glob("*.py"):
        if not path.name.startswith("__"):
            assert f"`{path.name}`" in layout, path.name
