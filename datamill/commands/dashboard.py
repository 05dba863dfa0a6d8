import argparse

NAME = "dashboard"
HELP = (
    "Open the Streamlit dashboards (overview, browse, audit, verification, curation, long context, mixtures)."
)
EXAMPLE = "datamill --store demo_out/store dashboard --port 8501"


def add_arguments(p):
    p.add_argument("--store", default=argparse.SUPPRESS, help="store root (same as the global --store)")
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    p.add_argument("--dry-run", action="store_true", help="print the streamlit command instead of running it")


def run(args) -> int:
    import shlex
    import signal
    import subprocess
    import sys
    from pathlib import Path

    store = Path(args.store).resolve()
    if not (store / "catalog.duckdb").exists():
        raise FileNotFoundError(f"no catalog at {store}/catalog.duckdb (run `datamill demo` or a job first)")
    app = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--server.address",
        args.host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--",
        "--store",
        str(store),
    ]
    print(f"datamill dashboard: http://{args.host}:{args.port}  (store {store}; Ctrl+C stops)")
    if args.dry_run:
        print(shlex.join(cmd))
        return 0
    child = subprocess.Popen(cmd)

    def stop(signum, _frame):  # `kill <datamill pid>` must not leave the streamlit server behind
        child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl+C reaches both; give streamlit its clean shutdown
        child.terminate()
        child.wait(timeout=20)
        raise
