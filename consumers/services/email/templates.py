"""The confirmation mail for each event type: a subject and a few paragraphs, as text and HTML."""

import html
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from fanout.contract import CloudEvent, OrderCancelled, OrderPlaced, OrderShipped


@dataclass(frozen=True)
class Confirmation:
    """What a mail says, before it is rendered."""

    subject: str
    paragraphs: tuple[str, ...]


def confirmation(event: CloudEvent[Any]) -> Confirmation:
    """The confirmation a customer receives for an order event."""
    data = event.data
    match data:
        case OrderPlaced():
            lines = "\n".join(f"{item.quantity} x {item.sku} at {item.unit_price}" for item in data.items)
            return Confirmation(
                f"Order {data.order_id} confirmed",
                (
                    f"Thank you for your order {data.order_id}.",
                    lines,
                    f"Total: {data.total} {data.currency}",
                ),
            )
        case OrderShipped():
            return Confirmation(
                f"Order {data.order_id} has shipped",
                (
                    f"Your order {data.order_id} is on its way with {data.carrier}.",
                    f"Tracking number: {data.tracking_number}",
                ),
            )
        case OrderCancelled():
            return Confirmation(
                f"Order {data.order_id} cancelled",
                (f"Your order {data.order_id} was cancelled.", f"Reason: {data.reason}"),
            )
    raise TypeError(f"no email template for {event.type}")


def render(event: CloudEvent[Any], sender: str, recipient: str) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML).

    The Message-ID derives from the event id, so a mail sent twice for one event (SMTP is not
    transactional) carries the same id and mail clients can fold the copies together.
    """
    content = confirmation(event)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = content.subject
    message["Message-ID"] = f"<{event.id}@{Address(addr_spec=sender).domain}>"
    message.set_content("\n\n".join(content.paragraphs) + "\n")
    message.add_alternative(
        "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in content.paragraphs),
        subtype="html",
    )
    return message
