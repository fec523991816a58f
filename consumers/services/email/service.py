"""The email service: confirms placed, shipped and cancelled orders to the customer.

Delivery is at-least-once: SMTP is not transactional, so a mail accepted by the server just before
a crash (or a lost delete) is sent again on redelivery. The runtime's idempotency store, when the
service runs with one, skips events already handled; both copies carry the same Message-ID.

Shipped and cancelled events carry no address: it is learned from order.placed. SNS/SQS do not
order messages, so an event for an order not yet seen placed is retried after `address_wait_s`
(the placed event may still arrive); on the queue's last attempt it is dead-lettered as permanent,
with the reason recorded.
"""

from typing import Any

from consumers.runtime.backoff import Exponential, Jitter
from consumers.runtime.context import HandlerContext
from consumers.runtime.errors import PermanentError, RetryableError
from consumers.runtime.service import Service, handles
from consumers.services.database import Database, open_database
from consumers.services.email import addresses
from consumers.services.email.addresses import AddressBook
from consumers.services.email.sender import MailSender
from consumers.services.email.settings import EmailSettings
from consumers.services.email.templates import render
from fanout.contract import CloudEvent, OrderCancelled, OrderPlaced, OrderShipped
from fanout.topology.model import QueueSettings

SMTP_BACKOFF = Exponential(initial_s=5, factor=3, cap_s=300, jitter=Jitter.EQUAL)
SMTP_TIMEOUT_S = 30.0


class EmailService(Service):
    """Sends one confirmation mail per order event."""

    name = "email"
    queue = QueueSettings(max_receive_count=5, visibility_timeout_s=60)

    def __init__(self, settings: EmailSettings | None = None) -> None:
        self.settings = settings or EmailSettings()
        self._sender = MailSender(self.settings)
        self._database: Database | None = None

    async def start(self) -> None:
        self._database = await open_database(self.settings.database_url)
        await self._database.migrate(addresses.SCHEMA)

    async def stop(self) -> None:
        if self._database is not None:
            await self._database.close()
            self._database = None

    @property
    def addresses(self) -> AddressBook:
        if self._database is None:
            raise RuntimeError("EmailService.start() has not run")
        return AddressBook(self._database)

    @handles(OrderPlaced, retry=SMTP_BACKOFF, timeout_s=SMTP_TIMEOUT_S)
    async def confirm_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        await self.addresses.remember(event.data.order_id, event.data.customer_email)
        await self._send(event, event.data.customer_email)

    @handles(OrderShipped, retry=SMTP_BACKOFF, timeout_s=SMTP_TIMEOUT_S)
    async def confirm_shipped(self, event: CloudEvent[OrderShipped], context: HandlerContext) -> None:
        await self._send(event, await self._recipient(event.data.order_id, context))

    @handles(OrderCancelled, retry=SMTP_BACKOFF, timeout_s=SMTP_TIMEOUT_S)
    async def confirm_cancelled(self, event: CloudEvent[OrderCancelled], context: HandlerContext) -> None:
        await self._send(event, await self._recipient(event.data.order_id, context))

    async def _recipient(self, order_id: str, context: HandlerContext) -> str:
        """The address learned for `order_id`; retry while order.placed may still arrive."""
        address = await self.addresses.lookup(order_id)
        if address is not None:
            return address
        detail = f"customer address unknown: no order.placed seen for order {order_id}"
        if context.is_last_attempt:
            raise PermanentError(detail)
        raise RetryableError(detail, delay_s=self.settings.address_wait_s)

    async def _send(self, event: CloudEvent[Any], recipient: str) -> None:
        await self._sender.send(render(event, self.settings.from_address, recipient))
