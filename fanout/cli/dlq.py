"""`fanout dlq`: list, inspect, redrive and purge the consumers' dead-letter queues."""

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fanout.aws import sync_client
from fanout.cli.output import console, err_console, print_json
from fanout.topology.depth import read_depth
from monitor.dlq.messages import AGE_SAMPLE_SIZE, oldest_age, peek
from monitor.dlq.queues import DeadLetterQueue, dead_letter_queue, dead_letter_queues
from monitor.dlq.redrive import RedriveError, Redriver

app = typer.Typer(help="Inspect, redrive and purge the consumers' dead-letter queues.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="Consumer name (e.g. email).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MOVE_TASK_POLL_S = 2.0
INTERRUPTED = 130


@app.command("list")
def list_dlqs(as_json: JsonOption = False) -> None:
    """Every DLQ with its depth and the age of its oldest message (estimated from a peek)."""
    sqs = sync_client("sqs")
    rows = []
    for queue in dead_letter_queues(sqs):
        depth = read_depth(sqs, queue.dlq.url).total
        age = oldest_age(peek(sqs, queue.dlq.url, min(depth, AGE_SAMPLE_SIZE)), depth, datetime.now(UTC))
        rows.append(
            {
                "consumer": queue.consumer,
                "dlq": queue.dlq.name,
                "depth": depth,
                "oldest_age_s": round(age.seconds, 1) if age else None,
                "oldest_age_exact": age.exact if age else True,
                "oldest": str(age) if age else "-",
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table("consumer", "dlq", "depth", "oldest")
    for row in rows:
        table.add_row(str(row["consumer"]), str(row["dlq"]), str(row["depth"]), str(row["oldest"]))
    console.print(table)


@app.command()
def show(
    name: NameArgument,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Messages to show.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Peek at a DLQ's messages without consuming them: event, reason, attempts, first seen."""
    sqs = sync_client("sqs")
    queue = dead_letter_queue(name, sqs)
    depth = read_depth(sqs, queue.dlq.url).total
    letters = peek(sqs, queue.dlq.url, min(depth, limit))
    rows = [
        {
            "message_id": letter.message_id,
            "event_type": letter.event_type,
            "event_id": letter.event_id,
            "reason": letter.reason,
            "detail": letter.detail or letter.decode_error,
            "attempts": letter.attempts,
            "first_seen": letter.first_seen,
            "dead_lettered_at": letter.dead_lettered_at,
        }
        for letter in letters
    ]
    if as_json:
        print_json({"dlq": queue.dlq.name, "depth": depth, "messages": rows})
        return
    console.print(f"{queue.dlq.name}: {depth} message(s), showing {len(rows)}", markup=False)
    table = Table("event type", "event id", "reason", "attempts", "first seen", "detail")
    for row in rows:
        table.add_row(
            *(
                str(row[key]) if row[key] is not None else "-"
                for key in ("event_type", "event_id", "reason", "attempts", "first_seen", "detail")
            )
        )
    console.print(table)
    if depth:
        console.print(f"redrive with: {queue.command('redrive')}", markup=False)


@app.command()
def redrive(
    name: NameArgument,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Move at most this many.")] = None,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0.1, help="At most this many messages/s.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would move; move nothing.")] = False,
) -> None:
    """Move messages back to the consumer's queue (StartMessageMoveTask, or copy where it is missing)."""
    sqs = sync_client("sqs")
    queue = dead_letter_queue(name, sqs)
    depth = read_depth(sqs, queue.dlq.url).total
    count = depth if limit is None else min(depth, limit)
    if dry_run:
        console.print(
            f"dry run: would move {count} of {depth} message(s) from {queue.dlq.name} to {queue.source.name}",
            markup=False,
        )
        return
    redriver = Redriver(sqs, queue)
    with stop_on_interrupt() as stop:
        if limit is None and (task := redriver.start_move_task(rate)) is not None:
            watch_move_task(redriver, queue, task, stop)
            return
        with progress_bar(f"{queue.dlq.name} → {queue.source.name}", count) as advance:
            moved = redriver.copy(limit, rate, on_moved=advance, should_stop=stop.is_set)
    remaining = read_depth(sqs, queue.dlq.url).total
    console.print(
        f"moved {moved} message(s) to {queue.source.name}; {remaining} left in {queue.dlq.name}", markup=False
    )
    if stop.is_set():
        err_console.print("interrupted: rerun the same command to continue", markup=False)
        raise typer.Exit(INTERRUPTED)


@app.command()
def purge(
    name: NameArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every message in a consumer's DLQ (asks first)."""
    sqs = sync_client("sqs")
    queue = dead_letter_queue(name, sqs)
    depth = read_depth(sqs, queue.dlq.url).total
    question = f"Delete all {depth} message(s) in {queue.dlq.name}? This cannot be undone"
    if not yes and not typer.confirm(question):
        console.print(f"nothing purged: {queue.dlq.name} keeps its {depth} message(s)", markup=False)
        return
    sqs.purge_queue(QueueUrl=queue.dlq.url)
    console.print(f"purged {queue.dlq.name} ({depth} message(s))", markup=False)


def watch_move_task(redriver: Redriver, queue: DeadLetterQueue, task: str, stop: threading.Event) -> None:
    """Follow a server-side move task to its end; an interrupt cancels it."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        row = bar.add_task(f"{queue.dlq.name} → {queue.source.name} (move task)", total=None)
        while True:
            status = redriver.move_task_status()
            bar.update(row, completed=status.moved, total=status.to_move)
            if not status.running:
                break
            if stop.is_set():
                redriver.cancel_move_task(task)
            time.sleep(MOVE_TASK_POLL_S)
    console.print(f"move task {status.status.lower()}: {status.moved} message(s) moved", markup=False)
    if status.failure:
        raise RedriveError(f"move task failed: {status.failure}")


@contextmanager
def stop_on_interrupt() -> Iterator[threading.Event]:
    """Turn Ctrl-C into a stop request honoured between batches (a second Ctrl-C is not caught)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, previous)

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar; yields the function that advances it."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        row = bar.add_task(description, total=total)
        yield lambda count: bar.advance(row, count)
