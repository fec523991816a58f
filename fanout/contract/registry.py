"""Maps (event type, schema version) to its payload model, upcasts old versions, decodes envelopes."""

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from fanout.contract.envelope import CloudEvent, EventData, parse_schema_version
from fanout.contract.errors import (
    ContractError,
    ForeignMessage,
    MalformedMessage,
    SchemaViolation,
    UnknownEventType,
)
from fanout.contract.orders import OrderCancelled, OrderPlaced, OrderShipped

EventKey = tuple[str, int]
T = TypeVar("T")
#: Turns a payload of one schema version into the next version's model (v → v + 1).
Upcaster = Callable[[Any], EventData]

# A \uD800-\uDFFF escape: the only way valid JSON text can carry a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def summarize_validation_error(error: ValidationError, limit: int = 3) -> str:
    """A one-line summary of a pydantic error: the first few `field: message` pairs."""
    parts = [
        f"{'.'.join(str(loc) for loc in item['loc']) or '<root>'}: {item['msg']}"
        for item in error.errors(include_input=False, include_url=False)[:limit]
    ]
    more = error.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


class EventRegistry:
    """The event models a system knows, keyed by type and schema version, and the upcasters
    between versions: every version but a type's newest needs one, so handlers always receive
    the newest model whatever version was sent."""

    def __init__(
        self, models: Iterable[type[EventData]], upcasters: Mapping[type[EventData], Upcaster] | None = None
    ) -> None:
        self._models: dict[EventKey, type[EventData]] = {}
        for model in models:
            key = (model.event_type, model.schema_version)
            if key in self._models:
                raise ValueError(f"event {key} registered twice")
            self._models[key] = model
        self._newest: dict[str, int] = {}
        for event_type, version in self._models:
            self._newest[event_type] = max(version, self._newest.get(event_type, 0))
        self._upcasters: dict[EventKey, Upcaster] = {}
        for model, upcaster in (upcasters or {}).items():
            key = (model.event_type, model.schema_version)
            if self._models.get(key) is not model:
                raise ValueError(f"upcaster for unregistered model {model.__qualname__}")
            self._upcasters[key] = upcaster
        for event_type, version in self._models:
            if version < self._newest[event_type] and (event_type, version) not in self._upcasters:
                raise ValueError(f"{event_type} v{version} has no upcaster to v{version + 1}")
        # Built once: the parametrized envelope class of every registered model.
        self._envelopes: dict[EventKey, type[CloudEvent[Any]]] = {
            key: CloudEvent[model]  # type: ignore[valid-type]
            for key, model in self._models.items()
        }

    def __iter__(self) -> Iterator[type[EventData]]:
        return iter(sorted(self._models.values(), key=lambda m: (m.event_type, m.schema_version)))

    @property
    def event_types(self) -> frozenset[str]:
        """Every registered event type name."""
        return frozenset(self._newest)

    def has_upcaster(self, model: type[EventData]) -> bool:
        """Whether payloads of this model are upcast to the next version."""
        return (model.event_type, model.schema_version) in self._upcasters

    def model_for(self, event_type: str, schema_version: int | None = None) -> type[EventData]:
        """The model for a type; without a version, the newest one registered."""
        newest = self._newest.get(event_type)
        if newest is None:
            known = ", ".join(sorted(self.event_types))
            raise UnknownEventType(f"no model for event type {event_type!r} (known: {known})")
        if schema_version is None:
            return self._models[(event_type, newest)]
        model = self._models.get((event_type, schema_version))
        if model is None:
            raise UnknownEventType(f"no model for {event_type!r} schema version {schema_version}")
        return model

    def parse_data(self, event_type: str, data: Any, schema_version: int | None = None) -> EventData:
        """Validate a bare payload (as a publisher hands it over) into its model."""
        model = self.model_for(event_type, schema_version)
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise SchemaViolation(f"{event_type}: {summarize_validation_error(error)}") from error

    def parse_envelope(self, document: Any) -> CloudEvent[EventData]:
        """Validate an already-parsed JSON document as an envelope of a registered type, upcast
        to the type's newest schema version."""
        if not isinstance(document, dict) or "specversion" not in document:
            raise ForeignMessage("JSON document is not a CloudEvents envelope (no specversion)")
        event_type = document.get("type")
        if not isinstance(event_type, str):
            raise SchemaViolation("envelope has no string 'type'")
        try:
            version = parse_schema_version(document["schemaversion"]) if "schemaversion" in document else 1
        except ValueError as error:
            raise SchemaViolation(f"schemaversion: {error}") from None
        self.model_for(event_type, version)
        try:
            event: CloudEvent[EventData] = self._envelopes[(event_type, version)].model_validate(document)
        except ValidationError as error:
            raise SchemaViolation(f"{event_type}: {summarize_validation_error(error)}") from error
        if version == self._newest[event_type]:
            return event
        return self._upcast(event, version)

    def _upcast(self, event: CloudEvent[EventData], version: int) -> CloudEvent[EventData]:
        data, newest = event.data, self._newest[event.type]
        try:
            for step in range(version, newest):
                data = self._upcasters[(event.type, step)](data)
                if not isinstance(data, self._models[(event.type, step + 1)]):
                    raise TypeError(f"upcaster of {event.type} v{step} returned {type(data).__name__}")
        except (ValueError, ValidationError) as error:
            raise SchemaViolation(f"{event.type} v{version} cannot be upcast: {error}") from error
        fields = {**dict(event), **(event.model_extra or {}), "data": data, "schemaversion": newest}
        return self._envelopes[(event.type, newest)].model_validate(fields)

    def decode(self, body: str | bytes) -> CloudEvent[EventData]:
        """Decode a JSON envelope from text or bytes (MalformedMessage for anything undecodable)."""
        return decoding(lambda: self.parse_envelope(load_json(body)))


def decoding(decode: Callable[[], T]) -> T:
    """Run a decoding step; any failure that is not already a ContractError is MalformedMessage.

    Decoding is pure computation on the body, so whatever it raises (RecursionError on deep
    nesting, ValueError past the int-digit limit, ...) would be raised again on every delivery:
    such a body is dead-lettered at once, never retried.
    """
    try:
        return decode()
    except ContractError:
        raise
    except Exception as error:
        raise MalformedMessage(f"body cannot be decoded ({type(error).__name__})") from None


def _reject_constant(name: str) -> Any:
    raise MalformedMessage(f"body is not JSON: {name} is not a JSON number")


# One decoder: json.loads with any keyword argument builds a new decoder (and scanner) per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _has_lone_surrogate(document: Any) -> bool:
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def load_json(body: str | bytes) -> Any:
    """Parse a message body as RFC 8259 JSON in UTF-8; MalformedMessage for anything else:
    bad encoding or syntax, NaN/Infinity, lone surrogates, nesting too deep, numbers past
    Python's int-digit limit."""
    try:
        if isinstance(body, bytes):
            text = body.decode("utf-8")
        else:
            text = body
            if not text.isascii():  # isascii is O(1); a lone surrogate is not ASCII
                text.encode("utf-8")  # a str from a client can carry lone surrogates
        if text.startswith("\ufeff"):  # as json.loads says it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        document = _DECODER.decode(text)
    except UnicodeError as error:
        raise MalformedMessage(f"body is not UTF-8: {getattr(error, 'reason', 'invalid')}") from None
    except json.JSONDecodeError as error:
        raise MalformedMessage(f"body is not JSON: {error.msg} at char {error.pos}") from None
    except RecursionError:
        raise MalformedMessage("body is not decodable: JSON nested too deep") from None
    except ValueError as error:  # e.g. an integer past sys.get_int_max_str_digits()
        raise MalformedMessage(f"body is not decodable: {str(error)[:120]}") from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(document):
        raise MalformedMessage("body is not UTF-8: it escapes a lone surrogate")
    return document


ORDER_EVENTS = EventRegistry([OrderPlaced, OrderCancelled, OrderShipped])
