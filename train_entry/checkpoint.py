"""Training checkpoints that resume exactly: model, optimizer, step + data cursor, and every RNG state.

Layout: `out_dir/checkpoints/step-000050/{model.pt, optim.pt, rng.pt, state.json}`. A checkpoint is written to
`step-000050.tmp`, every file fsynced, then renamed; `latest` (written atomically) names the newest one. A kill at
any moment leaves either the previous checkpoint or the new one, never a half-written one that is read back.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from datamill.atomic import atomic_write_text
from datamill.errors import InputError


@dataclass
class TrainState:
    step: int = 0  # optimizer steps done
    cursor: int = 0  # training sequences consumed (global, all ranks)
    tokens: int = 0  # input tokens seen
    target_tokens: int = 0  # tokens that carried loss


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _fsync_tree(d: Path) -> None:
    for f in d.iterdir():
        if not f.is_file():
            continue
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(
    ckpt_root: Path,
    state: TrainState,
    model_sd: dict,
    optim_sd: dict,
    keep: int = 2,
    model_config: dict | None = None,
    data: dict | None = None,
) -> Path:
    """Write one checkpoint atomically and prune all but the newest `keep`. `data` names what it was trained on
    (the packed export's manifest_sha256 and seq_len): a resume onto other data is refused (`check_resume`)."""
    ckpt_root.mkdir(parents=True, exist_ok=True)
    final = ckpt_root / f"step-{state.step:06d}"
    tmp = ckpt_root / (final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    torch.save(model_sd, tmp / "model.pt")
    torch.save(optim_sd, tmp / "optim.pt")
    torch.save(rng_state(), tmp / "rng.pt")
    (tmp / "state.json").write_text(json.dumps(asdict(state)))
    (tmp / "model_config.json").write_text(json.dumps(model_config or {}, sort_keys=True))
    (tmp / "data.json").write_text(json.dumps(data or {}, sort_keys=True))
    _fsync_tree(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    _fsync_tree(ckpt_root)
    atomic_write_text(ckpt_root / "latest", final.name + "\n")
    done = sorted(p for p in ckpt_root.glob("step-*") if p.is_dir() and not p.name.endswith(".tmp"))
    for old in done[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(ckpt_root: Path) -> Path | None:
    """The newest complete checkpoint: `latest` if it names one, else the highest complete step dir."""
    pointer = ckpt_root / "latest"
    if pointer.exists():
        p = ckpt_root / pointer.read_text().strip()
        if (p / "state.json").exists():
            return p
    done = sorted(
        p for p in ckpt_root.glob("step-*") if not p.name.endswith(".tmp") and (p / "state.json").exists()
    )
    return done[-1] if done else None


def check_resume(path: Path, model_config: dict, data: dict) -> None:
    """Refuse to resume a checkpoint of another architecture (clear error instead of a state-dict mismatch) or one
    trained on other data (another export, another seq_len: the data cursor would point into different rows)."""
    for name, now, what in (
        ("model_config.json", model_config, "another model"),
        ("data.json", data, "other data (resuming would continue on another export)"),
    ):
        f = path / name
        saved = (
            json.loads(f.read_text()) if f.exists() else {}
        )  # checkpoints older than data.json: nothing to check
        diff = {k: (saved[k], v) for k, v in now.items() if k in saved and saved[k] != v}
        if diff:
            raise InputError(
                f"{f}: checkpoint was trained with {what}: "
                f"{', '.join(f'{k}: {a!r} → {b!r}' for k, (a, b) in diff.items())}; "
                "use another out_dir or --no-resume"
            )


def load_checkpoint(path: Path) -> tuple[TrainState, dict, dict, dict]:
    """(state, model state dict, optimizer state dict, rng state) of one checkpoint directory."""
    state = TrainState(**json.loads((path / "state.json").read_text()))
    model_sd = torch.load(path / "model.pt", map_location="cpu", weights_only=True)
    optim_sd = torch.load(path / "optim.pt", map_location="cpu", weights_only=True)
    rng = torch.load(path / "rng.pt", weights_only=False)  # numpy/python RNG tuples; our own file
    return state, model_sd, optim_sd, rng
