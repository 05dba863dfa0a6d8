NAME = "index"
HELP = "Rebuild the catalog (datasets, shards, samples) from the Parquet shards in the store."
EXAMPLE = "datamill --store store index"


def add_arguments(p):
    pass


def run(args) -> int:
    from datamill.integrity import rebuild_index
    from datamill.store import Store

    counts = rebuild_index(Store(args.store))
    print(
        f"indexed {counts['shards']} shards, {counts['samples']} samples into {args.store}/catalog.duckdb"
        + (
            f"; {counts['audits']} audit decision(s) replayed from the audit log"
            if counts.get("audits")
            else ""
        )
    )
    for s in counts["skipped"]:
        print(f"  skipped {s}")
    return 1 if counts["skipped"] and not counts["shards"] else 0
