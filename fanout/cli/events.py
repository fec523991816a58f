"""`fanout events`: the event registry and its JSON Schemas."""

from typing import Annotated, Any

import typer
from rich.table import Table

from fanout.cli.output import print_json, print_table
from fanout.contract.envelope import CloudEvent
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
    model = ORDER_EVENTS.model_for(event_type, version)
    print_json(CloudEvent[model].model_json_schema())  # type: ignore[valid-type]
