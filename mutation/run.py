"""Apply each planted defect (mutation/mutants.py) to a copy of the project, run the tests that
must notice it, and print which were caught and the kill ratio. Not a CI step: `make mutate`.

    venv/bin/python -m mutation.run            # every mutant (a few minutes)
    venv/bin/python -m mutation.run logs       # those whose name contains "logs"
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mutation.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(
    ".git", "venv", ".venv", ".ci", "build", "__pycache__", ".pytest_cache", ".ruff_cache"
)


def caught(mutant: Mutant, copy: Path) -> bool:
    target = copy / mutant.path
    original = target.read_text()
    assert original.count(mutant.old) == 1, f"{mutant.name}: the text to mutate moved"
    target.write_text(original.replace(mutant.old, mutant.new))
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-n0",
                "-p",
                "no:cacheprovider",
                *mutant.tests,
            ],
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return done.returncode != 0
    finally:
        target.write_text(original)


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or any(a in m.name for a in argv)]
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "project"
        shutil.copytree(ROOT, copy, ignore=SKIP)
        killed = 0
        for mutant in chosen:
            started = time.monotonic()
            hit = caught(mutant, copy)
            killed += hit
            verdict = "caught" if hit else "MISSED"
            print(f"{verdict:7} {time.monotonic() - started:5.1f} s  {mutant.name}: {mutant.why}")
    print(f"\nkill ratio: {killed}/{len(chosen)}")
    return 0 if killed == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
