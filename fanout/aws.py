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
from botocore.context import get_context
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from types_aiobotocore_s3 import S3Client as AioS3Client
    from types_aiobotocore_sns import SNSClient as AioSNSClient
    from types_aiobotocore_sqs import SQSClient as AioSQSClient

Service = Literal["sns", "sqs", "s3"]

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


class _UserAgentCache:
    """Stands in for a client's `to_string` of its User-Agent: built once per set of feature ids.

    botocore rebuilds the header from a dozen components, twice per call (about 8 % of a busy
    consumer's CPU); only the per-request feature ids (retry mode, ...) can change between calls,
    so the string is kept per set of them and is byte for byte what botocore would send.
    """

    def __init__(self, build: Any) -> None:
        self._build = build
        self._strings: dict[frozenset[str], str] = {}

    def __call__(self) -> str:
        context = get_context()
        key = frozenset(context.features) if context is not None else frozenset()
        text = self._strings.get(key)
        if text is None:
            text = self._strings[key] = self._build()
        return text


def cache_user_agent(client: Any) -> None:
    """Make `client` (boto3 or aiobotocore) build its User-Agent header once per feature set."""
    creator = getattr(client, "_user_agent_creator", None)
    if creator is not None and callable(getattr(creator, "to_string", None)):
        creator.to_string = _UserAgentCache(creator.to_string)


# quote_plus(value, safe="") for every byte, as one str.translate table: urlencode's per-byte
# Python loop costs a query-protocol client (SNS) more than the rest of a PublishBatch call.
_ALWAYS_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_QUOTE_PLUS = {byte: chr(byte) if byte in _ALWAYS_SAFE else f"%{byte:02X}" for byte in range(256)}
_QUOTE_PLUS[ord(" ")] = "+"


def _quote_plus(value: str | bytes) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return raw.decode("latin-1").translate(_QUOTE_PLUS)


_PAIR, _ITEM = "\x01", "\x02"  # stand-ins for "=" and "&", turned into them by the same translate
_JOINED = {**_QUOTE_PLUS, ord(_PAIR): "=", ord(_ITEM): "&"}


def form_encode(params: dict[Any, Any]) -> str:
    """What botocore sends for a query-protocol request body: urlencode(utf-8 items, doseq=True)."""
    texts = [part for key, value in params.items() for part in (key, value)]
    if not all(isinstance(text, str) and _PAIR not in text and _ITEM not in text for text in texts):
        return "&".join(f"{_quote_plus(key)}={_quote_plus(value)}" for key, value in params.items())
    joined = _ITEM.join(f"{key}{_PAIR}{value}" for key, value in zip(texts[::2], texts[1::2], strict=True))
    return joined.encode("utf-8").decode("latin-1").translate(_JOINED)


def _encode_form_once(request: Any, **kwargs: Any) -> None:
    """Before signing, encode a query-protocol body once (botocore would encode it per prepare)."""
    if isinstance(request.data, dict) and all(
        isinstance(value, str | bytes) for value in request.data.values()
    ):
        request.data = form_encode(request.data)


def tune_client(client: Any) -> None:
    """Per-call costs a client need not pay: the User-Agent rebuilt, a query body encoded slowly."""
    cache_user_agent(client)
    if client.meta.service_model.protocol == "query":
        client.meta.events.register("before-sign", _encode_form_once)


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
