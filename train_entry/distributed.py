"""Everything multi-process, applied to the model from outside (torchtitan style): torchrun process groups,
FSDP2 `fully_shard` per decoder layer, activation checkpointing, and full (unsharded) state dicts for checkpoints.

    torchrun --nproc_per_node 8 -m datamill.cli train configs/train/exaone4_1p2b.yaml

One process (plain `datamill train`) skips all of it: world size 1, no process group, no sharding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn

from datamill.errors import InputError


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def sharded(self) -> bool:
        return self.world > 1


def init_distributed(device: str = "auto") -> DistInfo:
    """Join the torchrun process group when WORLD_SIZE > 1; pick this process's device."""
    cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    if cuda and not torch.cuda.is_available():
        raise InputError("device: cuda requested but torch sees no CUDA device")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    dev = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return DistInfo(rank, world, local, dev)


def apply_activation_checkpointing(model: nn.Module) -> None:
    """Wrap each decoder layer so its activations are recomputed in backward (state-dict names unchanged)."""
    from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import checkpoint_wrapper

    layers = model.model.layers
    for i in range(len(layers)):
        layers[i] = checkpoint_wrapper(layers[i])


def apply_compile(model: nn.Module) -> None:
    """torch.compile each decoder layer in place (`Module.compile` keeps the state-dict names), as torchtitan does:
    after activation checkpointing, before FSDP."""
    for layer in model.model.layers:
        layer.compile()


def apply_fsdp(model: nn.Module, bf16: bool) -> None:
    """FSDP2: shard each decoder layer, then the root (embeddings, final norm, head); bf16 compute, fp32 reduce."""
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    mp = (
        MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
        if bf16
        else MixedPrecisionPolicy()
    )
    for layer in model.model.layers:
        fully_shard(layer, mp_policy=mp)
    fully_shard(model, mp_policy=mp)


def materialize_from_rank0(model: nn.Module, build_full_state, info: DistInfo) -> None:
    """Allocate the sharded (meta) model on the device and fill it with rank 0's full initial weights, so the
    initial model is the same for any number of processes (DTensor random init on CPU meshes is per shard)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    model.to_empty(device=info.device)
    full = build_full_state() if info.main else {}
    set_model_state_dict(
        model, full, options=StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)
    )


def model_state(model: nn.Module, info: DistInfo) -> dict:
    """Full state dict on CPU (gathered from the shards on every rank; rank 0 writes it)."""
    if not info.sharded:
        return {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def optim_state(model: nn.Module, opt: torch.optim.Optimizer, info: DistInfo) -> dict:
    if not info.sharded:
        return opt.state_dict()
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

    return get_optimizer_state_dict(
        model, opt, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
    )


def load_states(
    model: nn.Module, opt: torch.optim.Optimizer, model_sd: dict, optim_sd: dict, info: DistInfo
) -> None:
    if not info.sharded:
        model.load_state_dict(model_sd)
        opt.load_state_dict(optim_sd)
        return
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

    set_state_dict(model, opt, model_state_dict=model_sd, optim_state_dict=optim_sd,
                   options=StateDictOptions(full_state_dict=True))  # fmt: skip


def all_reduce_sum(values: list[float], info: DistInfo) -> list[float]:
    if not info.sharded:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return t.tolist()


def barrier(info: DistInfo) -> None:
    if info.sharded:
        dist.barrier()


def shutdown(info: DistInfo) -> None:
    if info.sharded and dist.is_initialized():
        dist.destroy_process_group()
