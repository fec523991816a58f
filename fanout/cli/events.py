"""`fanout events`: the event registry and its JSON Schemas."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fanout.cli.output import console, err_console, print_json, print_table
from fanout.contract.registry import ORDER_EVENTS
from fanout.topology import declared_topology

app = typer.Typer(help="The event contract.", no_args_is_help=True)


@app.command("list")
def list_events(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every registered event type, its schema version, model and subscribed consumers."""
    topology = declared_topology()
    rows: list[dict[str, Any]] = [
        {
            "type": model.event_type,
            "version": model.schema_version,
            "model": f"{model.__module__}.{model.__qualname__}",
            "consumers": [c.name for c in topology.consumers if model.event_type in c.event_types],
        }
        for model in ORDER_EVENTS
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("type", "version", "model", "consumers")
    for row in rows:
        table.add_row(str(row["type"]), str(row["version"]), str(row["model"]), ", ".join(row["consumers"]))
    print_table(table)


@app.command("schema")
def schema(
    event_type: Annotated[str, typer.Argument(metavar="TYPE", help="Event type, e.g. order.placed.")],
    version: Annotated[int | None, typer.Option("--version", help="Schema version (default newest).")] = None,
) -> None:
    """The JSON Schema of an event's full envelope."""
    from fanout.contract.schemas import envelope_schema

    print_json(envelope_schema(ORDER_EVENTS.model_for(event_type, version)))


@app.command("lock")
def lock(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the snapshot here (default: stdout).")
    ] = None,
) -> None:
    """Snapshot the registry's schemas (commit it as contract/registry.lock.json)."""
    from fanout.contract.compatibility import snapshot

    text = json.dumps(snapshot(ORDER_EVENTS), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if output is None:
        print(text, end="")
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {output}")


@app.command("check")
def check(
    against: Annotated[Path, typer.Option("--against", help="A snapshot written by `fanout events lock`.")],
) -> None:
    """Fail (exit 1) when the registry breaks the contract recorded in a snapshot."""
    from fanout.contract.compatibility import additions, breaking_changes, load_snapshot, snapshot

    saved, current = load_snapshot(against), snapshot(ORDER_EVENTS)
    changes = breaking_changes(saved, current)
    for change in changes:
        err_console.print(f"breaking: {change}", markup=False, highlight=False)
    if changes:
        err_console.print(f"{len(changes)} breaking change(s) against {against}", markup=False)
        raise typer.Exit(1)
    added = additions(saved, current)
    note = f"; not yet in the snapshot: {', '.join(added)} (run `fanout events lock`)" if added else ""
    console.print(f"no breaking change against {against}{note}", markup=False, highlight=False)
