"""`fanout bench`: the endpoint's ceiling, the consumer runtime, publishing, latency and memory.

Runs against AWS_ENDPOINT_URL (or --endpoint-url) when set, else against a moto server it starts
in a separate process. Prints the figures beside their targets and writes them as JSON.
"""

from pathlib import Path
from typing import Annotated

import typer

from fanout.bench.report import table, write_document
from fanout.bench.run import BenchConfig, Phase, run_bench
from fanout.cli.output import console, err_console

MAX_DEPTH = 1000  # moto scans the whole queue per call: deeper measures moto, not us


def _progress(message: str) -> None:
    err_console.print(f"[dim]bench:[/] {message}", highlight=False)


def bench(
    messages: Annotated[
        int,
        typer.Option("--messages", min=10, help="Messages per throughput phase; events per publish method."),
    ] = 500,
    depth: Annotated[
        int,
        typer.Option(
            "--depth", min=10, max=MAX_DEPTH, help="Queue depth kept while draining; publish chunk size."
        ),
    ] = 50,
    rate: Annotated[
        float, typer.Option("--rate", min=0.1, max=1000, help="Latency phase: events published per second.")
    ] = 20.0,
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.5, max=3600, help="Latency phase: how long to publish.")
    ] = 10.0,
    soak: Annotated[
        int | None,
        typer.Option(
            "--soak", min=1000, help="Memory phase: its own consumer run of N messages (RSS every 10k)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", help="JSON file (or directory) to write; default benchmarks/results/."),
    ] = None,
    only: Annotated[
        list[Phase] | None,
        typer.Option("--only", help="Run only this phase (repeatable)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the demo events.")] = 7,
) -> None:
    """Benchmark the consumer runtime and the publishers on one endpoint; targets are shown, not enforced."""
    config = BenchConfig(
        messages=messages,
        depth=depth,
        rate=rate,
        seconds=seconds,
        soak=soak,
        phases=frozenset(only) if only else frozenset(Phase),
        seed=seed,
    )
    results = run_bench(config, _progress)
    console.print(table(results))
    path = write_document(results, output)
    console.print(f"figures written to {path}", highlight=False)
