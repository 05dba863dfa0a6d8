NAME = "curate"
HELP = "Curate web data (WARC / HTML / JSONL / Parquet) into WebDocument shards: extract, LID, filters, PII, dedup, decontamination."
EXAMPLE = "datamill --store store curate configs/curate_demo.yaml"


def add_arguments(p):
    p.add_argument("config", help="YAML config (curation/config.py CurateConfig)")


def run(args) -> int:
    from curation.job import run_curate
    from datamill.store import Store

    report = run_curate(args.config, Store(args.store))
    print(report.summary())
    # non-zero only when nothing could be processed; quarantined inputs are counted in the summary
    return 0 if report.submitted or report.processed else 1
