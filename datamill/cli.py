"""The `datamill` command. Each subcommand is a module in datamill/commands/ with NAME, HELP, EXAMPLE,
add_arguments(parser) and run(args) -> int; they are found by listing that folder, so adding a command
never touches this file. Heavy imports happen inside run()."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from datamill import commands
from datamill.errors import DatamillError

# Errors that mean "bad input or environment": one line on stderr, exit 2, no traceback.
CLEAN_ERRORS: tuple[type[BaseException], ...] = (DatamillError, FileNotFoundError, ValueError, PermissionError, OSError, KeyError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="datamill",
        description="Curate web data, build verified SFT sets, mix, export and train (EXAONE 4.0 recipe).",
    )
    parser.add_argument("--store", default="store", help="store root: shards + catalog.duckdb (default ./store)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"datamill.commands.{info.name}")
        p = sub.add_parser(
            mod.NAME, help=mod.HELP, description=mod.HELP, epilog=f"example: {mod.EXAMPLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    # the model engine logs endpoint outages, dropped samples and, when done, its per-endpoint table
    engine_log, shown = logging.getLogger("datamill.engine"), logging.StreamHandler(sys.stderr)
    level = engine_log.level
    engine_log.addHandler(shown)
    engine_log.setLevel(logging.INFO)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("datamill: interrupted (re-run the same command to resume)", file=sys.stderr)
        return 130
    except CLEAN_ERRORS as e:
        print(f"datamill {args.command}: error: {e}", file=sys.stderr)
        return 2
    finally:
        fleets = sys.modules.get("datamill.engine.fleet")  # loaded only if the command called model servers
        if fleets is not None:
            fleets.log_tables()
        engine_log.removeHandler(shown)
        engine_log.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
