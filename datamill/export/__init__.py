"""Export a mixture manifest to the trainer: (a) chat Parquet/JSONL + dataset card, (b) packed token arrays.

from datamill.export import export
report = export("store/_mixtures/demo/manifest.json", Store("store"), "out/demo", seq_len=1024)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from datamill.atomic import atomic_write_text
from datamill.errors import DatamillError
from datamill.export.chat import dataset_card
from datamill.export.packed import read_packed, write_packed
from datamill.export.spill import Spill
from datamill.mixing.manifest import load_manifest
from datamill.records import iter_shard_records
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
            rows += [
                ("packed sequences", f"{p['num_seqs']} × {p['seq_len']}"),
                ("documents", p["documents"]),
                ("non-pad tokens", p["non_pad_tokens"]),
                ("loss tokens", p["loss_tokens"]),
                ("packing efficiency", f"{p['efficiency']:.2%}"),
                ("overlong split / dropped", f"{p['overlong_split']} / {p['overlong_dropped']}"),
            ]
            if p.get("skipped"):
                rows.append(("not packed", ", ".join(f"{k}={v}" for k, v in p["skipped"].items())))
        w = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)

    def __str__(self) -> str:
        return self.table()


FORMATS = ("chat", "packed")
OVERLONG = ("split", "drop")
MIN_SEQ_LEN = 2  # one input token and the target it predicts: below this a packed row trains nothing
# What an export writes at the top of its folder: a folder holding only these is an earlier export, replaced whole.
EXPORT_ENTRIES = frozenset(
    {
        "chat.jsonl",
        "chat.parquet",
        "preference.jsonl",
        "text.jsonl",
        "README.md",
        "export_report.json",
        "packed",
    }
)


class ExportError(DatamillError, ValueError):
    """Bad export arguments or an output folder that holds something else: nothing was written."""


def check_export_args(out: Path, seq_len: int, overlong: str, formats: tuple[str, ...]) -> None:
    """Every argument checked before the first byte is written (a bad --seq-len used to fail half way)."""
    if not formats or set(formats) - set(FORMATS):
        raise ExportError(
            f"export formats must be some of {', '.join(FORMATS)} (got {', '.join(formats) or 'none'})"
        )
    if "packed" in formats and (not isinstance(seq_len, int) or seq_len < MIN_SEQ_LEN):
        raise ExportError(f"--seq-len must be a whole number of tokens ≥ {MIN_SEQ_LEN} (got {seq_len!r})")
    if overlong not in OVERLONG:
        raise ExportError(f"--overlong must be one of {', '.join(OVERLONG)} (got {overlong!r})")
    if out.exists() and not out.is_dir():
        raise ExportError(f"export folder {out} is a file")
    others = sorted(p.name for p in out.iterdir() if p.name not in EXPORT_ENTRIES) if out.is_dir() else []
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise ExportError(
            f"export folder {out} holds files that are not an earlier export ({shown}); exporting there "
            "would mix them with this export: choose an empty or new folder"
        )


def _staging(out: Path) -> tuple[Path, Path]:
    """Sibling folders: the new export is written to `stage`, then swapped in; `old` holds the replaced one briefly.
    Fixed names, so a re-run after a kill finds and removes what the killed run left."""
    return out.parent / f".{out.name}.export-tmp", out.parent / f".{out.name}.export-old"


def _swap_in(stage: Path, out: Path, old: Path) -> None:
    if out.exists():
        os.replace(out, old)
    os.replace(stage, out)
    shutil.rmtree(old, ignore_errors=True)


def export(
    manifest_path: str | Path,
    store: Store | str | Path,
    out_dir: str | Path,
    tokenizer_path: str | None = None,
    seq_len: int = 4096,
    overlong: str = "split",
    formats: tuple[str, ...] = ("chat", "packed"),
    progress: bool = True,
) -> ExportReport:
    """Write `<out>/chat.*`, `preference.jsonl`, `text.jsonl`, `README.md` and `<out>/packed/` (meta + .bin).
    Streams: each shard is read once and spilled to `<stage>/.spill/` (see datamill/export/spill.py). The whole
    export is written into a sibling staging folder and swapped in at the end: `out` holds either the earlier
    export or this one, never a mix, and a killed or failed export leaves it as it was."""
    from tqdm import tqdm

    store = store if isinstance(store, Store) else Store(store)
    manifest_path = Path(manifest_path)
    final = Path(out_dir)
    formats = tuple(formats)
    check_export_args(final, seq_len, overlong, formats)
    manifest = load_manifest(manifest_path)
    manifest_sha = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    out, old = _staging(final)
    try:
        for leftover in (out, old):
            shutil.rmtree(leftover, ignore_errors=True)
        out.mkdir(parents=True)
    except OSError as e:
        raise explain_os_error(f"the export in {final}", e) from e
    tok = load_tokenizer(tokenizer_path) if "packed" in formats else None
    spill = Spill(out / ".spill", manifest.samples, "chat" in formats, tok)
    try:
        with tqdm(
            total=len(manifest.samples),
            desc="export: read",
            unit="sample",
            disable=not progress or not sys.stderr.isatty(),
        ) as bar:
            for idx, rec in iter_shard_records(manifest.samples, store, manifest_path):
                spill.add(idx, rec)
                bar.update(len(idx))
        spill.finish()
        files = spill.write_chat(out) if "chat" in formats else {}
        packed: dict = {}
        if tok is not None:
            tokens, mask, seg, stats = spill.pack(seq_len, overlong, out / "packed")
            packed = {
                "seq_len": seq_len,
                "num_seqs": stats["num_seqs"],
                "vocab_size": len(tok),
                "pad_id": tok.pad_token_id if tok.pad_token_id is not None else 0,
                "eos_id": tok.eos_token_id,
                "tokenizer": str(tokenizer_path or DEFAULT_TOKENIZER),
                "manifest_sha256": manifest_sha,
                "dtype": "uint32",
                "loss_mask_dtype": "uint8",
                "segment_ids_dtype": "uint16",
                "overlong": overlong,
                **stats,
                "skipped": dict(spill.skipped),
            }
            write_packed(out / "packed", tokens, mask, seg, packed)
        atomic_write_text(out / "README.md", dataset_card(manifest, spill.licenses, files, packed))
        report = ExportReport(final, len(manifest.samples), files, packed)
        atomic_write_text(
            out / "export_report.json",
            json.dumps({**asdict(report), "out_dir": str(final)}, indent=1, sort_keys=True) + "\n",
        )
        spill.remove()
        _swap_in(out, final, old)
    except OSError as e:
        shutil.rmtree(out, ignore_errors=True)  # half-written files never stay visible
        if e.errno in WRITE_ERRNOS and (e.filename is None or str(e.filename).startswith(str(final.parent))):
            raise explain_os_error(
                f"the export in {final}",
                e,
                "files exported there before are unchanged; re-run when there is room",
            ) from e
        raise
    finally:
        spill.remove()
    return report
