"""`fanout publish`: one event from a JSON payload, many from NDJSON, or generated demo events."""

import json
from datetime import timedelta
from typing import Annotated, Any

import typer

from fanout.cli.output import err_console, print_json
from fanout.contract.envelope import DEFAULT_SOURCE, CloudEvent
from fanout.errors import FanoutError
from producer.delays import InvalidDelay, parse_delay
from producer.demo import demo_events
from producer.entries import DEFAULT_MAX_MESSAGE_BYTES, LARGEST_MAX_MESSAGE_BYTES
from producer.ndjson import EnvelopeDefaults, event_from_payload, parse_lines
from producer.options import PublishOptions
from producer.publisher import Publisher
from producer.results import BatchResult

SHOWN_INVALID_LINES = 5


class InvalidInput(FanoutError):
    """The events to publish could not all be read; nothing was published."""


def _duration(text: str) -> timedelta:
    """--delay's value; a usage error (exit 2) when it is not a duration."""
    try:
        return parse_delay(text)
    except InvalidDelay as error:
        raise typer.BadParameter(str(error)) from None


def publish(
    event_type: Annotated[
        str | None, typer.Argument(metavar="TYPE", help="Event type for --data, e.g. order.placed.")
    ] = None,
    data: Annotated[str | None, typer.Option("--data", help="The event payload as JSON (with TYPE).")] = None,
    file: Annotated[
        typer.FileText | None,
        typer.Option("--file", help='NDJSON: one envelope or {"type", "data"} per line; - for stdin.'),
    ] = None,
    demo: Annotated[
        int | None, typer.Option("--demo", min=1, help="Publish N generated demo events.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed for --demo: same seed, same events.")
    ] = None,
    correlation_id: Annotated[
        str | None, typer.Option("--correlation-id", help="Correlation id of new envelopes.")
    ] = None,
    source: Annotated[
        str, typer.Option("--source", help="CloudEvents source of new envelopes.")
    ] = DEFAULT_SOURCE,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="With --file: publish the valid lines, report the rest.")
    ] = False,
    max_message_bytes: Annotated[
        int,
        typer.Option(
            "--max-message-bytes",
            min=1,
            max=LARGEST_MAX_MESSAGE_BYTES,
            help="The topic's MaximumMessageSize (per message and per batch).",
        ),
    ] = DEFAULT_MAX_MESSAGE_BYTES,
    payload_bucket: Annotated[
        str,
        typer.Option(
            "--payload-bucket",
            envvar="FANOUT_PAYLOAD_BUCKET",
            help="S3 bucket for events over the size limit (claim check); without it they fail.",
        ),
    ] = "",
    delay: Annotated[
        timedelta | None,
        typer.Option(
            "--delay",
            parser=_duration,
            metavar="DURATION",
            help="Consumers handle the events no earlier than this from now: 90s, 5m, 1h30m.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every result as JSON.")] = False,
) -> None:
    """Publish events to the orders topic and print their SNS message ids.

    TYPE --data JSON publishes one event. Every input prints one `event-id<TAB>message-id` line per event.

    --file PATH (or - for stdin) publishes NDJSON; every line is validated before anything is sent.

    --demo N [--seed S] publishes generated order events.

    --delay 90s makes consumers wait that long before handling them (the `notbefore` extension).
    """
    defaults = EnvelopeDefaults(correlation_id=correlation_id, source=source)
    events = collect_events(event_type, data, file, demo, seed, skip_invalid, defaults)
    options = PublishOptions(max_message_bytes=max_message_bytes, payload_bucket=payload_bucket or None)
    result = Publisher(options=options).publish_many(events, delay=delay)
    show(result, as_json=as_json)
    result.raise_for_failures()


def collect_events(
    event_type: str | None,
    data: str | None,
    file: typer.FileText | None,
    demo: int | None,
    seed: int | None,
    skip_invalid: bool,
    defaults: EnvelopeDefaults,
) -> list[CloudEvent[Any]]:
    """The events the flags ask for, all validated; exactly one input must be chosen."""
    chosen = [
        name
        for name, given in (("TYPE --data", data or event_type), ("--file", file), ("--demo", demo))
        if given
    ]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of TYPE --data JSON, --file PATH, --demo N")
    if seed is not None and demo is None:
        raise typer.BadParameter("--seed only applies to --demo", param_hint="--seed")
    if skip_invalid and file is None:
        raise typer.BadParameter("--skip-invalid only applies to --file", param_hint="--skip-invalid")
    if demo is not None:
        return list(demo_events(demo, seed=seed))
    if file is not None:
        return events_from_file(file, skip_invalid, defaults)
    if event_type is None or data is None:
        raise typer.BadParameter("TYPE and --data go together", param_hint="TYPE --data")
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as error:
        raise typer.BadParameter(f"not JSON: {error.msg} at char {error.pos}", param_hint="--data") from error
    return [event_from_payload(event_type, payload, defaults)]


def events_from_file(
    file: typer.FileText, skip_invalid: bool, defaults: EnvelopeDefaults
) -> list[CloudEvent[Any]]:
    parsed = parse_lines(file, defaults)
    if parsed.errors and not skip_invalid:
        shown = "; ".join(str(error) for error in parsed.errors[:SHOWN_INVALID_LINES])
        more = len(parsed.errors) - SHOWN_INVALID_LINES
        raise InvalidInput(
            f"{len(parsed.errors)} invalid line(s), nothing published: {shown}"
            + (f" (+{more} more)" if more > 0 else "")
        )
    for error in parsed.errors:
        err_console.print(f"fanout: skipped {error}", markup=False, highlight=False, soft_wrap=True)
    if not parsed.events:
        raise InvalidInput("no events to publish")
    return parsed.events


def show(result: BatchResult, *, as_json: bool) -> None:
    """One `event-id<TAB>message-id` line per published event, whatever the input (--data, --file, --demo)."""
    if as_json:
        print_json([item.as_dict() for item in result.results])
        return
    for item in result.succeeded:
        print(f"{item.event_id}\t{item.message_id}")
