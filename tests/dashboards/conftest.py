"""A small real catalog (tests/dashboards/catalog_fixture.py), built once per session; tests that write get a copy."""

from __future__ import annotations

import shutil

import pytest

from datamill.store import Store
from tests.dashboards.catalog_fixture import build_catalog


@pytest.fixture(scope="session")
def dash_catalog(tmp_path_factory, examples):
    store = Store(tmp_path_factory.mktemp("dash") / "store")
    ids = build_catalog(store, examples)
    return store, ids


@pytest.fixture
def dash_store(dash_catalog, monkeypatch) -> Store:
    """The shared read-only catalog, selected for the app through $DATAMILL_STORE."""
    store, _ = dash_catalog
    monkeypatch.setenv("DATAMILL_STORE", str(store.root))
    return store


@pytest.fixture
def rw_store(dash_catalog, tmp_path, monkeypatch) -> Store:
    """A private copy for tests that record audits."""
    src, _ = dash_catalog
    dst = Store(tmp_path / "store")
    shutil.copytree(src.root, dst.root)
    monkeypatch.setenv("DATAMILL_STORE", str(dst.root))
    return dst


@pytest.fixture
def ids(dash_catalog) -> dict:
    return dash_catalog[1]
