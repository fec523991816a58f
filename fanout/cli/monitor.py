"""`fanout monitor`: watch every consumer's DLQ and alert on-call (or check once, for cron and CI)."""

import asyncio
from typing import Annotated, Any

import typer
from pydantic_settings import SettingsError
from rich.table import Table

from fanout.cli.output import console, print_json, print_table
from fanout.errors import ConfigurationError
from fanout.logs import configure_logging
from monitor.runner import check_once, run_forever
from monitor.service import QueueStatus
from monitor.settings import MonitorSettings

OVER_THRESHOLD_EXIT = 3


def monitor(
    once: Annotated[
        bool,
        typer.Option(
            "--once", help=f"Check once; exit {OVER_THRESHOLD_EXIT} if any DLQ is over its threshold."
        ),
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option("--interval", min=0.1, help="Seconds between checks (FANOUT_MONITOR_INTERVAL_S)."),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", min=0, max=65535, help="/metrics + /healthz port; 0 = off."),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            metavar="PATH|URL",
            help="Alert state: a SQLite file, or a postgresql:// URL to outlive the task "
            "(FANOUT_MONITOR_STATE_PATH).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: print JSON.")] = False,
) -> None:
    """Poll every DLQ, alert once per crossing, re-notify while firing, resolve when it drains."""
    overrides: dict[str, Any] = {"interval_s": interval, "metrics_port": metrics_port, "state_path": state}
    settings = monitor_settings({name: value for name, value in overrides.items() if value is not None})
    if not once:
        configure_logging(json=settings.log_json, level=settings.log_level)
        asyncio.run(run_forever(settings))
        return
    statuses = asyncio.run(check_once(settings))
    show(statuses, as_json)
    if any(status.over_threshold for status in statuses):
        raise typer.Exit(OVER_THRESHOLD_EXIT)


def monitor_settings(overrides: dict[str, Any]) -> MonitorSettings:
    """Settings from the environment; a value that cannot be parsed is one line (never the value)."""
    try:
        return MonitorSettings(**overrides)
    except SettingsError as error:
        field = str(error).split('"')[1] if '"' in str(error) else "a field"
        raise ConfigurationError(
            f"invalid settings: FANOUT_MONITOR_{field.upper()} cannot be parsed (lists and maps are JSON, "
            'e.g. ["https://hooks.example.com/..."])'
        ) from None


def show(statuses: list[QueueStatus], as_json: bool) -> None:
    rows: list[dict[str, Any]] = [
        {
            "consumer": status.reading.queue.consumer,
            "dlq": status.reading.queue.dlq.name,
            "depth": status.reading.depth,
            "threshold": status.thresholds.depth,
            "source_depth": status.reading.source_depth,
            "oldest": str(status.reading.oldest) if status.reading.oldest else None,
            "over_threshold": status.over_threshold,
            "firing": status.firing,
            "notice": status.notice.value if status.notice else None,
            "undelivered": status.undelivered,
            "firing_since": status.firing_since.isoformat() if status.firing_since else None,
        }
        for status in statuses
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("consumer", "dlq", "depth", "threshold", "source depth", "oldest", "alert")
    for row in rows:
        alert = "FIRING" if row["firing"] else "ok"
        table.add_row(
            row["consumer"],
            row["dlq"],
            str(row["depth"]),
            str(row["threshold"]),
            str(row["source_depth"]),
            row["oldest"] or "-",
            alert,
        )
    print_table(table)
    for row in rows:
        if row["undelivered"]:
            console.print(
                f"{row['dlq']}: not delivered to {', '.join(row['undelivered'])} (retried on the next check)",
                markup=False,
                soft_wrap=True,
            )
