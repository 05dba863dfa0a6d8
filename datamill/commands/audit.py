NAME = "audit"
HELP = "Record an audit decision (accept/reject/flag) on a sample, or flush decisions journaled while the catalog was busy."
EXAMPLE = "datamill --store store audit gsm8k-0-r1 reject --reason wrong_answer --reviewer alice"


def add_arguments(p):
    p.add_argument("sample_id", nargs="?", help="catalog sample id")
    p.add_argument("decision", nargs="?", choices=("accept", "reject", "flag"))
    p.add_argument("--reason", default="", help="why (snake_case or free text)")
    p.add_argument("--reviewer", default="", help="your name (required with a decision)")
    p.add_argument("--flush", action="store_true", help="apply journaled decisions to the catalog and exit")


def run(args) -> int:
    from datamill import audits

    if args.flush or not args.sample_id:
        rep = audits.flush(args.store)
        print(f"applied {rep.applied} journaled decision(s); {rep.pending} still pending")
        for line in rep.bad_lines or []:
            print(f"  unreadable journal line {line}")
        return 1 if rep.pending else 0
    if not args.decision:
        raise ValueError("give a decision: accept, reject or flag")
    res = audits.record_audit(args.store, args.sample_id, args.decision, args.reason, args.reviewer)
    state = "in the catalog" if res.applied else "journaled (catalog busy; applied at the next flush)"
    print(f"{args.decision} {args.sample_id} by {args.reviewer}: {state}")
    return 0
