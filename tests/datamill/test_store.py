"""Shards are atomic, the catalog agrees with them, and `check` catches every kind of damage."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from datamill.integrity import check, rebuild_index
from datamill.jobs import run_sharded
from datamill.store import RunConflict, Store
from schemas import Message, SFTSample, Verdict

REPO = Path(__file__).resolve().parents[2]


def gsm8k_samples(examples, n=40):
    rows = [json.loads(line) for line in (examples / "math/gsm8k_train.jsonl").read_text().splitlines()[:n]]
    return rows


def make_process(rows_by_index):
    def process(chunk, report):
        for i in chunk:
            row = rows_by_index[i]
            answer = row["answer"].split("####")[-1].strip()
            yield SFTSample(
                id=f"gsm8k-{i}",
                domain="math",
                language="en",
                mode="reasoning" if i % 2 else "non_reasoning",
                messages=[
                    Message(role="user", content=row["question"]),
                    Message(role="assistant", content=answer, reasoning_content=row["answer"]),
                ],
                verdicts=[Verdict(verifier="reference", passed=True, reason="reference_solution")],
                num_tokens=len(row["answer"]) // 4,
            )

    return process


def test_run_sharded_writes_registers_and_resumes(store, examples):
    rows = gsm8k_samples(examples)
    rep = run_sharded(
        store, "gsm8k", "r1", "sft", {"n": 40}, list(range(40)), make_process(rows), chunk_size=16
    )
    assert (rep.parts_total, rep.rows_written) == (3, 40)
    again = run_sharded(
        store, "gsm8k", "r1", "sft", {"n": 40}, list(range(40)), make_process(rows), chunk_size=16
    )
    assert (again.parts_skipped, again.rows_written) == (3, 0)
    result = check(store)
    assert result.ok, result.text()
    with store.connect(read_only=True) as con:
        got = con.execute("SELECT count(*), count(DISTINCT id), sum(tokens) FROM samples").fetchone()
        status = con.execute("SELECT status FROM datasets WHERE name = 'gsm8k'").fetchone()[0]
    assert got[:2] == (40, 40) and status == "complete"
    assert store.read_table("gsm8k").num_rows == 40


def test_resume_under_another_config_is_refused_and_nothing_is_written(store, examples):
    rows = gsm8k_samples(examples)
    run_sharded(
        store,
        "gsm8k",
        "r1",
        "sft",
        {"n": 40, "mode": "a"},
        list(range(40)),
        make_process(rows),
        chunk_size=16,
    )
    with pytest.raises(RunConflict, match=r"gsm8k/r1 was started with another config \(changed: mode\)"):
        run_sharded(
            store,
            "gsm8k",
            "r1",
            "sft",
            {"n": 40, "mode": "b"},
            list(range(40)),
            make_process(rows),
            chunk_size=16,
        )
    sidecar = json.loads((store.run_dir("gsm8k", "r1") / "_run.json").read_text())
    assert sidecar["config"]["mode"] == "a"  # the run keeps the config its shards were made with
    # keys named as execution-only (worker counts and the like) may change on resume
    store.begin_run(
        "gsm8k", "r1", "sft", {"n": 40, "mode": "a", "workers": 8}, execution_keys=frozenset({"workers"})
    )
    assert check(store).ok


def _child_script(store_root: str, examples: str, hold: str) -> str:
    return f"""
import json, os, sys, time
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from tests.datamill.test_store import gsm8k_samples, make_process
from datamill.jobs import run_sharded
from datamill.store import Store
import datamill.store as st
if {hold!r} == "before_rename":
    real = os.replace
    def slow_replace(a, b):
        if str(a).endswith(tuple(f"tmp-{{os.getpid()}}" for _ in [0])) and "part-00001" in str(b):
            print("HOLD", flush=True); time.sleep(60)
        return real(a, b)
    st.os.replace = slow_replace
elif {hold!r} == "before_register":
    import datamill.catalog as cat
    real_reg = cat.register_shard
    def slow_register(con, root, shard, kind):
        if shard["part"] == 1:
            print("HOLD", flush=True); time.sleep(60)
        return real_reg(con, root, shard, kind)
    cat.register_shard = slow_register
rows = gsm8k_samples(Path({examples!r}))
run_sharded(Store({store_root!r}), "gsm8k", "r1", "sft", {{"n": 40}}, list(range(40)), make_process(rows), chunk_size=16)
print("DONE", flush=True)
"""


@pytest.mark.parametrize("hold", ["before_rename", "before_register"])
def test_sigkill_mid_shard_keeps_catalog_consistent_and_rerun_completes(tmp_path, examples, hold):
    root = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-c", _child_script(str(root), str(examples), hold)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "HOLD"  # part 0 is done, part 1 is half-way
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(root)
    result = check(store)
    assert result.ok, result.text()  # the catalog only knows complete shards
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM samples").fetchone()[0] == 16
    assert result.warnings, "the half-done state is reported as recoverable"
    rows = gsm8k_samples(examples)
    rep = run_sharded(
        store, "gsm8k", "r1", "sft", {"n": 40}, list(range(40)), make_process(rows), chunk_size=16
    )
    assert rep.parts_skipped == 1 and rep.rows_written == 24
    final = check(store)
    assert final.ok and not final.warnings, final.text()
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT id) FROM samples").fetchone() == (40, 40)


@pytest.fixture
def filled(store, examples):
    rows = gsm8k_samples(examples)
    run_sharded(store, "gsm8k", "r1", "sft", {}, list(range(40)), make_process(rows), chunk_size=16)
    return store


def test_check_detects_missing_shard(filled):
    (filled.root / "gsm8k/r1/part-00001.parquet").unlink()
    rep = check(filled)
    assert not rep.ok and any(p.startswith("missing shard: gsm8k/r1/part-00001") for p in rep.problems)


def test_check_detects_corrupt_shard(filled):
    path = filled.root / "gsm8k/r1/part-00000.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    rep = check(filled)
    assert any(p.startswith("checksum mismatch: gsm8k/r1/part-00000") for p in rep.problems), rep.text()


def test_check_detects_truncated_shard(filled):
    path = filled.root / "gsm8k/r1/part-00000.parquet"
    path.write_bytes(path.read_bytes()[:100])
    rep = check(filled)
    assert any(p.startswith("size mismatch") for p in rep.problems)
    assert any(p.startswith("corrupt shard: gsm8k/r1/part-00000") for p in rep.problems), rep.text()


def test_check_detects_extra_shard_and_duplicate_ids(filled):
    src = filled.root / "gsm8k/r1/part-00000.parquet"
    (filled.root / "gsm8k/r1/part-00009.parquet").write_bytes(src.read_bytes())
    rep = check(filled)
    assert any(p.startswith("unregistered shard: gsm8k/r1/part-00009") for p in rep.problems)
    assert any(p.startswith("duplicate id across shards: gsm8k-") for p in rep.problems), rep.text()


def test_index_rebuilds_catalog_from_files(filled):
    filled.catalog_path.unlink()
    counts = rebuild_index(filled)
    assert counts == {"shards": 3, "samples": 40, "skipped": []}
    assert check(filled).ok


def test_write_shard_never_leaves_partial_file_on_error(store):
    bad = SFTSample(
        id="x",
        domain="math",
        language="en",
        mode="reasoning",
        messages=[Message(role="assistant", content="a")],
    )
    bad.metadata = {"not_json": object()}  # serialisation fails while building the table
    with pytest.raises(TypeError):
        store.write_shard("d", "r", 0, [bad])
    assert not list(store.root.rglob("part-*")) and not list(store.root.rglob("*.tmp-*"))
