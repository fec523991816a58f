"""`fanout dev`: the whole system locally — endpoint, topology, consumers, monitor, demo events, live view."""

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fanout.cli.output import console
from fanout.dev.dashboard import consumers_table
from fanout.dev.environment import DevEnvironment, dev_environment
from fanout.dev.run import DevOptions, DevRun
from fanout.logs import configure_logging

DEFAULT_STATE_DIR = Path(".fanout/dev")


def _introduce(env: DevEnvironment) -> None:
    """Where everything is, and how to reach it from another terminal."""
    kind = "embedded moto server, lives as long as this command" if env.embedded else "from AWS_ENDPOINT_URL"
    console.print(f"endpoint: {env.endpoint_url} ({kind})", markup=False, highlight=False, soft_wrap=True)
    exports = {
        "AWS_ENDPOINT_URL": env.endpoint_url,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", ""),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        "AWS_REGION": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "FANOUT_ENV": env.topology.declared.prefix,
        # the run's databases and alert state: other terminals share them
        "FANOUT_STATE_DIR": str(env.state_dir.resolve()),
    }
    if env.smtp is not None:  # so a second `fanout consume email` sends to the same sink
        exports.update(env.smtp.settings_env())
    if env.topology.declared.fifo:
        exports["FANOUT_TOPOLOGY_FIFO"] = "true"
    if env.embedded:
        line = " ".join(f"{name}={value}" for name, value in exports.items())
        console.print(f"other terminals: export {line}", markup=False, highlight=False, soft_wrap=True)
        console.print(
            "  then (in .venv): fanout status | fanout dlq list | fanout consume email", markup=False
        )
    if env.smtp is not None:
        console.print(f"SMTP sink: {env.smtp.host}:{env.smtp.port}", markup=False, highlight=False)
    console.print(f"state and log: {env.state_dir}/ (dev.log)", markup=False, highlight=False)


def _summary(rows: Table, published: int, mail: int, message: str, ok: bool) -> None:
    console.print(rows)
    console.print(f"published {published} event(s); mail received by the SMTP sink: {mail}", markup=False)
    console.print(f"{'ok' if ok else 'FAILED'}: {message}", style="green" if ok else "bold red", markup=False)


def dev(
    events: Annotated[
        int | None,
        typer.Option(
            "--events", min=1, help="Publish N events, exit 0 once every consumer handled its share."
        ),
    ] = None,
    rate: Annotated[
        float, typer.Option("--rate", min=0.1, max=1000, help="Events published per second.")
    ] = 5.0,
    poison: Annotated[
        int,
        typer.Option("--poison", min=0, help="Also send N undecodable messages (they must end in the DLQs)."),
    ] = 0,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="With --events: seconds to wait for every event.")
    ] = 120.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the demo order stream.")] = None,
    dashboard_port: Annotated[
        int, typer.Option("--dashboard-port", min=0, max=65535, help="Port of the dashboard (0: a free one).")
    ] = 0,
    state_dir: Annotated[
        Path, typer.Option("--state-dir", help="Databases, monitor state and dev.log of the run.")
    ] = DEFAULT_STATE_DIR,
) -> None:
    """Run the whole system locally: endpoint, topology, the three consumers, the monitor, demo events."""
    options = DevOptions(
        events=events, rate=rate, poison=poison, timeout_s=timeout, seed=seed, dashboard_port=dashboard_port
    )
    with dev_environment(state_dir) as env:
        configure_logging(json=False, level="INFO", file=state_dir / "dev.log")
        _introduce(env)
        verdict, snapshot = asyncio.run(DevRun(env, options, console).run())
    _summary(consumers_table(snapshot), snapshot.published, snapshot.mail_count, verdict.message, verdict.ok)
    if not verdict.ok:
        raise typer.Exit(1)
