NAME = "train"
HELP = (
    "Train the EXAONE-4.0-style hybrid-attention model on a packed export (resumes from the last checkpoint)."
)
EXAMPLE = "datamill train configs/train/demo.yaml --data out/demo/packed --out runs/demo --max-steps 300"


def add_arguments(p):
    p.add_argument("config", help="train config YAML (configs/train/*.yaml)")
    p.add_argument("--data", help="override: packed export directory")
    p.add_argument("--out", dest="out_dir", help="override: run directory (checkpoints, log.jsonl, hf/)")
    p.add_argument("--max-steps", type=int, help="override: optimizer steps")
    p.add_argument("--lr", type=float, help="override: peak learning rate")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="override: device")
    p.add_argument("--no-resume", action="store_true", help="start from scratch even if checkpoints exist")


def run(args) -> int:
    import os

    from train_entry.train import summary_json, train

    s = train(args.config, resume=not args.no_resume, data=args.data, out_dir=args.out_dir,
              max_steps=args.max_steps, lr=args.lr, device=args.device)  # fmt: skip
    if os.environ.get("RANK", "0") == "0":  # under torchrun only rank 0 reports
        print(summary_json(s))
    return 0
