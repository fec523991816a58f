"""Exceptions handlers raise to steer what happens to a message."""

from fanout.errors import FanoutError


class PermanentError(FanoutError):
    """Retrying cannot help (bad address, business rule): dead-letter the message at once."""


class RetryableError(FanoutError):
    """A transient failure; the message is retried after the handler's backoff.

    Any exception not marked permanent is retryable; raise this to say so explicitly or to
    ask for a specific delay.
    """

    def __init__(self, message: str, *, delay_s: float | None = None) -> None:
        super().__init__(message)
        self.delay_s = delay_s


class UnhandledEventType(FanoutError):
    """The service has no handler for a (valid) event type: the message is dead-lettered at once."""


class HandlerTimeout(RetryableError):
    """The handler ran past its timeout; like any retryable failure, the message is retried."""


class DelayTooLong(FanoutError):
    """The event's `notbefore` lies beyond the receives its queue allows: dead-lettered at once."""
