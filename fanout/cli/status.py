"""`fanout status`: queue and DLQ depths for every consumer."""

from typing import Annotated

import typer
from rich.table import Table

from fanout.aws import sync_client
from fanout.cli.output import print_json, print_table
from fanout.topology import TopologyClient, declared_topology
from fanout.topology.depth import read_depth


def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Queue depth (visible, in flight, delayed) and DLQ depth per consumer."""
    sqs = sync_client("sqs")
    deployed = TopologyClient(sync_client("sns"), sqs).resolve(declared_topology())
    rows = []
    for name, resources in deployed.consumers.items():
        queue, dlq = read_depth(sqs, resources.queue.url), read_depth(sqs, resources.dlq.url)
        rows.append(
            {
                "consumer": name,
                "visible": queue.visible,
                "in_flight": queue.in_flight,
                "delayed": queue.delayed,
                "dlq": dlq.total,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table("consumer", "visible", "in flight", "delayed", "dlq")
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    print_table(table)
