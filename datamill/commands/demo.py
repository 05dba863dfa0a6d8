NAME = "demo"
HELP = (
    "Run the whole flow on the embedded real sample: curate → SFT sets → mix → export → train a tiny model."
)
EXAMPLE = "datamill demo --out demo_out"


def add_arguments(p):
    p.add_argument("--out", default="demo_out", help="output directory (store, mixture, export, train)")
    p.add_argument("--train-steps", type=int, default=None, help="override the tiny trainer's step count")


def run(args) -> int:
    from datamill.demo import run_demo

    result = run_demo(args.out, train_steps=args.train_steps)
    empty = [
        d
        for d in ("math", "code", "logic", "world_knowledge", "multilingual", "long_context", "tool_use")
        if not any(r["domain"] == d and r["passed"] for r in result["domains"])
    ]
    if empty:
        print(f"demo: no passing samples for {', '.join(empty)}")
    return 0 if result["check_ok"] and not empty else 1
