NAME = "check"
HELP = "Verify catalog ↔ shards: missing/extra/corrupt shards, checksum or row mismatches, duplicate ids."
EXAMPLE = "datamill --store store check"


def add_arguments(p):
    p.add_argument("--fast", action="store_true", help="skip checksums (sizes and row counts only)")


def run(args) -> int:
    from datamill.integrity import check
    from datamill.store import Store

    rep = check(Store(args.store), verify_checksums=not args.fast)
    print(rep.text())
    return 0 if rep.ok else 1
