"""Export a mixture manifest to the trainer: (a) chat Parquet/JSONL + dataset card, (b) packed token arrays.

    from datamill.export import export
    report = export("store/_mixtures/demo/manifest.json", Store("store"), "out/demo", seq_len=1024)
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from datamill.atomic import atomic_write_text
from datamill.export.chat import dataset_card
from datamill.export.packed import read_packed, write_packed
from datamill.export.spill import Spill
from datamill.store import WRITE_ERRNOS, Store, explain_os_error
from datamill.tokens import DEFAULT_TOKENIZER, load_tokenizer

__all__ = ["ExportReport", "export", "read_packed"]


@dataclass
class ExportReport:
    out_dir: Path
    samples: int
    files: dict[str, int]
    packed: dict = field(default_factory=dict)

    def table(self) -> str:
        rows = [("samples read", self.samples)] + [(f"file {k}", f"{v} rows") for k, v in self.files.items()]
        p = self.packed
        if p:
            rows += [("packed sequences", f"{p['num_seqs']} × {p['seq_len']}"),
                     ("documents", p["documents"]), ("non-pad tokens", p["non_pad_tokens"]),
                     ("loss tokens", p["loss_tokens"]), ("packing efficiency", f"{p['efficiency']:.2%}"),
                     ("overlong split / dropped", f"{p['overlong_split']} / {p['overlong_dropped']}")]
            if p.get("skipped"):
                rows.append(("not packed", ", ".join(f"{k}={v}" for k, v in p["skipped"].items())))
        w = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)

    def __str__(self) -> str:
        return self.table()


def export(manifest_path: str | Path, store: Store | str | Path, out_dir: str | Path,
           tokenizer_path: str | None = None, seq_len: int = 4096, overlong: str = "split",
           formats: tuple[str, ...] = ("chat", "packed"), progress: bool = True) -> ExportReport:
    """Write `<out>/chat.*`, `preference.jsonl`, `text.jsonl`, `README.md` and `<out>/packed/` (meta + .bin).
    Streams: each shard is read once and spilled to `<out>/.spill/` (see datamill/export/spill.py)."""
    from tqdm import tqdm

    from datamill.export.reader import iter_shard_records
    from datamill.mixing.manifest import load_manifest  # here: mixing imports export.packing

    store = store if isinstance(store, Store) else Store(store)
    manifest_path = Path(manifest_path)
    manifest = load_manifest(manifest_path)
    manifest_sha = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(tokenizer_path) if "packed" in formats else None
    spill = Spill(out / ".spill", manifest["samples"], "chat" in formats, tok)
    try:
        with tqdm(total=len(manifest["samples"]), desc="export: read", unit="sample",
                  disable=not progress or not sys.stderr.isatty()) as bar:
            for idx, rec in iter_shard_records(manifest, store, manifest_path):
                spill.add(idx, rec)
                bar.update(len(idx))
        spill.finish()
        files = spill.write_chat(out) if "chat" in formats else {}
        packed: dict = {}
        if tok is not None:
            tokens, mask, seg, stats = spill.pack(seq_len, overlong, out / "packed")
            packed = {"seq_len": seq_len, "num_seqs": stats["num_seqs"], "vocab_size": len(tok),
                      "pad_id": tok.pad_token_id if tok.pad_token_id is not None else 0, "eos_id": tok.eos_token_id,
                      "tokenizer": str(tokenizer_path or DEFAULT_TOKENIZER), "manifest_sha256": manifest_sha,
                      "dtype": "uint32", "loss_mask_dtype": "uint8", "segment_ids_dtype": "uint16",
                      "overlong": overlong, **stats, "skipped": dict(spill.skipped)}
            write_packed(out / "packed", tokens, mask, seg, packed)
        atomic_write_text(out / "README.md", dataset_card(manifest, spill.licenses, files, packed))
        report = ExportReport(out, len(manifest["samples"]), files, packed)
        atomic_write_text(out / "export_report.json",
                          json.dumps({**asdict(report), "out_dir": str(out)}, indent=1, sort_keys=True) + "\n")
    except OSError as e:
        for tmp in [*out.glob("*.tmp*"), *out.glob("packed/*.tmp*")]:  # half-written files never stay visible
            tmp.unlink(missing_ok=True)
        if e.errno in WRITE_ERRNOS and (e.filename is None or str(e.filename).startswith(str(out))):
            raise explain_os_error(f"the export in {out}", e, "files exported there before are unchanged; "
                                   "re-run when there is room") from e
        raise
    finally:
        spill.remove()
    return report
