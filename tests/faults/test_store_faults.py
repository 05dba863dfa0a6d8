"""Disk full and read-only stores: a clear error, nothing half-visible, `check` clean, a re-run completes."""

import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from datamill.integrity import check
from datamill.jobs import run_sharded
from datamill.store import Store, StoreWriteError
from schemas import Message, SFTSample


def _mount(*args) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    if not _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)):
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN) to simulate a full disk")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def essay_process(examples):
    essays = sorted((examples / "niah").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in essays]

    def process(chunk, report):
        for i in chunk:
            yield SFTSample(
                id=f"essay-{i}",
                domain="long_context",
                language="en",
                mode="non_reasoning",
                messages=[
                    Message(role="user", content=texts[i % len(texts)] * 3),
                    Message(role="assistant", content=f"Essay {i}"),
                ],
            )

    return process


def test_disk_full_gives_clear_error_and_rerun_completes(tmp_path, examples):
    with tmpfs(tmp_path / "disk", "3m") as disk:
        store = Store(disk / "store")
        items = list(range(120))
        with pytest.raises(StoreWriteError) as err:
            run_sharded(
                store, "essays", "r1", "sft", {}, items, essay_process(examples), chunk_size=4, progress=False
            )
        msg = str(err.value)
        assert "disk full" in msg or "too large" in msg or "catalog" in msg, msg
        rep = check(store)
        assert rep.ok, rep.text()
        with store.connect(read_only=True) as con:
            before = con.execute("SELECT count(*) FROM samples").fetchone()[0]
        assert 0 < before < len(items)
        assert _mount("-o", "remount,size=256m", str(disk))
        again = run_sharded(
            store, "essays", "r1", "sft", {}, items, essay_process(examples), chunk_size=4, progress=False
        )
        assert again.rows_written == len(items) - before
        final = check(store)
        assert final.ok and not final.warnings, final.text()
        with store.connect(read_only=True) as con:
            assert con.execute("SELECT count(*), count(DISTINCT id) FROM samples").fetchone() == (120, 120)


def test_read_only_store_gives_clear_error_and_stays_consistent(tmp_path, examples):
    root = tmp_path / "ro"
    store = Store(root / "store")
    run_sharded(
        store,
        "essays",
        "r1",
        "sft",
        {},
        list(range(8)),
        essay_process(examples),
        chunk_size=4,
        progress=False,
    )
    if not (_mount("--bind", str(root), str(root)) and _mount("-o", "remount,ro,bind", str(root))):
        pytest.skip("cannot make a read-only bind mount here (needs root with CAP_SYS_ADMIN)")
    try:
        with pytest.raises((StoreWriteError, PermissionError)) as err:
            run_sharded(
                store,
                "more",
                "r1",
                "sft",
                {},
                list(range(8)),
                essay_process(examples),
                chunk_size=4,
                progress=False,
            )
        assert "read-only" in str(err.value) or "ead-only" in str(err.value), str(err.value)
        rep = check(store)
        assert rep.ok, rep.text()
        assert rep.samples_checked == 8
    finally:
        subprocess.run(["umount", "-l", str(root)], capture_output=True, check=False)


def test_export_to_a_full_disk_names_it_leaves_nothing_half_written_and_reruns(tmp_path, examples):
    import yaml

    from datamill.export import export
    from datamill.mixing import run_mix
    from tests.datamill.mixing.realstore import build_real_store

    store = build_real_store(Store(tmp_path / "store"), examples, gsm8k_n=120)
    spec = {"name": "x", "reasoning_ratio": None, "components": [{"name": "all", "token_budget": 10**7}]}
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(spec))
    manifest = run_mix(tmp_path / "x.yaml", store, tmp_path / "mix", progress=False).manifest_path
    export(manifest, store, tmp_path / "ref", seq_len=1024, progress=False)
    with tmpfs(tmp_path / "disk", "300k") as disk:
        with pytest.raises(StoreWriteError, match=r"cannot write the export in .*disk/out: disk full") as err:
            export(manifest, store, disk / "out", seq_len=1024, progress=False)
        assert "re-run when there is room" in str(err.value)
        left = sorted(p.name for p in (disk / "out").rglob("*"))
        assert not [n for n in left if ".tmp" in n or n == ".spill"], left
        assert _mount("-o", "remount,size=64m", str(disk))
        export(manifest, store, disk / "out", seq_len=1024, progress=False)
        for f in (
            "chat.jsonl",
            "packed/tokens.bin",
            "packed/loss_mask.bin",
            "packed/segment_ids.bin",
            "README.md",
        ):
            assert (disk / "out" / f).read_bytes() == (tmp_path / "ref" / f).read_bytes(), f
