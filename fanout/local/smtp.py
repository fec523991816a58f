"""A local SMTP sink (aiosmtpd) on a free loopback port: keeps what it receives, for `fanout dev` and tests.

It can be told to refuse a recipient permanently (550) or temporarily (451), so tests exercise the
email service's error handling over real SMTP.
"""

import asyncio
import email
import email.policy
import logging
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

logger = logging.getLogger(__name__)

REJECT_PERMANENT = "550 5.1.1 mailbox unavailable"
REJECT_TEMPORARY = "451 4.3.0 temporary failure, try again later"


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the sink accepted it."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        """The plain-text body."""
        part = self.message.get_body(preferencelist=("plain",))
        return cast(EmailMessage, part).get_content() if part is not None else ""


class _SinkHandler:
    """aiosmtpd hooks: refuse configured recipients, keep every accepted message."""

    def __init__(self, log: bool) -> None:
        self._lock = threading.Lock()
        self._refusals: dict[str, str] = {}
        self._received: list[ReceivedMail] = []
        self._log = log

    def refuse(self, recipient: str, reply: str | None) -> None:
        with self._lock:
            if reply is None:
                self._refusals.pop(recipient.lower(), None)
            else:
                self._refusals[recipient.lower()] = reply

    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self._lock:
            refusal = self._refusals.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        mail = ReceivedMail(envelope.mail_from or "", tuple(envelope.rcpt_tos), message)
        with self._lock:
            self._received.append(mail)
        if self._log:
            logger.info("smtp sink: %s → %s: %s", mail.sender, ", ".join(mail.recipients), mail.subject)
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """aiosmtpd's Controller, bound to port 0; the chosen port is read back before the first connect."""

    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpSink:
    """An SMTP server in a background thread that accepts mail into memory.

    `refuse_permanently(addr)` answers RCPT TO with 550, `refuse_temporarily(addr)` with 451,
    `accept(addr)` lifts either.
    """

    def __init__(self, host: str = "127.0.0.1", *, log: bool = False) -> None:
        self._handler = _SinkHandler(log)
        self._controller = _FreePortController(self._handler, hostname=host, port=0)

    @property
    def host(self) -> str:
        return str(self._controller.hostname)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def messages(self) -> list[ReceivedMail]:
        """Every accepted message, oldest first (a snapshot)."""
        return self._handler.received()

    def to(self, recipient: str) -> list[ReceivedMail]:
        """Accepted messages addressed to `recipient`."""
        return [mail for mail in self.messages if recipient.lower() in (r.lower() for r in mail.recipients)]

    def refuse_permanently(self, recipient: str) -> None:
        self._handler.refuse(recipient, REJECT_PERMANENT)

    def refuse_temporarily(self, recipient: str) -> None:
        self._handler.refuse(recipient, REJECT_TEMPORARY)

    def accept(self, recipient: str) -> None:
        self._handler.refuse(recipient, None)

    def start(self) -> Self:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def settings_env(self) -> dict[str, str]:
        """Environment variables pointing the email service at this sink."""
        return {"FANOUT_EMAIL_SMTP_HOST": self.host, "FANOUT_EMAIL_SMTP_PORT": str(self.port)}
