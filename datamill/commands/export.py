NAME = "export"
HELP = (
    "Export a mixture manifest: chat Parquet/JSONL (OpenAI messages, DPO pairs) + dataset card, and "
    "EXAONE-rendered tokens packed into fixed-length sequences with an assistant-only loss mask."
)
EXAMPLE = "datamill --store store export store/_mixtures/demo/manifest.json --out out/demo --seq-len 1024"


def add_arguments(p):
    p.add_argument("manifest", help="manifest.json written by `datamill mix`")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--tokenizer", default=None, help="local HF tokenizer dir (default examples/tokenizer)")
    p.add_argument("--seq-len", type=int, default=4096, help="packed sequence length (default 4096)")
    p.add_argument(
        "--overlong",
        choices=["split", "drop"],
        default="split",
        help="samples longer than --seq-len: split into pieces or drop (counted either way)",
    )
    p.add_argument("--formats", default="chat,packed", help="comma list of chat,packed (default both)")


def run(args) -> int:
    from datamill.export import export
    from datamill.store import Store

    report = export(
        args.manifest,
        Store(args.store),
        args.out,
        args.tokenizer,
        args.seq_len,
        args.overlong,
        tuple(f.strip() for f in args.formats.split(",") if f.strip()),
    )
    print(report.table())
    print(f"written to {report.out_dir}")
    return 0
