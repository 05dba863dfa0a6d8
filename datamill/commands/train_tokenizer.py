NAME = "train-tokenizer"
HELP = "Train a byte-level BPE tokenizer with the EXAONE 4.0 special tokens (for tests and demos)."
EXAMPLE = "datamill train-tokenizer --out tok/ --vocab-size 8192 examples/data/niah/*.txt"


def add_arguments(p):
    p.add_argument("inputs", nargs="*", help="text files (.txt, .jsonl) to train on; default: the demo data")
    p.add_argument("--out", required=True, help="output directory (a HF tokenizer directory)")
    p.add_argument("--vocab-size", type=int, default=8192)


def run(args) -> int:
    from pathlib import Path

    from datamill.demo_data import tokenizer_corpus
    from train_entry.tokenizer import train_tokenizer

    files = [Path(f) for f in args.inputs] if args.inputs else None
    out = train_tokenizer(tokenizer_corpus(files), args.out, args.vocab_size)
    print(f"tokenizer written to {out}")
    return 0
