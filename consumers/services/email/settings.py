"""Email service settings, from FANOUT_EMAIL_* environment variables."""

from enum import StrEnum
from typing import Self

from pydantic import EmailStr, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from consumers.services.database import DatabaseUrl
from fanout.state import sqlite_url


class SmtpSecurity(StrEnum):
    """`none`: plain SMTP (local sinks); `starttls`: upgrade after connecting; `tls`: implicit TLS (465)."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class EmailSettings(BaseSettings):
    """Where mail goes and where the service keeps the addresses it learned."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_EMAIL_", extra="ignore")

    smtp_host: str = Field(default="127.0.0.1", min_length=1)
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    from_address: EmailStr = "orders@example.com"
    database_url: DatabaseUrl = Field(default_factory=lambda: sqlite_url("email.sqlite3"))
    address_wait_s: float = Field(default=10.0, ge=0, le=900)
    """How long a shipped/cancelled event whose order.placed has not been seen waits before its retry."""

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> Self:
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("set both smtp_username and smtp_password, or neither")
        return self
