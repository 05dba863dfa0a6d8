"""export_memory_bench: peak memory (max RSS) of `datamill export` (chat + packed) vs the plain in-memory way —
read every record of the manifest into a list, build the chat rows, tokenize and pack it all at once (what
datamill did before the streaming export) — for mixtures of growing size, each run in its own process.

Data: GSM8K + MATH train from ../shared/data (falls back to examples/data) as SFT samples in both modes, written
to a temporary store in shards of 2000, mixed with one component taking everything. Both produce the same files
(the bench checks tokens.bin and chat.jsonl are byte-identical). Usage: python bench/export_memory_bench.py
[--sizes 5000,10000,20000] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report import table, write_section
from bench.export_bench import load_samples

HERE = Path(__file__).resolve()


def build_store(root: Path, n: int) -> Path:
    """A store with n real SFT samples and a manifest selecting all of them; returns the manifest path."""
    import yaml

    from datamill.mixing import run_mix
    from datamill.store import Store
    from datamill.tokens import count_chat_tokens

    samples, _ = load_samples(n, per_query=2)
    for s in samples:
        s.num_tokens = count_chat_tokens(s.messages, reasoning=s.mode == "reasoning")
    store = Store(root / "store")
    store.begin_run("bench", "r1", "sft", {"n": n})
    for part, a in enumerate(range(0, n, 2000)):
        store.write_shard("bench", "r1", part, samples[a : a + 2000])
    spec = {"name": "all", "reasoning_ratio": None, "components": [{"name": "all", "token_budget": 10**12}]}
    (root / "spec.yaml").write_text(yaml.safe_dump(spec))
    return run_mix(root / "spec.yaml", store, root / "mix", progress=False).manifest_path


def in_memory_export(manifest_path: Path, store_root: Path, out: Path, seq_len: int) -> None:
    """The plain way: every record in a list, then chat rows, tokenize and pack in one go."""
    from datamill.export.chat import export_row, jsonl_line
    from datamill.export.packed import pack, tokenize, write_packed
    from datamill.mixing.manifest import load_manifest
    from datamill.records import iter_records
    from datamill.store import Store
    from datamill.tokens import load_tokenizer

    items = list(iter_records(load_manifest(manifest_path).samples, Store(store_root), manifest_path))
    rows = [export_row(r, e.repeat)[1] for e, r in items]
    out.mkdir(parents=True, exist_ok=True)
    (out / "chat.jsonl").write_bytes(b"".join(jsonl_line(r) for r in rows))
    tokens, mask, seg, stats = pack(tokenize([r for _, r in items], load_tokenizer()), seq_len)
    write_packed(out / "packed", tokens, mask, seg, stats)


def _anon_mib() -> float:
    """This process's anonymous resident memory (heap, arrays; not file-backed pages such as memory maps)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(which: str, manifest: str, store: str, out: str, seq_len: int) -> None:
    import threading

    peak, done = [0.0], threading.Event()

    def sample():
        while not done.wait(0.01):
            peak[0] = max(peak[0], _anon_mib())

    threading.Thread(target=sample, daemon=True).start()
    try:
        _export(which, manifest, store, out, seq_len)
    finally:
        done.set()
        print(json.dumps({"peak_anon_mib": max(peak[0], _anon_mib())}))


def _export(which: str, manifest: str, store: str, out: str, seq_len: int) -> None:
    if which == "ours":
        from datamill.export import export

        export(manifest, store, out, seq_len=seq_len, formats=("chat", "packed"), progress=False)
    else:
        in_memory_export(Path(manifest), Path(store), Path(out), seq_len)


def measure(which: str, manifest: Path, store: Path, out: Path, seq_len: int) -> tuple[float, float, float]:
    """(peak anonymous MiB, max RSS MiB, wall s) of one export in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(HERE), "--child", which, str(manifest), str(store), str(out), str(seq_len)],
        stdout=subprocess.PIPE,
        text=True,
    )
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{which} export failed (status {status})")
    anon = json.loads(stdout.strip().splitlines()[-1])["peak_anon_mib"]
    return anon, usage.ru_maxrss / 1024, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5000,10000,20000", help="mixture sizes in samples")
    ap.add_argument("--seq-len", type=int, default=4096)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", nargs=5, metavar=("WHICH", "MANIFEST", "STORE", "OUT", "SEQ_LEN"))
    args = ap.parse_args()
    if args.child:
        w, m, s, o, sl = args.child
        return child(w, m, s, o, int(sl))
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            manifest = build_store(root, n)
            tokens = sum(e["tokens"] for e in json.loads(manifest.read_text())["samples"])
            ours = measure("ours", manifest, root / "store", root / "ours", args.seq_len)
            base = measure("plain", manifest, root / "store", root / "plain", args.seq_len)
            for f in ("chat.jsonl", "packed/tokens.bin", "packed/loss_mask.bin"):
                same = (root / "ours" / f).read_bytes() == (root / "plain" / f).read_bytes()
                assert same, f"{f} differs between the two exports"
            rows.append(
                [
                    f"{n:,}",
                    f"{tokens:,}",
                    f"{ours[0]:.0f}",
                    f"{base[0]:.0f}",
                    f"{ours[0] / base[0]:.2f}",
                    f"{ours[1]:.0f}",
                    f"{base[1]:.0f}",
                    f"{ours[2]:.1f}",
                    f"{base[2]:.1f}",
                ]
            )
    body = (
        "Peak memory of `datamill.export.export` (streams shard by shard through a disk spill) vs the plain "
        "in-memory export (all records in a list, then chat rows, tokenize and pack at once), same manifest, "
        f"chat + packed (seq {args.seq_len}); both write byte-identical chat.jsonl and tokens.bin. Each export "
        "runs in its own process (interpreter, imports and tokenizer included). *anon* = peak anonymous "
        "resident memory (heap and arrays, sampled every 10 ms from /proc/self/status RssAnon): what can run a "
        "machine out of memory; *max RSS* also counts file pages the process maps (ours memory-maps its spill "
        "and the output files; the kernel can drop those pages). Samples: GSM8K + MATH train in both modes, "
        "shards of 2000.\n\n"
        + table(
            [
                "samples",
                "tokens",
                "ours anon MiB",
                "in-memory anon MiB",
                "ours / in-memory",
                "ours max RSS",
                "in-memory max RSS",
                "ours s",
                "in-memory s",
            ],
            rows,
        )
        + "\n"
    )
    print(body)
    if not args.no_write:
        write_section("export_memory_bench", body)


if __name__ == "__main__":
    main()
