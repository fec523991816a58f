"""Terminal output shared by the commands."""

import json
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def print_json(document: Any) -> None:
    """Print a JSON document to stdout, plain (no colour) so scripts can parse it."""
    print(json.dumps(document, indent=2, sort_keys=True, default=str))
