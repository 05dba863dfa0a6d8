NAME = "train-classifier"
HELP = (
    "Train the fastText educational-value classifier (DCLM manner) and print its held-out precision/recall."
)
EXAMPLE = "datamill train-classifier --out curation/models/edu_fasttext.ftz"


def add_arguments(p):
    p.add_argument("--out", default=None, help="model file (default curation/models/edu_fasttext.ftz)")
    p.add_argument(
        "--data", default=None, help="data root (default ../shared/data when present, else examples/data)"
    )
    p.add_argument("--no-quantize", action="store_true", help="keep the full-size model")


def run(args) -> int:
    from pathlib import Path

    from curation.edu_classifier import DEFAULT_MODEL, train_edu_classifier

    out = args.out or DEFAULT_MODEL
    m = train_edu_classifier(out, Path(args.data) if args.data else None, quantize=not args.no_quantize)
    print(
        f"saved {out} ({Path(out).stat().st_size / 1e6:.1f} MB); trained on {m['train']} examples from {m['data_root']}"
    )
    print(
        f"held-out ({m['heldout']} examples, {m['heldout_positive']} positive) at P>={m['threshold']}: "
        f"precision {m['precision']:.3f}, recall {m['recall']:.3f}"
    )
    return 0
