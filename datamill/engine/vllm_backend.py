"""VLLMEngine: vLLM offline inference (`vllm.LLM`): the n samples of a prompt are one request
(SamplingParams(n=...)), and prefix caching is on, so they share the prompt's KV blocks (as do prompts that
share a system or few-shot prefix). Several GPUs: `tensor_parallel_size` splits one model; for data parallel
run `vllm serve --data-parallel-size N` (or one server per GPU) and use backend `openai` (docs/USER_GUIDE.md 7).

vLLM is an optional extra (GPU only; it cannot run on the CPU machines): imported inside, with a one-line error.
"""

from __future__ import annotations

from datamill.engine.base import Completion, Engine, EngineConfig, Prompt, SamplingParams
from datamill.engine.errors import BackendMissing
from datamill.engine.transformers_backend import cut_at_stop, generation_prompt, local_model_dir


def _import_vllm():
    try:
        import vllm
    except ImportError:
        raise BackendMissing(
            "engine.backend 'vllm' needs the optional vllm package (GPU machines: pip install vllm); "
            "on CPU use backend 'transformers' or an OpenAI-compatible server ('openai')"
        ) from None
    return vllm


class VLLMEngine(Engine):
    def __init__(self, config: EngineConfig, cache=None):
        super().__init__(cache)
        vllm = _import_vllm()
        path = local_model_dir(config.model)
        self.config, self.model_name = config, path.name
        self._vllm = vllm
        self.llm = vllm.LLM(
            model=str(path),
            tensor_parallel_size=config.tensor_parallel_size,
            dtype=config.dtype,
            enable_prefix_caching=config.prefix_caching,
            trust_remote_code=False,
        )

    def _generate(self, prompts: list[Prompt | str], params: SamplingParams) -> list[list[Completion]]:
        sp = self._vllm.SamplingParams(
            n=params.n,
            temperature=params.temperature,
            top_p=params.top_p,
            max_tokens=params.max_tokens,
            seed=params.seed,
            stop=list(params.stop) or None,
        )
        rendered = [generation_prompt(p, params.reasoning) for p in prompts]
        results = self.llm.generate([t for t, _ in rendered], sp)
        out = []
        for (_, prefill), res in zip(rendered, results):
            comps = []
            for o in res.outputs:
                text, _ = cut_at_stop(o.text, params.stop)
                comps.append(
                    Completion(
                        text=prefill + text,
                        finish_reason=o.finish_reason or "stop",
                        model=self.model_name,
                        meta={"completion_tokens": len(o.token_ids)},
                    )
                )
            out.append(comps)
        return out
