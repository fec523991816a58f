"""Sends a message over SMTP and sorts failures: 5xx for this message is permanent, the rest retryable."""

import importlib
from email.message import EmailMessage

from consumers.runtime.errors import PermanentError, RetryableError
from consumers.services.email.settings import EmailSettings, SmtpSecurity


class MailSender:
    """An SMTP client configured from EmailSettings (one connection per message)."""

    def __init__(self, settings: EmailSettings) -> None:
        importlib.import_module("aiosmtplib")  # the services extra: missing, fail at start, not at a mail
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        """Deliver `message`; raise PermanentError on a 5xx refusal, RetryableError otherwise."""
        import aiosmtplib  # imported here, not at module level: the catalog loads without the extra

        settings = self._settings
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                use_tls=settings.smtp_security is SmtpSecurity.TLS,
                start_tls=settings.smtp_security is SmtpSecurity.STARTTLS,
                timeout=settings.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise _classified(error.recipients[0].code, error.recipients[0].message) from error
        except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPRecipientRefused) as error:
            raise _classified(error.code, error.message) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            # Connection trouble, timeouts, and server-level refusals (auth, sender) that a
            # configuration fix or a recovering server resolves: retry, never drop.
            raise RetryableError(f"SMTP {type(error).__name__}: {error}") from error


def _classified(code: int, reply: str) -> PermanentError | RetryableError:
    """A refusal of this message: 5xx will never succeed, 4xx may."""
    detail = f"SMTP {code}: {reply}"
    return PermanentError(detail) if 500 <= code < 600 else RetryableError(detail)
