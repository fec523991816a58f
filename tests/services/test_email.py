"""The email service over real SMTP (the local sink) and a real SQLite address store."""

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from svc_factories import cancelled, context, placed, shipped

from consumers.runtime.context import HandlerContext
from consumers.runtime.errors import PermanentError, RetryableError
from consumers.services.email.service import EmailService
from consumers.services.email.settings import EmailSettings
from fanout.contract import CloudEvent
from fanout.local.smtp import SmtpSink


def settings_for(sink: SmtpSink, tmp_path: Path, **overrides: Any) -> EmailSettings:
    fields: dict[str, Any] = {
        "smtp_host": sink.host,
        "smtp_port": sink.port,
        "database_url": f"sqlite:///{tmp_path / 'email.sqlite3'}",
        "from_address": "shop@example.com",
    }
    return EmailSettings(**(fields | overrides))


@pytest.fixture
async def service(smtp_sink: SmtpSink, tmp_path: Path) -> AsyncIterator[EmailService]:
    service = EmailService(settings_for(smtp_sink, tmp_path, address_wait_s=7))
    await service.start()
    yield service
    await service.stop()


async def handle(service: EmailService, event: CloudEvent[Any], ctx: HandlerContext | None = None) -> None:
    """Dispatch as the runtime does: by event type through the service's handler table."""
    await service.handlers()[event.type].call(event, ctx or context("email"))


async def test_placed_sends_one_confirmation_with_order_and_total(
    service: EmailService, smtp_sink: SmtpSink
) -> None:
    event = placed("o-42", email="ann@example.com", lines=(("SKU-1", 2, "9.95"), ("SKU-2", 1, "5.10")))
    await handle(service, event)

    [mail] = smtp_sink.messages
    assert mail.recipients == ("ann@example.com",)
    assert mail.sender == "shop@example.com"
    assert "o-42" in mail.subject
    assert "Total: 25.00 EUR" in mail.text
    assert "2 x SKU-1 at 9.95" in mail.text
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None and "o-42" in html.get_content()
    assert mail.message["Message-ID"] == f"<{event.id}@example.com>"


async def test_shipped_and_cancelled_go_to_the_address_learned_from_placed(
    service: EmailService, smtp_sink: SmtpSink
) -> None:
    await handle(service, placed("o-7", email="bob@example.com"))
    await handle(service, shipped("o-7"))
    await handle(service, cancelled("o-7"))

    mails = smtp_sink.to("bob@example.com")
    assert [mail.subject for mail in mails] == [
        "Order o-7 confirmed",
        "Order o-7 has shipped",
        "Order o-7 cancelled",
    ]
    assert "TRK-123" in mails[1].text
    assert "changed my mind" in mails[2].text


async def test_address_survives_a_restart(smtp_sink: SmtpSink, tmp_path: Path) -> None:
    first = EmailService(settings_for(smtp_sink, tmp_path))
    await first.start()
    await handle(first, placed("o-9", email="cy@example.com"))
    await first.stop()

    second = EmailService(settings_for(smtp_sink, tmp_path))
    await second.start()
    await handle(second, shipped("o-9"))
    await second.stop()
    assert [mail.subject for mail in smtp_sink.to("cy@example.com")][-1] == "Order o-9 has shipped"


async def test_event_for_an_unseen_order_retries_then_dead_letters(
    service: EmailService, smtp_sink: SmtpSink
) -> None:
    with pytest.raises(RetryableError, match=r"no order\.placed seen for order o-late") as retry:
        await handle(service, shipped("o-late"), context("email", attempt=1, max_attempts=5))
    assert retry.value.delay_s == 7
    with pytest.raises(PermanentError, match="customer address unknown"):
        await handle(service, shipped("o-late"), context("email", attempt=5, max_attempts=5))
    assert smtp_sink.messages == []

    # The placed event arrives late: the next retry succeeds.
    await handle(service, placed("o-late", email="dee@example.com"))
    await handle(service, shipped("o-late"), context("email", attempt=2, max_attempts=5))
    assert len(smtp_sink.to("dee@example.com")) == 2


async def test_recipient_refused_with_550_is_permanent(service: EmailService, smtp_sink: SmtpSink) -> None:
    smtp_sink.refuse_permanently("nobody@example.com")
    with pytest.raises(PermanentError, match="SMTP 550"):
        await handle(service, placed("o-1", email="nobody@example.com"))
    assert smtp_sink.messages == []


async def test_temporary_451_is_retryable_and_a_retry_delivers(
    service: EmailService, smtp_sink: SmtpSink
) -> None:
    smtp_sink.refuse_temporarily("busy@example.com")
    with pytest.raises(RetryableError, match="SMTP 451"):
        await handle(service, placed("o-2", email="busy@example.com"))
    assert smtp_sink.messages == []

    smtp_sink.accept("busy@example.com")
    await handle(service, placed("o-2", email="busy@example.com"))
    assert len(smtp_sink.to("busy@example.com")) == 1


async def test_unreachable_server_is_retryable(smtp_sink: SmtpSink, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    service = EmailService(settings_for(smtp_sink, tmp_path, smtp_port=closed_port, smtp_timeout_s=2))
    await service.start()
    try:
        with pytest.raises(RetryableError, match="SMTP"):
            await handle(service, placed("o-3"))
    finally:
        await service.stop()


def test_settings_reject_half_credentials_and_bad_database_urls() -> None:
    with pytest.raises(ValidationError, match="smtp_username and smtp_password"):
        EmailSettings(smtp_username="user")
    with pytest.raises(ValidationError, match="sqlite:///path or postgresql://"):
        EmailSettings(database_url="mysql://db/x")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANOUT_EMAIL_SMTP_PORT", "2525")
    monkeypatch.setenv("FANOUT_EMAIL_SMTP_SECURITY", "starttls")
    settings = EmailSettings()
    assert (settings.smtp_port, settings.smtp_security) == (2525, "starttls")
