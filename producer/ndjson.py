"""Events from text: a bare payload, or NDJSON lines (full envelopes or `{"type", "data"}` pairs).

Each NDJSON line is either a complete CloudEvents envelope (it has `specversion`; published as
is, id included) or a short form `{"type": "order.placed", "data": {...}}` with an optional
`"correlationid"`, which gets a fresh envelope. Blank lines are ignored.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fanout.contract.envelope import DEFAULT_SOURCE, CloudEvent, EventData, new_event
from fanout.contract.errors import ContractError
from fanout.contract.registry import ORDER_EVENTS, EventRegistry

SHORT_FORM_KEYS = frozenset({"type", "data", "correlationid"})


class InvalidLine(ContractError):
    """An NDJSON line that is neither an envelope nor a `{"type", "data"}` object."""


@dataclass(frozen=True)
class EnvelopeDefaults:
    """What fresh envelopes get when the input does not say."""

    correlation_id: str | None = None
    source: str = DEFAULT_SOURCE


@dataclass(frozen=True)
class LineError:
    """Why line `line` (1-based) could not become an event."""

    line: int
    error: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.error}"


@dataclass(frozen=True)
class ParsedLines:
    """The events of the valid lines and the errors of the others."""

    events: list[CloudEvent[EventData]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


def event_from_payload(
    event_type: str,
    data: Any,
    defaults: EnvelopeDefaults = EnvelopeDefaults(),
    registry: EventRegistry = ORDER_EVENTS,
) -> CloudEvent[EventData]:
    """Validate a bare payload for its type and wrap it in a fresh envelope."""
    return new_event(
        registry.parse_data(event_type, data), correlation_id=defaults.correlation_id, source=defaults.source
    )


def event_from_line(
    text: str, defaults: EnvelopeDefaults = EnvelopeDefaults(), registry: EventRegistry = ORDER_EVENTS
) -> CloudEvent[EventData]:
    """One NDJSON line as an event, or a ContractError saying what is wrong with it."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidLine(f"not JSON: {error.msg} at char {error.pos}") from error
    if isinstance(document, dict) and "specversion" in document:
        return registry.parse_envelope(document)
    if not isinstance(document, dict) or not {"type", "data"} <= document.keys():
        raise InvalidLine('expected a CloudEvents envelope or {"type": ..., "data": {...}}')
    if unexpected := document.keys() - SHORT_FORM_KEYS:
        raise InvalidLine(f"unexpected keys {sorted(unexpected)} (allowed: {sorted(SHORT_FORM_KEYS)})")
    event_type, correlation_id = document["type"], document.get("correlationid", defaults.correlation_id)
    if not isinstance(event_type, str) or not isinstance(correlation_id, str | None):
        raise InvalidLine('"type" and "correlationid" must be strings')
    line_defaults = EnvelopeDefaults(correlation_id=correlation_id, source=defaults.source)
    return event_from_payload(event_type, document["data"], line_defaults, registry)


def parse_lines(
    lines: Iterable[str],
    defaults: EnvelopeDefaults = EnvelopeDefaults(),
    registry: EventRegistry = ORDER_EVENTS,
) -> ParsedLines:
    """Every line parsed; invalid ones are collected with their line numbers, not raised."""
    parsed = ParsedLines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            parsed.events.append(event_from_line(line, defaults, registry))
        except ContractError as error:
            parsed.errors.append(LineError(number, str(error)))
    return parsed
