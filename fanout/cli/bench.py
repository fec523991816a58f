"""`fanout bench`: client CPU and publishing on a stub endpoint; throughput and latency on an endpoint.

The stub phases (`cpu`, `publish`, `instructions` under valgrind when it is installed, and a
`memory` soak) run against fanout's own SNS/SQS stub in its own process; the `throughput` and
`latency` phases against AWS_ENDPOINT_URL (or --endpoint-url) when set, else a moto server started
in its own process (moto is imported only then). Prints every figure (median and spread of the
rounds) beside its target; writes JSON.
"""

import os
from pathlib import Path
from typing import Annotated

import typer

from fanout.bench.instructions import check_valgrind, valgrind_path
from fanout.bench.report import table, write_document
from fanout.bench.run import DEFAULT_PHASES, ENDPOINT_PHASES, BenchConfig, Phase, run_bench
from fanout.cli.lazy import MissingExtra
from fanout.cli.output import console, err_console
from fanout.errors import ConfigurationError

MIN_INSTRUCTION_MESSAGES = 6  # two runs, a third of it and all of it, must differ
MAX_DEPTH = 1000  # moto scans the whole queue per call: deeper measures moto, not us


def _progress(message: str) -> None:
    err_console.print(f"[dim]bench:[/] {message}", highlight=False)


def _check_endpoint(phases: frozenset[Phase]) -> None:
    """Before anything runs: the endpoint phases without AWS_ENDPOINT_URL need moto (the local extra)."""
    if not phases & ENDPOINT_PHASES or os.environ.get("AWS_ENDPOINT_URL"):
        return
    try:
        import moto  # noqa: F401 - only to know that the embedded endpoint can start
    except ModuleNotFoundError:
        raise MissingExtra("bench", "local", "moto") from None


def resolve_phases(
    phases: frozenset[Phase], instructions: bool | None, *, explicit: bool
) -> frozenset[Phase]:
    """The phases to run: valgrind's phase needs valgrind when asked for, else only when installed."""
    if instructions is False:
        return phases - {Phase.INSTRUCTIONS}
    if instructions or (explicit and Phase.INSTRUCTIONS in phases):
        check_valgrind()
        return phases | {Phase.INSTRUCTIONS}
    if Phase.INSTRUCTIONS in phases and valgrind_path() is None:
        _progress("instructions: skipped, valgrind is not installed (apt-get install valgrind)")
        return phases - {Phase.INSTRUCTIONS}
    return phases


def _peers(wanted: bool) -> tuple[str, ...]:
    if not wanted:
        return ()
    from fanout.bench.peers import PEERS, installed_peers

    found = installed_peers()
    if not found:
        raise ConfigurationError(
            f"--peers needs the peer libraries ({', '.join(PEERS)}): pip install 'fanout[bench-peers]'"
        )
    return tuple(found)


def bench(
    messages: Annotated[
        int, typer.Option("--messages", min=10, help="Endpoint throughput: messages per run.")
    ] = BenchConfig.messages,
    depth: Annotated[
        int,
        typer.Option(
            "--depth", min=10, max=MAX_DEPTH, help="Endpoint throughput: queue depth kept while draining."
        ),
    ] = BenchConfig.depth,
    stub_messages: Annotated[
        int, typer.Option("--stub-messages", min=10, help="Stub client CPU: messages per run.")
    ] = BenchConfig.stub_messages,
    instruction_messages: Annotated[
        int,
        typer.Option(
            "--instruction-messages",
            min=MIN_INSTRUCTION_MESSAGES,
            help="Stub instructions: messages in the larger of the two callgrind runs.",
        ),
    ] = BenchConfig.instruction_messages,
    publish_events: Annotated[
        int, typer.Option("--publish-events", min=10, help="Stub publishing: events per batched run.")
    ] = BenchConfig.publish_events,
    publish_latency: Annotated[
        float,
        typer.Option("--publish-latency-ms", min=0, max=1000, help="Stub publishing: latency per call."),
    ] = BenchConfig.publish_latency_ms,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, max=50, help="Runs of each measured kind, interleaved.")
    ] = BenchConfig.rounds,
    peers: Annotated[
        bool, typer.Option("--peers", help="Also measure other SQS consumer libraries (bench-peers extra).")
    ] = False,
    rate: Annotated[
        float, typer.Option("--rate", min=0.1, max=1000, help="Latency phase: events published per second.")
    ] = BenchConfig.rate,
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.5, max=3600, help="Latency phase: how long to publish.")
    ] = BenchConfig.seconds,
    soak: Annotated[
        int | None,
        typer.Option(
            "--soak", min=1000, help="Memory phase: its own consumer run of N messages on the stub."
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
    seed: Annotated[int, typer.Option("--seed", help="Seed of the demo events.")] = BenchConfig.seed,
    instructions: Annotated[
        bool,
        typer.Option(
            "--instructions",
            help="Require the instructions phase (valgrind; by default it runs when valgrind is installed).",
        ),
    ] = False,
    no_instructions: Annotated[
        bool, typer.Option("--no-instructions", help="Skip the instructions phase (valgrind).")
    ] = False,
) -> None:
    """Benchmark the consumer runtime and the publishers on one endpoint; targets are shown, not enforced."""
    if instructions and no_instructions:
        raise ConfigurationError("--instructions and --no-instructions contradict each other: give one")
    wanted = True if instructions else False if no_instructions else None
    phases = resolve_phases(frozenset(only) if only else DEFAULT_PHASES, wanted, explicit=bool(only))
    _check_endpoint(phases)
    config = BenchConfig(
        messages=messages,
        depth=depth,
        stub_messages=stub_messages,
        instruction_messages=instruction_messages,
        publish_events=publish_events,
        publish_latency_ms=publish_latency,
        rounds=rounds,
        rate=rate,
        seconds=seconds,
        soak=soak,
        peers=_peers(peers),
        phases=phases,
        seed=seed,
    )
    results = run_bench(config, _progress)
    console.print(table(results))
    path = write_document(results, output)
    console.print(f"figures written to {path}", highlight=False)
