"""`fanout outbox init | relay | status`: the transactional outbox's table, relay and status.

Command modules are imported inside each command, so `fanout --help` stays fast.
"""

from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Transactional outbox: create it, relay it to SNS, report on it.", no_args_is_help=True
)

DatabaseUrlOption = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="FANOUT_OUTBOX_DATABASE_URL",
        help="postgresql://user@host/db or sqlite:///path of the outbox.",
    ),
]


@app.command("init")
def init(
    database_url: DatabaseUrlOption = "",
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the DDL instead of running it (for migration tools).")
    ] = False,
    engine: Annotated[
        str, typer.Option("--engine", help="With --sql and no URL: postgresql or sqlite.")
    ] = "postgresql",
) -> None:
    """Create the outbox table, its indexes and (PostgreSQL) its NOTIFY trigger; safe to run again."""
    from producer.outbox.schema import ddl_script
    from producer.outbox.urls import DatabaseUrl

    if sql:
        if database_url:
            print(ddl_script(DatabaseUrl.parse(database_url).engine), end="")
        elif engine in ("postgresql", "sqlite"):
            print(ddl_script("postgresql" if engine == "postgresql" else "sqlite"), end="")
        else:
            raise typer.BadParameter("use postgresql or sqlite", param_hint="--engine")
        return
    from producer.outbox.admin import create_outbox

    url = create_outbox(require(database_url))
    print(f"outbox ready in {url.masked}")


@app.command("relay")
def relay(
    database_url: DatabaseUrlOption = "",
    once: Annotated[
        bool,
        typer.Option("--once", help="Publish everything pending, then exit (non-zero if some could not be)."),
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", min=1, max=10_000, help="Rows claimed per round.")
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", min=0, max=65535, help="/healthz + /metrics port; 0 = off."),
    ] = None,
    max_message_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-message-bytes",
            min=1,
            help="The topic's MaximumMessageSize, per message and per batch (default 262144; ≤ 1048576).",
        ),
    ] = None,
    payload_bucket: Annotated[
        str,
        typer.Option(
            "--payload-bucket",
            envvar="FANOUT_PAYLOAD_BUCKET",
            help="S3 bucket for events over the size limit.",
        ),
    ] = "",
) -> None:
    """Publish staged events to the topic: claim, publish in batches of 10, mark published.

    Runs until SIGTERM (drains the round in progress), with /healthz and /metrics.

    --once publishes what is pending and exits (1 when some could not be: they stay pending).
    """
    import asyncio

    from fanout.logs import configure_logging
    from producer.entries import DEFAULT_MAX_MESSAGE_BYTES
    from producer.options import PublishOptions
    from producer.outbox.runner import publish_pending, run_forever
    from producer.outbox.settings import OutboxSettings

    overrides: dict[str, Any] = {"batch_size": batch_size, "metrics_port": metrics_port}
    settings = OutboxSettings(
        database_url=require(database_url),
        **{name: value for name, value in overrides.items() if value is not None},
    )
    options = PublishOptions(
        max_message_bytes=max_message_bytes or DEFAULT_MAX_MESSAGE_BYTES,
        payload_bucket=payload_bucket or None,
    )
    if once:
        published = publish_pending(settings, options)
        print(f"published {published} event(s)")
        return
    configure_logging(json=settings.log_json, level=settings.log_level)
    asyncio.run(run_forever(settings, options))


@app.command("status")
def status(
    database_url: DatabaseUrlOption = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Pending events, the oldest one's age, failing ones, published ones still kept."""
    from fanout.cli.output import print_json
    from producer.outbox.admin import outbox_status

    current = outbox_status(require(database_url))
    if as_json:
        print_json(current.as_dict())
        return
    for name, value in current.as_dict().items():
        print(f"{name}: {value}")


def require(database_url: str) -> str:
    if not database_url:
        raise typer.BadParameter(
            "give --database-url or set FANOUT_OUTBOX_DATABASE_URL", param_hint="--database-url"
        )
    return database_url
