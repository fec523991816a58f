"""`fanout dlq`: list, inspect, redrive and purge the consumers' dead-letter queues."""

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fanout.aws import sync_client
from fanout.cli.output import console, err_console, print_json, print_table
from fanout.errors import ConfigurationError
from fanout.topology.depth import read_depth
from monitor.dlq.messages import AGE_SAMPLE_SIZE, oldest_age, peek
from monitor.dlq.queues import DeadLetterQueue, dead_letter_queue, dead_letter_queues
from monitor.dlq.redrive import DEFAULT_RATE, MoveTaskStatus, Redriver, RedriveResult, StopReason
from monitor.dlq.redrive import redrive as run_redrive

app = typer.Typer(help="Inspect, redrive and purge the consumers' dead-letter queues.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="Consumer name (e.g. email).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
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
    print_table(table)


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
    table = Table()
    for column in ("event type", "event id", "reason", "attempts", "first seen", "detail"):
        table.add_column(column, overflow="fold")  # ids and times whole, over lines if need be
    for row in rows:
        table.add_row(
            *(
                str(row[key]) if row[key] is not None else "-"
                for key in ("event_type", "event_id", "reason", "attempts", "first_seen", "detail")
            )
        )
    print_table(table)
    if depth:
        console.print(f"redrive with: {queue.command('redrive')}", markup=False)


@app.command()
def redrive(
    name: NameArgument,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Move at most this many.")] = None,
    rate: Annotated[
        float, typer.Option("--rate", min=0.1, help="At most this many messages/s.")
    ] = DEFAULT_RATE,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would move; move nothing.")] = False,
    status: Annotated[
        bool, typer.Option("--status", help="Show the DLQ's latest server-side move task and exit.")
    ] = False,
) -> None:
    """Move what the DLQ holds now back to the consumer's queue (StartMessageMoveTask, else a copy).

    Moves at most the messages present at the start; a message seen twice (the consumer failed it
    again) ends the run. Ctrl-C or SIGTERM finishes the current batch, then stops.
    """
    sqs = sync_client("sqs")
    queue = dead_letter_queue(name, sqs)
    if status:
        show_move_task(Redriver(sqs, queue).move_task_status(), queue)
        return
    depth = read_depth(sqs, queue.dlq.url).total
    count = depth if limit is None else min(depth, limit)
    if dry_run:
        console.print(
            f"dry run: would move {count} of {depth} message(s) from {queue.dlq.name} to {queue.source.name}",
            markup=False,
        )
        return
    with stop_on_interrupt() as stop, redrive_progress(queue, count) as (on_moved, on_task_status):
        result = run_redrive(
            queue, limit=limit, rate=rate, sqs=sqs, should_stop=stop.is_set, on_moved=on_moved,
            on_task_status=on_task_status,
        )  # fmt: skip
    report(result, queue)
    if result.stopped is StopReason.INTERRUPTED:
        err_console.print("interrupted: rerun the same command to continue", markup=False)
        raise typer.Exit(INTERRUPTED)


def report(result: RedriveResult, queue: DeadLetterQueue) -> None:
    """What moved, what is left, and a warning when the consumer fails the same messages again."""
    how = "move task" if result.method == "move_task" else "copy"
    console.print(
        f"moved {result.moved} of {result.snapshot} message(s) ({how}) to {result.source}; "
        f"{result.remaining} left in {result.dlq}",
        markup=False,
    )
    if result.consumer_failing_again:
        err_console.print(
            f"warning: {result.returned} redriven message(s) came back to {result.dlq}: the {queue.consumer} "
            f"consumer fails them again; redrive stopped (see {queue.command('show')})",
            markup=False,
        )


def show_move_task(task: MoveTaskStatus, queue: DeadLetterQueue) -> None:
    total = "?" if task.to_move is None else str(task.to_move)
    failure = f", failed: {task.failure}" if task.failure else ""
    console.print(
        f"{queue.dlq.name}: move task {task.status.lower()}, {task.moved} of {total} moved{failure}",
        markup=False,
    )


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
    if not yes and not _confirmed(question, queue.dlq.name):
        console.print(f"nothing purged: {queue.dlq.name} keeps its {depth} message(s)", markup=False)
        return
    sqs.purge_queue(QueueUrl=queue.dlq.url)
    console.print(f"purged {queue.dlq.name} ({depth} message(s))", markup=False)


def _confirmed(question: str, dlq_name: str) -> bool:
    """The answer to a yes/no prompt; no answer at all (stdin closed, as in a script) is an error,
    not an interruption (Ctrl-C still aborts with 130)."""
    try:
        return typer.confirm(question)
    except typer.Abort as abort:
        if isinstance(abort.__context__, EOFError):
            console.print()  # end the prompt's line
            raise ConfigurationError(
                f"nothing purged: no answer on stdin to confirm purging {dlq_name} (pass --yes in scripts)"
            ) from None
        raise


@contextmanager
def stop_on_interrupt() -> Iterator[threading.Event]:
    """Turn SIGINT/SIGTERM into a stop request honoured between batches (a second one is not caught)."""
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.getsignal(signum) for signum in signals}

    def request_stop(signum: int, frame: object) -> None:
        stop.set()
        signal.signal(signum, previous[signal.Signals(signum)])

    for signum in signals:
        signal.signal(signum, request_stop)
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def redrive_progress(
    queue: DeadLetterQueue, total: int
) -> Iterator[tuple[Callable[[int], None], Callable[[MoveTaskStatus], None]]]:
    """A rich progress bar; yields the callbacks a copy and a move task advance it with."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        row = bar.add_task(f"{queue.dlq.name} → {queue.source.name}", total=total)

        def task_status(status: MoveTaskStatus) -> None:
            bar.update(row, completed=status.moved, total=status.to_move)

        yield (lambda count: bar.advance(row, count)), task_status
