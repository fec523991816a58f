"""`fanout topology`: apply, show and verify the declared topology on an endpoint."""

from typing import Annotated

import typer
from rich.table import Table

from fanout.aws import sync_client
from fanout.cli.output import console, err_console, print_json, print_table
from fanout.topology import DeployedTopology, TopologyClient, declared_topology

app = typer.Typer(help="The SNS topic, consumer queues, DLQs and subscriptions.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def topology_client() -> TopologyClient:
    return TopologyClient(sync_client("sns"), sync_client("sqs"))


def show_deployed(deployed: DeployedTopology, as_json: bool) -> None:
    if as_json:
        print_json(deployed.as_dict())
        return
    console.print(f"topic  {deployed.topic_arn}")
    table = Table("consumer", "queue", "dlq", "subscribed")
    for name, resources in deployed.consumers.items():
        table.add_row(
            name, resources.queue.url, resources.dlq.url, "yes" if resources.subscription_arn else "NO"
        )
    print_table(table)


@app.command()
def apply(as_json: JsonOption = False) -> None:
    """Create or update the topology (idempotent). For Terraform-managed AWS, use `verify`."""
    show_deployed(topology_client().apply(declared_topology()), as_json)


@app.command()
def show(as_json: JsonOption = False) -> None:
    """Print the topic ARN and each consumer's queue and DLQ URLs and ARNs."""
    show_deployed(topology_client().resolve(declared_topology()), as_json)


@app.command()
def verify(
    consumer: Annotated[
        list[str] | None, typer.Option("--consumer", help="Only this consumer (repeatable).")
    ] = None,
) -> None:
    """Check the deployment matches the declaration without changing anything; exit 1 on drift."""
    drifts = topology_client().verify(declared_topology(), consumer)
    for drift in drifts:
        err_console.print(f"drift: {drift}", markup=False)
    if drifts:
        raise typer.Exit(1)
    console.print("topology matches the declaration")
