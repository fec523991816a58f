"""Terminal output shared by the commands."""

import json
from typing import Any

from rich.console import Console
from rich.table import Table

UNBOUNDED_WIDTH = 10_000  # to measure a table's natural width

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one message, one line: grep-able when piped


def print_json(document: Any) -> None:
    """Print a JSON document to stdout, plain (no colour) so scripts can parse it."""
    print(json.dumps(document, indent=2, sort_keys=True, default=str))


def print_table(table: Table) -> None:
    """Print a table; when the terminal is too narrow for its values, say where to get them whole."""
    console.print(table)
    unbounded = console.options.update_width(UNBOUNDED_WIDTH)
    if console.measure(table, options=unbounded).maximum > console.width:
        console.print(f"(wrapped to {console.width} columns: --json prints the full values)", markup=False)
