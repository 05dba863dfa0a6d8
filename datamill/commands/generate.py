from generators import GENERATORS

NAME = "generate"
HELP = f"Build an SFT / preference dataset into the store: {'|'.join(GENERATORS)}."
EXAMPLE = "datamill generate math configs/math.yaml"


def add_arguments(p):
    p.add_argument("kind", choices=sorted(GENERATORS))
    p.add_argument("config", help="YAML config")


def run(args) -> int:
    import sys
    from pathlib import Path

    from datamill.store import Store

    if not Path(args.config).is_file():
        raise FileNotFoundError(f"{args.config}: no such config file")

    reports = GENERATORS[args.kind](args.kind, args.config, Store(args.store))
    reports = reports if isinstance(reports, list) else [reports]
    for r in reports:
        print(r.summary())
        for e in r.errors[:20]:  # bad input items: file:line and why (the good ones were processed)
            print(f"  {e}", file=sys.stderr)
        if len(r.errors) > 20:
            print(f"  … and {len(r.errors) - 20} more", file=sys.stderr)
    return 0 if any(r.rows_written or r.parts_skipped for r in reports) else 1
