"""The `datamill` command. Each subcommand is a module in datamill/commands/ with NAME, HELP, EXAMPLE,
add_arguments(parser) and run(args) -> int; they are found by listing that folder, so adding a command
never touches this file. Heavy imports happen inside run()."""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import logging
import pkgutil
import sys
from collections.abc import Iterator

from datamill import commands
from datamill.errors import DatamillError
from schemas.errors import SchemaError

# Library code only logs (`logging.getLogger(__name__)`); the CLI alone decides where the records of our packages go.
PACKAGES = ("curation", "dashboards", "datamill", "filters", "generators", "schemas", "train_entry")
# the model engine's reports (outages, dropped samples, the per-endpoint table) stay on stderr beside its progress bar
STDERR_LOGGERS = ("datamill.engine",)

# Errors that mean "bad input or environment": one line on stderr, exit 2, no traceback. Anything else (a
# ValueError, KeyError, AttributeError … from our own code) is a bug and keeps its traceback. Every error a user can
# cause is a DatamillError; SchemaError (a bad record in a file) is named here because schemas/ imports nothing of
# the project. The OSError subclasses are a path the user gave that is missing, a directory, or not readable.
CLEAN_ERRORS: tuple[type[BaseException], ...] = (
    DatamillError,
    SchemaError,
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)
# A plain OSError is the machine, not the code, only for these: disk full, over quota, file too large, read-only
# file system, permissions, too many open files, a path too long. (EIO, EBADF, EINVAL … stay tracebacks.)
ENVIRONMENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EMFILE,
        errno.ENFILE,
        errno.ENAMETOOLONG,
    }
)


def is_user_error(e: BaseException) -> bool:
    """True for the errors the CLI shows as one line (bad input or environment), False for bugs."""
    return isinstance(e, CLEAN_ERRORS) or (isinstance(e, OSError) and e.errno in ENVIRONMENT_ERRNOS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="datamill",
        description="Curate web data, build verified SFT sets, mix, export and train (EXAONE 4.0 recipe).",
    )
    parser.add_argument(
        "--store", default="store", help="store root: shards + catalog.duckdb (default ./store)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"datamill.commands.{info.name}")
        p = sub.add_parser(
            mod.NAME,
            help=mod.HELP,
            description=mod.HELP,
            epilog=f"example: {mod.EXAMPLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _for_stderr(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or any(
        record.name == name or record.name.startswith(f"{name}.") for name in STDERR_LOGGERS
    )


@contextlib.contextmanager
def terminal_logging() -> Iterator[None]:
    """INFO records of our packages as plain message lines on stdout (what the commands show as they work),
    warnings and errors on stderr; third-party loggers are left alone. Undone on exit, so `main()` called twice
    (tests) leaves no handler behind and writes to the sys.stdout / sys.stderr current at the call."""
    out, err = (
        logging.StreamHandler(sys.stdout),
        logging.StreamHandler(sys.stderr),
    )  # default format: the message
    out.addFilter(lambda record: not _for_stderr(record))
    err.addFilter(_for_stderr)
    loggers = [logging.getLogger(name) for name in PACKAGES]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.INFO)
        lg.addHandler(out)
        lg.addHandler(err)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.removeHandler(out)
            lg.removeHandler(err)
            lg.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    with terminal_logging():
        fleets = sys.modules.get("datamill.engine.fleet")  # loaded only if model servers were called before
        if fleets is not None:
            fleets.mark_tables_logged()
        try:
            return int(args._run(args) or 0)
        except KeyboardInterrupt:
            print("datamill: interrupted (re-run the same command to resume)", file=sys.stderr)
            return 130
        except Exception as e:
            if not is_user_error(e):
                raise  # a bug: the traceback is what finds it
            print(f"datamill {args.command}: error: {e}", file=sys.stderr)
            return 2
        finally:
            fleets = sys.modules.get(
                "datamill.engine.fleet"
            )  # loaded only if the command called model servers
            if fleets is not None:
                fleets.log_tables()  # the per-endpoint table of each fleet, once the command is done


if __name__ == "__main__":
    sys.exit(main())
