"""The CloudEvents 1.0 structured-mode JSON envelope every event travels in.

Tolerant reader, strict writer. Incoming envelopes may carry any extension attribute (kept, see
`CloudEvent.extensions`), `dataschema`, a media type with parameters and `schemaversion` as an
integer-valued string. Required on the wire: the four CloudEvents requires (`specversion`, `id`,
`source`, `type`) plus `time` (when the fact happened: only the producer knows it) and `data`
(every event here has a payload). `subject` defaults to the payload's entity id, `correlationid`
to the event id, `schemaversion` to 1, `datacontenttype` to `application/json`. `new_event`
writes every attribute, and only well-formed extension names.
"""

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, Self, TypeVar, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from fanout.contract.formats import Timestamp
from fanout.tracing import TRACEPARENT, current_trace_context

DEFAULT_SOURCE = "urn:fanout:order-service"
JSON_MEDIA_TYPE = "application/json"

#: Names CloudEvents 1.0 defines for itself (context attributes and the JSON format's members).
CORE_ATTRIBUTES = frozenset(
    {
        "specversion",
        "id",
        "source",
        "type",
        "datacontenttype",
        "dataschema",
        "subject",
        "time",
        "data",
        "data_base64",
    }
)
#: Extension attribute names: lower-case letters and digits, at most 20 (CloudEvents 1.0).
EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}")
SCHEMA_VERSION_PATTERN = r"^[1-9][0-9]{0,8}$"
_SCHEMA_VERSION_TEXT = re.compile(SCHEMA_VERSION_PATTERN)
# A JSON media type (application/json or any +json suffix), parameters allowed; charset only utf-8.
MEDIA_TYPE_PATTERN = (
    r"^[Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn]/([A-Za-z0-9.!#$%&'*^_`|~-]+\+)?[Jj][Ss][Oo][Nn]"
    r"( *; *[A-Za-z0-9!#$%&'*+.^_`|~-]+=(\"[^\"]*\"|[A-Za-z0-9!#$%&'*+.^_`|~-]+))* *$"
)
_MEDIA_TYPE = re.compile(MEDIA_TYPE_PATTERN)
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)


class EventData(BaseModel):
    """Base of every event payload: one subclass per event type and schema version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @property
    def subject(self) -> str:
        """The CloudEvents subject: the id of the entity the event is about."""
        raise NotImplementedError


DataT = TypeVar("DataT", bound=EventData)


def _schema_version(value: Any) -> Any:
    """An integer, or an integer-valued string ("2": extension values often travel as strings)."""
    if isinstance(value, str):
        if not _SCHEMA_VERSION_TEXT.fullmatch(value):
            raise ValueError("schemaversion must be a positive integer or its decimal string")
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("schemaversion must be a positive integer or its decimal string")
    return value


def _media_type(value: Any) -> Any:
    """A JSON media type with optional parameters; a charset, when given, must be UTF-8."""
    if value == JSON_MEDIA_TYPE:  # nearly every event: no pattern to run
        return value
    if not isinstance(value, str) or not _MEDIA_TYPE.fullmatch(value):
        raise ValueError("datacontenttype must be a JSON media type (application/json, optional parameters)")
    charset = _CHARSET.search(value)
    if charset is not None and charset.group(1).lower() not in {"utf-8", "utf8"}:
        raise ValueError("datacontenttype charset must be utf-8")
    return value


def parse_schema_version(value: Any) -> int:
    """The schema version an incoming envelope names; ValueError when it is not one."""
    return int(_schema_version(value))


MAX_SCHEMA_VERSION = 999_999_999
SchemaVersion = Annotated[
    int,
    Field(ge=1, le=MAX_SCHEMA_VERSION),  # before the BeforeValidator: checked in pydantic-core
    BeforeValidator(_schema_version),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_SCHEMA_VERSION},
                {"type": "string", "pattern": SCHEMA_VERSION_PATTERN},
            ],
            "default": 1,
        }
    ),
]
MediaType = Annotated[
    str,
    BeforeValidator(_media_type),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MEDIA_TYPE_PATTERN,
            "default": JSON_MEDIA_TYPE,
            "$comment": "A charset parameter, when present, must be utf-8 (any case); checked by consumers.",
        }
    ),
]


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 envelope; `schemaversion` and `correlationid` are our extension attributes.

    Extension attributes this model does not name are kept (`extensions`) and written back out.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    # No defaults for what identifies an event: an incoming envelope without them is a schema
    # violation, never a fresh id per delivery (the id is the idempotency key). new_event fills them.
    specversion: Literal["1.0"]
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: Timestamp
    datacontenttype: MediaType = JSON_MEDIA_TYPE
    dataschema: str | None = Field(default=None, min_length=1, exclude_if=lambda value: value is None)
    # Absent: filled in at validation (an empty default is never validated, an empty value is refused).
    subject: str = Field(default="", min_length=1, description="Defaults to the payload's entity id.")
    schemaversion: SchemaVersion = 1
    correlationid: str = Field(default="", min_length=1, description="Defaults to the event id.")
    # Delayed delivery: consumers do not handle the event before then (absent: at once).
    notbefore: Timestamp | None = Field(default=None, exclude_if=lambda value: value is None)
    data: DataT

    @model_validator(mode="after")
    def _defaults_from_the_event(self) -> Self:
        # Frozen: fill the two derived defaults once, at validation, on the instance's own dict.
        if not self.subject:
            self.__dict__["subject"] = self.data.subject
        if not self.correlationid:
            self.__dict__["correlationid"] = self.id
        return self

    @property
    def extensions(self) -> Mapping[str, Any]:
        """Extension attributes beyond `schemaversion` and `correlationid` (e.g. `traceparent`)."""
        return self.model_extra or {}


def check_extensions(extensions: Mapping[str, Any]) -> dict[str, Any]:
    """Extension attributes a writer may emit: CloudEvents names, scalar values, no core names."""
    named = set(CloudEvent.model_fields) | CORE_ATTRIBUTES
    for name, value in extensions.items():
        if not EXTENSION_NAME.fullmatch(name) or name in named:
            raise ValueError(f"{name!r} is not an extension attribute name (a-z, 0-9, at most 20)")
        if not isinstance(value, str | int):  # bool is an int
            raise ValueError(f"extension {name!r} must be a string, an integer or a boolean")
    return dict(extensions)


def new_event(
    data: DataT,
    *,
    correlation_id: str | None = None,
    source: str = DEFAULT_SOURCE,
    event_id: str | None = None,
    time: datetime | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> CloudEvent[DataT]:
    """Wrap a payload in a fresh envelope; the correlation id defaults to the event id.

    The current OpenTelemetry span's context (when there is one) travels as the CloudEvents
    distributed-tracing extension (`traceparent`, `tracestate`); `extensions` adds others.
    """
    identifier = event_id or str(uuid.uuid4())
    fields: dict[str, Any] = {
        "specversion": "1.0",
        "id": identifier,
        "source": source,
        "time": time or datetime.now(UTC),
        "type": data.event_type,
        "datacontenttype": JSON_MEDIA_TYPE,
        "subject": data.subject,
        "schemaversion": data.schema_version,
        "correlationid": correlation_id or identifier,
        "data": data,
    }
    fields.update(current_trace_context())
    fields.update(check_extensions(extensions or {}))
    envelope_type = cast(type[CloudEvent[DataT]], CloudEvent[type(data)])  # type: ignore[misc]
    return envelope_type(**fields)


def with_trace_context(event: CloudEvent[DataT]) -> CloudEvent[DataT]:
    """The event with the current span's trace context, unless it already carries one (a no-op
    without a current span or without OpenTelemetry)."""
    if TRACEPARENT in event.extensions:
        return event
    context = current_trace_context()
    return event.model_copy(update=context) if context else event
