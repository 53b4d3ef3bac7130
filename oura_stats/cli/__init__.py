"""The command line: argparse only, one module per command; `main` maps errors to exit codes."""

from oura_stats.cli.main import main

__all__ = ["main"]
