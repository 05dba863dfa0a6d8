NAME = "niah"
HELP = (
    "Needle-in-a-haystack grid over length × depth × language: build the eval set, answer it (engine or "
    "--answers JSONL), score RULER-style per cell, write <out>/niah_grid.json (green when all cells pass)."
)
EXAMPLE = "datamill niah configs/niah.yaml --answers answers.jsonl"


def add_arguments(p):
    p.add_argument("config", help="YAML config (generators.long_context.config.NiahConfig)")
    p.add_argument("--answers", help="JSONL of {id, answer} to score offline (overrides the config)")
    p.add_argument("--out", help="output directory (overrides the config)")


def run(args) -> int:
    from datamill.config import load_config
    from generators.long_context.config import NiahConfig
    from generators.long_context.niah import run_niah

    cfg = load_config(args.config, NiahConfig)
    cfg = cfg.model_copy(update={k: v for k, v in (("answers", args.answers), ("out", args.out)) if v})
    grid = run_niah(cfg, args.store)
    return 0 if grid is None or grid["green"] else 2
