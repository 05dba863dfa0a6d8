"""Reviewers audit while a real batch job writes the same catalog: every decision survives, exactly once, the
job's output is complete, and a catalog rebuilt from the files (`datamill index`) has the same decisions."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from datamill.audits import flush, latest_decisions
from datamill.integrity import check, rebuild_index
from datamill.jobs import run_sharded
from datamill.store import Store
from tests.datamill.test_store import gsm8k_samples, make_process
from tests.faults.harness import REPO, datamill_cmd

pytestmark = pytest.mark.slow

REVIEWER = """
import sys
sys.path.insert(0, {repo!r})
from datamill.audits import record_audit
name, ids = sys.argv[1], sys.argv[2:]
for i, sid in enumerate(ids):
    record_audit({store!r}, sid, ["accept", "reject", "flag"][i % 3], reason=f"check {{i}}", reviewer=name)
print("reviewed", len(ids), flush=True)
"""


def test_two_reviewers_during_a_generate_job(tmp_path, examples):
    store = Store(tmp_path / "store")
    rows = gsm8k_samples(examples, 60)
    run_sharded(
        store, "gsm8k", "r1", "sft", {}, list(range(60)), make_process(rows), chunk_size=20, progress=False
    )
    ids = [f"gsm8k-{i}" for i in range(60)]
    cfg = tmp_path / "math.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "domain": "math",
                "dataset": "sft_math_batch",
                "run_id": "v1",
                "engine": {"backend": "none"},
                "limits": {"math_workers": 1},
                "chunk_size": 10,
                "sources": [{"name": "gsm8k", "data": "examples", "limit": 120}],
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    job = subprocess.Popen(
        datamill_cmd("--store", str(store.root), "generate", "math", str(cfg)),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    script = REVIEWER.format(repo=str(REPO), store=str(store.root))
    reviewers = [
        subprocess.Popen(
            [sys.executable, "-c", script, name, *part],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, part in (("ana", ids[:30]), ("min-jun", ids[30:]))
    ]
    for r in reviewers:
        out, err = r.communicate(timeout=300)
        assert r.returncode == 0 and "reviewed 30" in out, err
    out, err = job.communicate(timeout=600)
    assert job.returncode == 0, err[-2000:]
    assert flush(store, timeout_s=30).pending == 0
    decisions = latest_decisions(store, ids)
    assert len(decisions) == 60
    assert {d["reviewer"] for d in decisions.values()} == {"ana", "min-jun"}
    assert decisions["gsm8k-1"]["decision"] == "reject" and decisions["gsm8k-31"]["decision"] == "reject"
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT sample_id) FROM audits").fetchone() == (60, 60)
        made = con.execute("SELECT count(*) FROM samples WHERE dataset = 'sft_math_batch'").fetchone()[0]
    assert made == 240  # engine none: each reference in non-reasoning and reasoning mode
    rep = check(store)
    assert rep.ok, rep.text()

    audit_rows = "SELECT audit_id, sample_id, decision, reason, reviewer, ts FROM audits ORDER BY ALL"
    with store.connect(read_only=True) as con:
        before = con.execute(audit_rows).fetchall()
    for f in store.root.glob("catalog.duckdb*"):
        f.unlink()  # the catalog is lost: shards and the audit log rebuild it
    assert rebuild_index(store)["audits"] == 60
    with store.connect(read_only=True) as con:
        assert con.execute(audit_rows).fetchall() == before
    assert latest_decisions(store, ids) == decisions
    assert check(store).ok
