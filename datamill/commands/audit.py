NAME = "audit"
HELP = "Record an audit decision (accept/reject/flag) on a sample, or flush decisions journaled while the catalog was busy."
EXAMPLE = "datamill --store store audit gsm8k-0-r1 reject --reason wrong_answer --reviewer alice"


def add_arguments(p):
    p.add_argument("sample_id", nargs="?", help="catalog sample id")
    p.add_argument("decision", nargs="?", choices=("accept", "reject", "flag"))
    p.add_argument("--reason", default="", help="why (snake_case or free text)")
    p.add_argument("--reviewer", default="", help="your name (required with a decision)")
    p.add_argument("--flush", action="store_true", help="apply journaled decisions to the catalog and exit")
    p.add_argument(
        "--unchecked",
        action="store_true",
        help="record without checking that the id is in the catalog (e.g. while a batch job holds it)",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for a catalog locked by another process (default 10)",
    )


def run(args) -> int:
    from datamill import audits, catalog
    from datamill.errors import DatamillError, InputError

    if args.flush or not args.sample_id:
        rep = audits.flush(args.store, timeout_s=args.wait)
        if rep.busy:
            waiting = "" if rep.pending is None else f" ({rep.pending} not yet in the catalog)"
            print(
                f"catalog busy (another process holds it): decisions stay in the audit log{waiting} and are "
                "applied by the next flush"
            )
        else:
            print(f"applied {rep.applied} journaled decision(s); 0 still pending")
        for line in rep.bad_lines or []:
            print(f"  unreadable journal line {line}")
        return 1 if rep.busy else 0
    if not args.decision:
        raise InputError("give a decision: accept, reject or flag")
    if not args.unchecked:  # a typo must not become a decision on nothing (checked read-only)
        try:
            unknown = audits.unknown_sample_ids(args.store, [args.sample_id], timeout_s=args.wait)
        except catalog.CatalogBusy:
            raise DatamillError(
                f"cannot check that {args.sample_id} exists: the catalog in {args.store} is locked "
                f"by another process (a batch job?) for over {args.wait:g} s; retry when it is done, "
                "or add --unchecked to record the decision now (applied at the next flush)"
            ) from None
        if unknown:
            raise DatamillError(
                f"sample id(s) not in the catalog {args.store}/catalog.duckdb: {', '.join(unknown)} "
                "(nothing recorded)"
            )
    res = audits.record_audit(
        args.store, args.sample_id, args.decision, args.reason, args.reviewer, timeout_s=args.wait
    )
    state = (
        "in the catalog"
        if res.applied
        else "journaled (catalog busy; applied at the next flush)"
        if not res.error
        else f"journaled; the catalog was not updated ({res.error})"
    )
    print(f"{args.decision} {args.sample_id} by {args.reviewer}: {state}")
    return 0
