"""The order service's side: publish typed events to the SNS topic, one or many, sync or async.

from producer import Publisher
Publisher().publish_many(events).raise_for_failures()
"""

from producer.async_publisher import AsyncPublisher
from producer.demo import DemoOrders, demo_events
from producer.entries import DEFAULT_MAX_MESSAGE_BYTES, OversizedMessage
from producer.options import PublishOptions, RetryPolicy
from producer.publisher import Publisher
from producer.results import BatchResult, PublishFailed, PublishResult

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "AsyncPublisher",
    "BatchResult",
    "DemoOrders",
    "OversizedMessage",
    "PublishFailed",
    "PublishOptions",
    "PublishResult",
    "Publisher",
    "RetryPolicy",
    "demo_events",
]
