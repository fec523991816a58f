"""The run as a table of figures beside their targets, and as a JSON document.

Targets are printed, never asserted: the figures depend on the endpoint and the machine.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from fanout.bench.client_cpu import RAW
from fanout.bench.memory import FLAT_GROWTH_PCT
from fanout.bench.run import BenchResults
from fanout.bench.samples import Spread, ratios, spread
from fanout.bench.throughput import Throughput

THROUGHPUT_TARGET = 0.9  # consumer messages/s ≥ this x the pipelined ceiling's (endpoint)
CPU_TARGET = 1.3  # consumer CPU per message ≤ this x the raw aiobotocore loop's (stub)
BATCH_TARGET = 8.0  # batched publish ≥ this x unbatched events/s (latency stub)
CONCURRENT_PUBLISH_TARGET = 5000.0  # events/s, AsyncPublisher with batches in flight (latency stub)
P50_TARGET_MS = 50.0
P99_TARGET_MS = 250.0
DEFAULT_RESULTS_DIR = Path("benchmarks/results")
KIND_NAMES = {
    "pipelined": "raw aiobotocore loop (pipelined)",
    "ceiling": "raw boto3 loop (serial)",
    "consumer": "fanout consumer as shipped",
}


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, what was measured, its target and whether it was met."""

    figure: str
    measured: str
    target: str = ""
    met: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"figure": self.figure, "measured": self.measured, "target": self.target, "met": self.met}


def _rows_against_raw(
    what: str, kinds: Iterable[str], measured: Callable[[str], str], ratio: Callable[[str], tuple[float, str]]
) -> list[Row]:
    """A row per kind: the raw loop as the reference, the others as a ratio to it (the consumer's judged)."""
    rows: list[Row] = []
    for kind in kinds:
        figure = f"stub {what}: {KIND_NAMES.get(kind, f'peer: {kind}')}"
        if kind == RAW:
            rows.append(Row(figure, measured(kind)))
            continue
        median, shown = ratio(kind)
        text = f"{measured(kind)}; {shown}x raw loop"
        if kind == "consumer":
            rows.append(Row(figure, text, f"≤ {CPU_TARGET}x raw loop", median <= CPU_TARGET))
        else:
            rows.append(Row(figure, text))
    return rows


def _cpu_rows(results: BenchResults) -> list[Row]:
    cpu = results.cpu
    if cpu is None:
        return []
    return _rows_against_raw(
        "CPU",
        cpu.kinds,
        lambda kind: f"{cpu.cpu(kind).text(3)} s / 1k msg, {cpu.rate(kind).text(0)} msg/s",
        lambda kind: (cpu.ratio(kind).median, cpu.ratio(kind).text(2)),
    )


def _instruction_rows(results: BenchResults) -> list[Row]:
    counted = results.instructions
    if counted is None:
        return []
    return _rows_against_raw(
        "instructions",
        counted.totals,
        lambda kind: f"{counted.per_message(kind) / 1000:,.0f}k instructions / msg",
        lambda kind: (counted.ratio(kind), f"{counted.ratio(kind):.2f}"),
    )


def _throughput_rows(results: BenchResults) -> list[Row]:
    runs = results.throughput
    if runs is None:
        return []
    rates = {kind: spread([run.messages_per_s for run in samples]) for kind, samples in runs.items()}
    rows = [
        Row(f"endpoint: {KIND_NAMES['ceiling']}", f"{rates['ceiling'].text(0)} msg/s"),
        Row(f"endpoint: {KIND_NAMES['pipelined']}", f"{rates['pipelined'].text(0)} msg/s"),
    ]
    ratio = throughput_ratio(runs)
    rows.append(
        Row(
            f"endpoint: {KIND_NAMES['consumer']}",
            f"{rates['consumer'].text(0)} msg/s; {ratio.text(2)}x pipelined ceiling",
            f"≥ {THROUGHPUT_TARGET}x pipelined ceiling",
            ratio.median >= THROUGHPUT_TARGET,
        )
    )
    depths = [run.depth.mean for samples in runs.values() for run in samples]
    per_receive = [run.measured["messages_per_receive"] or 0 for run in runs["consumer"]]
    rows.append(
        Row(
            "endpoint: queue depth, consumer messages per receive",
            f"target {runs['consumer'][0].depth.target}, mean {min(depths):.0f}-{max(depths):.0f}; "
            f"{spread(per_receive).text(1)}",
        )
    )
    return rows


def throughput_ratio(runs: dict[str, list[Throughput]]) -> Spread:
    """Consumer msg/s ÷ pipelined ceiling msg/s, round by round."""
    return ratios(
        [run.messages_per_s for run in runs["consumer"]], [run.messages_per_s for run in runs["pipelined"]]
    )


def _publish_rows(results: BenchResults) -> list[Row]:
    publish = results.publish
    if publish is None:
        return []
    where = f"publish ({publish.latency_ms:g} ms stub)"
    rows = [Row(f"{where}: unbatched sns.publish", f"{publish.rate('unbatched').text(0)} events/s")]
    for method, name in (
        ("batched_sync", "Publisher (boto3)"),
        ("batched_async", "AsyncPublisher, 1 batch at a time"),
    ):
        ratio = publish.ratio(method)
        rows.append(
            Row(
                f"{where}: batched, {name}",
                f"{publish.rate(method).text(0)} events/s; {ratio.text(1)}x unbatched",
                f"≥ {BATCH_TARGET:g}x unbatched",
                ratio.median >= BATCH_TARGET,
            )
        )
    concurrent = publish.rate("batched_async_concurrent")
    rows.append(
        Row(
            f"{where}: AsyncPublisher, {publish.concurrent_batches} batches in flight",
            f"{concurrent.text(0)} events/s",
            f"≥ {CONCURRENT_PUBLISH_TARGET:,.0f} events/s",
            concurrent.median >= CONCURRENT_PUBLISH_TARGET,
        )
    )
    return rows


def _latency_rows(results: BenchResults) -> list[Row]:
    latency = results.latency
    if latency is None:
        return []
    return [
        Row(
            "latency: publish → handler start, p50",
            f"{latency.pct(50):.0f} ms (p95 {latency.pct(95):.0f} ms)",
            f"< {P50_TARGET_MS:g} ms",
            latency.pct(50) < P50_TARGET_MS,
        ),
        Row(
            "latency: publish → handler start, p99",
            f"{latency.pct(99):.0f} ms (max {max(latency.all_ms):.0f} ms)",
            f"< {P99_TARGET_MS:g} ms",
            latency.pct(99) < P99_TARGET_MS,
        ),
        Row(
            "latency: load",
            f"{latency.offered_rate:g} events/s offered ({latency.achieved_rate:.1f} achieved) "
            f"for {latency.seconds:.1f} s, {latency.received}/{latency.expected} deliveries",
        ),
    ]


def _memory_rows(results: BenchResults) -> list[Row]:
    memory = results.memory
    if memory is None:
        return []
    figures = memory.as_dict()
    growth_mib = figures["rss_end_mib"] - figures["rss_start_mib"]
    trail = ", ".join(f"{point['rss_mib']:.1f}" for point in figures["checkpoints"])
    return [
        Row(
            f"memory: consumer RSS ({memory.source})",
            f"{figures['rss_start_mib']:.1f} MiB before the first message → {figures['rss_end_mib']:.1f} MiB "
            f"after {memory.messages + memory.warmup:,} msg (+{growth_mib:.1f})",
        ),
        Row(
            "memory: RSS at checkpoints (MiB)",
            f"{trail} (growth {figures['growth_pct']:+.1f}% after the first)",
            f"flat: ≤ {FLAT_GROWTH_PCT:g}% after the first checkpoint",
            bool(figures["flat"]),
        ),
    ]


def rows(results: BenchResults) -> list[Row]:
    """Every figure of the run, with targets where the issue sets one."""
    return (
        _cpu_rows(results)
        + _instruction_rows(results)
        + _throughput_rows(results)
        + _publish_rows(results)
        + _latency_rows(results)
        + _memory_rows(results)
    )


def table(results: BenchResults) -> Table:
    """The figures as a rich table."""
    endpoint = results.endpoint
    where = f"{endpoint.url} ({endpoint.kind})" if endpoint is not None else "stub only"
    rounds = results.config.rounds
    title = (
        f"fanout bench — {where}, {rounds} round{'' if rounds == 1 else 's'} per timed figure "
        f"(median, low-high), {results.seconds:.0f} s"
    )
    grid = Table(title=title, title_justify="left")
    for column in ("figure", "measured", "target", "result"):
        grid.add_column(column, overflow="fold")
    for row in rows(results):
        result = {True: "[green]pass[/]", False: "[red]miss[/]", None: ""}[row.met]
        grid.add_row(row.figure, row.measured, row.target, result)
    return grid


def _throughput_document(runs: dict[str, list[Throughput]]) -> dict[str, Any]:
    document: dict[str, Any] = {
        kind: {
            "messages_per_s": spread([run.messages_per_s for run in samples]).as_dict(1),
            "cpu_s_per_1000": spread([run.cpu_s_per_1000 for run in samples]).as_dict(),
            "runs": [run.as_dict() for run in samples],
        }
        for kind, samples in runs.items()
    }
    document["consumer"]["ratio_to_pipelined"] = throughput_ratio(runs).as_dict(3)
    return document


def document(results: BenchResults) -> dict[str, Any]:
    """The run as a JSON-able document (every sample kept)."""
    phases: dict[str, Any] = {}
    if results.cpu is not None:
        phases["cpu"] = results.cpu.as_dict()
    if results.publish is not None:
        phases["publish"] = results.publish.as_dict()
    if results.throughput is not None:
        phases["throughput"] = _throughput_document(results.throughput)
    if results.memory is not None:
        phases["memory"] = results.memory.as_dict()
    if results.latency is not None:
        phases["latency"] = results.latency.as_dict()
    if results.instructions is not None:
        phases["instructions"] = results.instructions.as_dict()
    endpoint = results.endpoint
    return {
        "started_at": results.started_at.isoformat(),
        "seconds": round(results.seconds, 1),
        "endpoint": {"url": endpoint.url, "kind": endpoint.kind} if endpoint is not None else None,
        "host": results.host,
        "config": results.config.as_dict(),
        "phases": phases,
        "figures": [row.as_dict() for row in rows(results)],
    }


def output_path(output: Path | None, started_at: datetime) -> Path:
    """--output as given (a directory gets the default file name), else benchmarks/results/."""
    name = f"bench-{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    if output is None:
        return DEFAULT_RESULTS_DIR / name
    return output / name if output.is_dir() else output


def write_document(results: BenchResults, output: Path | None) -> Path:
    """Write the JSON document; returns where."""
    path = output_path(output, results.started_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(results), indent=2) + "\n")
    return path
