"""`fanout consume NAME`: run one consumer service on its queue until SIGTERM/SIGINT.

Production never creates infrastructure: the consumer verifies its part of the deployed topology
and refuses to start on drift (unless --no-verify). `--check` only verifies and reports.
"""

import asyncio
from typing import Annotated, Any

import typer

from consumers.runtime.launch import serve
from consumers.runtime.service import Service
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.cli.output import console, err_console
from fanout.errors import ConfigurationError, FanoutError
from fanout.topology import TopologyClient, declared_topology


class TopologyDrift(FanoutError):
    """The deployed queues or subscription differ from the declaration."""


def service_class(name: str) -> type[Service]:
    """The catalog's service called `name`."""
    from consumers.catalog import SERVICES

    if name not in SERVICES:
        raise ConfigurationError(f"unknown consumer {name!r} (known: {', '.join(SERVICES)})")
    return SERVICES[name]


def settings_bounds(field: str) -> dict[str, Any]:
    """The flag bounds (`min`, `max`) of a ConsumerSettings field: the settings' own, not a copy."""
    metadata: list[Any] = ConsumerSettings.model_fields[field].metadata  # pydantic's Ge/Le markers
    return {
        "min": next(item.ge for item in metadata if hasattr(item, "ge")),
        "max": next(item.le for item in metadata if hasattr(item, "le")),
    }


def consume(
    name: Annotated[str, typer.Argument(help="The consumer service: email, inventory or analytics.")],
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            **settings_bounds("concurrency"),
            help="Handlers running at once (FANOUT_CONSUMER_CONCURRENCY).",
        ),
    ] = None,
    wait: Annotated[
        int | None,
        typer.Option(
            "--wait",
            **settings_bounds("wait_time_s"),
            help="Long-poll wait in seconds, 0-20 (FANOUT_CONSUMER_WAIT_TIME_S).",
        ),
    ] = None,
    no_verify: Annotated[
        bool,
        typer.Option("--no-verify", help="Start even if the deployed topology differs from the declaration."),
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only verify the endpoint and this consumer's topology; exit 0 or 1."),
    ] = False,
) -> None:
    """Consume NAME's queue: handlers run concurrently, failures retry with backoff or go to the DLQ."""
    service = service_class(name)()  # its own settings are validated here, before any network call
    overrides: dict[str, Any] = {"concurrency": concurrency, "wait_time_s": wait}
    settings = ConsumerSettings(**{key: value for key, value in overrides.items() if value is not None})
    topology = declared_topology()
    client = TopologyClient(sync_client("sns"), sync_client("sqs"))
    if check or not no_verify:
        drifts = client.verify(topology, [name])
        for drift in drifts:
            err_console.print(f"drift: {drift}", markup=False)
        if check:
            if drifts:
                raise typer.Exit(1)
            console.print(f"{name}: endpoint reachable, topology matches the declaration", markup=False)
            return
        if drifts:
            raise TopologyDrift(f"{len(drifts)} topology drift(s) for {name}; fix them or pass --no-verify")
    queue = client.queue_ref(topology.queue_name(name))
    dlq = client.queue_ref(topology.dlq_name(name))
    asyncio.run(serve(service, queue.url, dlq.url, settings))
