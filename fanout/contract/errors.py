"""Typed errors raised when a message cannot become a typed event."""

from enum import StrEnum

from fanout.errors import FanoutError


class RejectReason(StrEnum):
    """Why a message was refused; recorded on the message when it is dead-lettered."""

    MALFORMED = "malformed"
    UNKNOWN_TYPE = "unknown_type"
    SCHEMA_VIOLATION = "schema_violation"
    FOREIGN = "foreign"
    PAYLOAD_MISSING = "payload_missing"
    PAYLOAD_FORBIDDEN = "payload_forbidden"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    ATTRIBUTE_MISMATCH = "attribute_mismatch"


class ContractError(FanoutError):
    """A message or payload does not satisfy the event contract."""

    reason: RejectReason = RejectReason.MALFORMED

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"


class MalformedMessage(ContractError):
    """The body is not JSON, not UTF-8, or not a CloudEvents envelope."""

    reason = RejectReason.MALFORMED


class ForeignMessage(ContractError):
    """The body is well-formed JSON but not something this system publishes."""

    reason = RejectReason.FOREIGN


class UnknownEventType(ContractError):
    """The envelope names an event type (or version) that no model is registered for."""

    reason = RejectReason.UNKNOWN_TYPE


class SchemaViolation(ContractError):
    """The envelope or its data does not validate against the registered model."""

    reason = RejectReason.SCHEMA_VIOLATION


class MissingPayload(ContractError):
    """The body points to an offloaded payload (claim check) that no longer exists."""

    reason = RejectReason.PAYLOAD_MISSING


class ForbiddenPayload(ContractError):
    """The body points to a payload in a bucket this consumer is not allowed to read from."""

    reason = RejectReason.PAYLOAD_FORBIDDEN


class PayloadTooLarge(ContractError):
    """The offloaded payload is larger than the consumer's cap."""

    reason = RejectReason.PAYLOAD_TOO_LARGE


class AttributeMismatch(ContractError):
    """A message attribute the subscription routed on disagrees with the body (e.g. `event_type`)."""

    reason = RejectReason.ATTRIBUTE_MISMATCH
