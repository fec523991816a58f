"""The CloudEvents 1.0 structured-mode JSON envelope every event travels in."""

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

DEFAULT_SOURCE = "urn:fanout:order-service"


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


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 envelope; `schemaversion`, `correlationid` and the optional `notbefore`
    (RFC 3339: consumers do not handle the event before then) are extension attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # No defaults for what identifies an event: an incoming envelope without them is a schema
    # violation, never a fresh id per delivery (the id is the idempotency key). new_event fills them.
    specversion: Literal["1.0"]
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    subject: str = Field(min_length=1)
    schemaversion: int = Field(ge=1)
    correlationid: str = Field(min_length=1)
    notbefore: AwareDatetime | None = None
    data: DataT

    @model_serializer(mode="wrap")
    def _omit_absent_extensions(self, handler: SerializerFunctionWrapHandler) -> Any:
        """An absent optional extension is left out, never written as null."""
        document = handler(self)
        if isinstance(document, dict) and "notbefore" in document and document["notbefore"] is None:
            del document["notbefore"]
        return document


def new_event(
    data: DataT,
    *,
    correlation_id: str | None = None,
    source: str = DEFAULT_SOURCE,
    event_id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent[DataT]:
    """Wrap a payload in a fresh envelope; the correlation id defaults to the event id."""
    identifier = event_id or str(uuid.uuid4())
    fields: dict[str, Any] = {
        "specversion": "1.0",
        "id": identifier,
        "source": source,
        "time": time or datetime.now(UTC),
        "type": data.event_type,
        "subject": data.subject,
        "schemaversion": data.schema_version,
        "correlationid": correlation_id or identifier,
        "data": data,
    }
    envelope_type = cast(type[CloudEvent[DataT]], CloudEvent[type(data)])  # type: ignore[misc]
    return envelope_type(**fields)
