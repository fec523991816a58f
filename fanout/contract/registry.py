"""Maps (event type, schema version) to its payload model and decodes envelopes."""

import json
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from fanout.contract.envelope import CloudEvent, EventData
from fanout.contract.errors import ForeignMessage, MalformedMessage, SchemaViolation, UnknownEventType
from fanout.contract.orders import OrderCancelled, OrderPlaced, OrderShipped

EventKey = tuple[str, int]


def summarize_validation_error(error: ValidationError, limit: int = 3) -> str:
    """A one-line summary of a pydantic error: the first few `field: message` pairs."""
    parts = [
        f"{'.'.join(str(loc) for loc in item['loc']) or '<root>'}: {item['msg']}"
        for item in error.errors()[:limit]
    ]
    more = error.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


class EventRegistry:
    """The set of event models a system knows, keyed by type and schema version."""

    def __init__(self, models: Iterable[type[EventData]]) -> None:
        self._models: dict[EventKey, type[EventData]] = {}
        for model in models:
            key = (model.event_type, model.schema_version)
            if key in self._models:
                raise ValueError(f"event {key} registered twice")
            self._models[key] = model

    def __iter__(self) -> Iterator[type[EventData]]:
        return iter(sorted(self._models.values(), key=lambda m: (m.event_type, m.schema_version)))

    @property
    def event_types(self) -> frozenset[str]:
        """Every registered event type name."""
        return frozenset(event_type for event_type, _ in self._models)

    def model_for(self, event_type: str, schema_version: int | None = None) -> type[EventData]:
        """The model for a type; without a version, the newest one registered."""
        if schema_version is not None:
            model = self._models.get((event_type, schema_version))
            if model is None:
                raise UnknownEventType(f"no model for {event_type!r} schema version {schema_version}")
            return model
        versions = [version for name, version in self._models if name == event_type]
        if not versions:
            known = ", ".join(sorted(self.event_types))
            raise UnknownEventType(f"no model for event type {event_type!r} (known: {known})")
        return self._models[(event_type, max(versions))]

    def parse_data(self, event_type: str, data: Any, schema_version: int | None = None) -> EventData:
        """Validate a bare payload (as a publisher hands it over) into its model."""
        model = self.model_for(event_type, schema_version)
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise SchemaViolation(f"{event_type}: {summarize_validation_error(error)}") from error

    def parse_envelope(self, document: Any) -> CloudEvent[EventData]:
        """Validate an already-parsed JSON document as an envelope of a registered type."""
        if not isinstance(document, dict) or "specversion" not in document:
            raise ForeignMessage("JSON document is not a CloudEvents envelope (no specversion)")
        event_type = document.get("type")
        if not isinstance(event_type, str):
            raise SchemaViolation("envelope has no string 'type'")
        version = document.get("schemaversion", 1)
        if not isinstance(version, int) or isinstance(version, bool):
            raise SchemaViolation(f"schemaversion {version!r} is not an integer")
        model = self.model_for(event_type, version)
        try:
            return CloudEvent[model].model_validate(document)  # type: ignore[valid-type]
        except ValidationError as error:
            raise SchemaViolation(f"{event_type}: {summarize_validation_error(error)}") from error

    def decode(self, body: str | bytes) -> CloudEvent[EventData]:
        """Decode a JSON envelope from text or bytes."""
        return self.parse_envelope(load_json(body))


def load_json(body: str | bytes) -> Any:
    """Parse a message body, turning encoding and syntax errors into MalformedMessage."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return json.loads(text)
    except UnicodeDecodeError as error:
        raise MalformedMessage(f"body is not UTF-8: {error.reason}") from error
    except json.JSONDecodeError as error:
        raise MalformedMessage(f"body is not JSON: {error.msg} at char {error.pos}") from error


ORDER_EVENTS = EventRegistry([OrderPlaced, OrderCancelled, OrderShipped])
