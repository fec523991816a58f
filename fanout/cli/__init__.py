"""The `fanout` command line."""

from fanout.cli.app import main

__all__ = ["main"]
