NAME = "generate"
HELP = "Build an SFT / preference dataset into the store: math|code|logic|knowledge|multilingual|long-context|tool-use|preference."
EXAMPLE = "datamill generate math configs/math.yaml"

# kind → "module:function"; each function is run(kind, config_path, store) -> JobReport (or a list of them)
KINDS = {
    "math": "generators.reasoning.job:run",
    "code": "generators.reasoning.job:run",
    "logic": "generators.reasoning.job:run",
    "knowledge": "generators.knowledge.job:run",
    "multilingual": "generators.multilingual.job:run",
    "long-context": "generators.long_context.job:run",
    "tool-use": "generators.tool_use.job:run",
    "preference": "generators.preference.job:run",
}


def add_arguments(p):
    p.add_argument("kind", choices=sorted(KINDS))
    p.add_argument("config", help="YAML config")


def run(args) -> int:
    import importlib
    import sys
    from pathlib import Path

    from datamill.store import Store

    if not Path(args.config).is_file():
        raise FileNotFoundError(f"{args.config}: no such config file")

    module, fn = KINDS[args.kind].split(":")
    reports = getattr(importlib.import_module(module), fn)(args.kind, args.config, Store(args.store))
    reports = reports if isinstance(reports, list) else [reports]
    for r in reports:
        print(r.summary())
        for e in r.errors[:20]:  # bad input items: file:line and why (the good ones were processed)
            print(f"  {e}", file=sys.stderr)
        if len(r.errors) > 20:
            print(f"  … and {len(r.errors) - 20} more", file=sys.stderr)
    return 0 if any(r.rows_written or r.parts_skipped for r in reports) else 1
