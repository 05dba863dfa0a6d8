"""Ray executor from the same config (local Ray instance) and kill-and-resume without loss or duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curation.job import run_curate
from datamill.demo_data import REPO_ROOT
from datamill.store import Store
from tests.curation.helpers import demo_config, write_config


def kept(store: Store, run_id: str) -> list[tuple[str, str]]:
    t = store.read_table("web_demo", run_id)
    return sorted(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    store = Store(tmp / "store")
    report = run_curate(write_config(tmp, demo_config()), store)
    return store, report


@pytest.mark.slow
def test_ray_executor_gives_the_same_documents(reference, tmp_path):
    ray = pytest.importorskip("ray")
    ref_store, ref = reference
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        store = Store(tmp_path / "store")
        report = run_curate(write_config(tmp_path, demo_config(executor="ray", workers=2)), store)
    finally:
        ray.shutdown()
    assert report.run_id == ref.run_id and (report.kept, report.dropped) == (ref.kept, ref.dropped)
    assert kept(store, report.run_id) == kept(ref_store, ref.run_id)


@pytest.mark.slow
def test_killed_job_resumes_without_loss_or_duplicates(reference, tmp_path):
    ref_store, ref = reference
    config = write_config(tmp_path, demo_config(workers=2))
    store_root = tmp_path / "store"
    cmd = [sys.executable, "-m", "datamill.cli", "--store", str(store_root), "curate", config]
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    marker_dir = (
        store_root
        / "_work"
        / "curate"
        / "web_demo"
        / ref.run_id
        / "tasks2"
        / "logs"
        / "filter"
        / "completions"
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not any(Path(marker_dir).glob("*")):
        time.sleep(0.2)
    assert proc.poll() is None, "the job ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the job and its datatrove workers, mid-run
    proc.wait()
    store = Store(store_root)
    report = run_curate(config, store)
    assert (report.kept, report.dropped) == (ref.kept, ref.dropped)
    assert kept(store, report.run_id) == kept(ref_store, ref.run_id)
    with store.connect(read_only=True) as con:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT id) FROM samples").fetchone()
    assert n == distinct == ref.kept + sum(ref.dropped.values())
