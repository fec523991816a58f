"""Backoff strategies for handler retries; they live in `fanout.backoff`, shared with the producer."""

from fanout.backoff import MAX_VISIBILITY_S, Backoff, Explicit, Exponential, Fixed, Jitter, Linear

__all__ = ["MAX_VISIBILITY_S", "Backoff", "Explicit", "Exponential", "Fixed", "Jitter", "Linear"]
