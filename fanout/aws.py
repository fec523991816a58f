"""AWS client wiring: the endpoint and region come from the environment, nothing is hard-wired.

`AWS_ENDPOINT_URL` (or the CLI's `--endpoint-url`, which sets it) points every client at an
SNS/SQS-compatible endpoint; without it the clients talk to real AWS.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from fanout.client_tuning import tune_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from types_aiobotocore_s3 import S3Client as AioS3Client
    from types_aiobotocore_sns import SNSClient as AioSNSClient
    from types_aiobotocore_sqs import SQSClient as AioSQSClient

Service = Literal["sns", "sqs", "s3"]

#: What a failed AWS call raises: the service's error, the SDK's (connection, timeout, ...), or an
#: answer that is not AWS's at all (an HTML error page from a proxy or a wrong endpoint).
AWS_CALL_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ResponseParserError)

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=5,
    read_timeout=30,  # must exceed the 20 s long-poll wait
    max_pool_connections=50,
)


class AwsSettings(BaseSettings):
    """Where AWS calls go: standard AWS variables, read once per process."""

    model_config = SettingsConfigDict(extra="ignore")

    endpoint_url: str | None = Field(default=None, validation_alias=AliasChoices("AWS_ENDPOINT_URL"))
    region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by boto3 and aiobotocore client constructors."""
        kwargs: dict[str, Any] = {"region_name": self.region, "config": CLIENT_CONFIG}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        return kwargs


def aws_settings() -> AwsSettings:
    """The current AWS settings (re-read each call so a CLI flag set at start-up is seen)."""
    return AwsSettings()


@cache
def _boto3_session() -> boto3.session.Session:
    return boto3.session.Session()


@overload
def sync_client(service: Literal["sns"]) -> "SNSClient": ...
@overload
def sync_client(service: Literal["sqs"]) -> "SQSClient": ...
@overload
def sync_client(service: Literal["s3"]) -> "S3Client": ...
def sync_client(service: Service) -> Any:
    """A boto3 client for the configured endpoint and region."""
    client = _boto3_session().client(service, **aws_settings().client_kwargs())
    tune_client(client)
    return client


@overload
def async_client(
    service: Literal["sns"], *, validate_parameters: bool = True
) -> AbstractAsyncContextManager["AioSNSClient"]: ...
@overload
def async_client(
    service: Literal["sqs"], *, validate_parameters: bool = True
) -> AbstractAsyncContextManager["AioSQSClient"]: ...
@overload
def async_client(
    service: Literal["s3"], *, validate_parameters: bool = True
) -> AbstractAsyncContextManager["AioS3Client"]: ...
def async_client(service: Service, *, validate_parameters: bool = True) -> Any:
    """An aiobotocore client context manager for the configured endpoint and region.

    `validate_parameters=False` skips botocore's client-side check of every request against the
    API model (a few % of a busy consumer's CPU): for callers whose requests are built by code
    that mypy checks against the same model; the service still validates them.
    """
    return _async_client(service, validate_parameters)


@asynccontextmanager
async def _async_client(service: Service, validate_parameters: bool) -> AsyncIterator[Any]:
    kwargs = aws_settings().client_kwargs()
    if not validate_parameters:
        kwargs["config"] = kwargs["config"].merge(Config(parameter_validation=False))
    async with get_session().create_client(service, **kwargs) as client:
        tune_client(client)
        yield client
