"""Shared fixtures: base configs for each side (tests/support/configs.py), and a faster SDK."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.configs import CONSUMER_CONFIG, PROVIDER_CONFIG  # noqa: E402


@pytest.fixture
def provider_config() -> dict[str, Any]:
    return dict(PROVIDER_CONFIG)


@pytest.fixture
def consumer_config() -> dict[str, Any]:
    return dict(CONSUMER_CONFIG)


@pytest.fixture(autouse=True, scope="session")
def _no_source_positions() -> Iterator[None]:
    """The SDK walks the Python stack (reading source files) at every registration to tell the
    engine where a resource was declared; the mocks never use it, and it costs the suite about
    a tenth of its time. Only the tests skip it: plan and bench run the SDK as it is."""
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    original = resource._get_stack_trace
    resource._get_stack_trace = source_pb2.StackTrace
    yield
    resource._get_stack_trace = original
