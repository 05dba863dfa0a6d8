"""TransformersEngine: local Hugging Face causal LM (CPU or GPU), batched, n samples per prompt, seeded.

Local directories only (`local_files_only=True`): there is no network to fetch a hub id.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from datamill.engine.base import Completion, Engine, EngineConfig, Prompt, SamplingParams
from datamill.engine.errors import EngineConfigError
from schemas import render_exaone_chat

ASSISTANT = "[|assistant|]\n"


def local_model_dir(model: str) -> Path:
    p = Path(model).expanduser()
    if not p.is_dir():
        raise EngineConfigError(
            f"no network: pass a local model directory (engine.model={model!r} is not a directory here)"
        )
    return p


def generation_prompt(prompt: Prompt | str, reasoning: bool) -> tuple[str, str]:
    """(text fed to the model, prefill that starts the assistant turn). The prefill opens the <think> block in
    reasoning mode and is the empty think block otherwise (EXAONE 4.0 chat template); it is prepended to the
    returned completion text so the response reads whole."""
    prefill = "<think>\n" if reasoning else "<think>\n\n</think>\n\n"
    if isinstance(prompt, str):
        return prompt, ""
    return render_exaone_chat(prompt, reasoning=reasoning)[0] + ASSISTANT + prefill, prefill


def cut_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    cuts = [text.find(s) for s in stops if s and s in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


class TransformersEngine(Engine):
    def __init__(self, config: EngineConfig, cache=None):
        super().__init__(cache)
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = local_model_dir(config.model)
        self.config, self.model_name = config, path.name
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.tokenizer.padding_side = "left"  # decoder-only batching
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        device = (
            config.device if config.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        )
        dtype = getattr(torch, config.dtype) if config.dtype != "auto" else "auto"
        self.model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True, dtype=dtype).to(
            device
        )
        self.model.eval()
        self.device = device

    def _generate(self, prompts: list[Prompt | str], params: SamplingParams) -> list[list[Completion]]:
        return [comps for _, comps in self._batches(prompts, params)]

    def _stream(self, wanted, params):
        """Hands each batch's completions over as soon as the batch is done (the cache commits them)."""
        for t, comps in self._batches([p for p, _ in wanted], params):
            for j in wanted[t][1]:
                yield t, j, comps[j]

    def _batches(
        self, prompts: list[Prompt | str], params: SamplingParams
    ) -> Iterator[tuple[int, list[Completion]]]:
        import torch

        bs = max(1, self.config.batch_size)
        eos = self.tokenizer.eos_token_id
        special = {t for t in (self.tokenizer.pad_token, self.tokenizer.bos_token) if t}
        for b in range(0, len(prompts), bs):
            batch = [generation_prompt(p, params.reasoning) for p in prompts[b : b + bs]]
            enc = self.tokenizer(
                [t for t, _ in batch], return_tensors="pt", padding=True, add_special_tokens=False
            )
            enc = {k: v.to(self.device) for k, v in enc.items()}
            torch.manual_seed(params.seed + b)  # reproducible samples per (seed, batch position)
            sample = params.temperature > 0
            with torch.no_grad():
                gen = self.model.generate(
                    **enc,
                    max_new_tokens=params.max_tokens,
                    do_sample=sample,
                    num_return_sequences=params.n,
                    temperature=params.temperature if sample else None,
                    top_p=params.top_p if sample else None,
                    pad_token_id=self.tokenizer.pad_token_id,
                    eos_token_id=eos,
                )
            new = gen[:, enc["input_ids"].shape[1] :]
            for i, (_, prefill) in enumerate(batch):
                comps = []
                for j in range(params.n):
                    ids = new[i * params.n + j].tolist()
                    stopped = eos in ids
                    ids = ids[: ids.index(eos)] if stopped else ids
                    text = self.tokenizer.decode(ids, skip_special_tokens=False)
                    for tok in special:
                        text = text.replace(tok, "")
                    text, hit = cut_at_stop(text, params.stop)
                    finish = "stop" if (stopped or hit or len(ids) < params.max_tokens) else "length"
                    comps.append(
                        Completion(
                            text=prefill + text,
                            finish_reason=finish,
                            model=self.model_name,
                            meta={"completion_tokens": len(ids)},
                        )
                    )
                yield b + i, comps
