"""Shared fixtures: the embedded demo data (always present), ../shared/data (skips when absent), a temp store."""

from __future__ import annotations

from pathlib import Path

import pytest

from datamill.demo_data import EXAMPLES, shared_data
from datamill.store import Store


@pytest.fixture(scope="session")
def examples() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def shared() -> Path:
    p = shared_data()
    if p is None:
        pytest.skip(
            "../shared/data is not beside this checkout (set DATAMILL_SHARED_DATA); the embedded sample is tested instead"
        )
    return p


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "store")
