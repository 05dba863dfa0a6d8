"""One module per `datamill` subcommand (see datamill/cli.py)."""
