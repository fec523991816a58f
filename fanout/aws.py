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


# What botocore sends for a query-protocol body is urlencode(utf-8 items): quote_plus with safe=""
# on every key and value. urlencode's per-byte Python loop costs an SNS PublishBatch call more than
# the rest of the call, so the body is escaped with C-speed str methods instead: one str.replace per
# distinct byte that needs escaping (a JSON body has about fifteen), or one str.translate when a
# body has many distinct ones (non-Latin text), which is still a per-character lookup.
_ALWAYS_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_ESCAPES = [chr(byte) if byte in _ALWAYS_SAFE else f"%{byte:02X}" for byte in range(256)]
_ESCAPES[ord(" ")] = "+"
_PERCENT, _PLUS, _SPACE = ord("%"), ord("+"), ord(" ")
_MAX_REPLACES = 24  # distinct bytes to escape beyond which one translate is cheaper
_PAIR, _ITEM = "\x01", "\x02"  # stand-ins for "=" and "&" while the joined body is escaped


def _quote_plus(raw: bytes, keep: bytes = b"") -> str:
    """quote_plus(raw, safe="") as text; bytes in `keep` are left as they are."""
    text = raw.decode("latin-1")
    escaped = set(raw.translate(None, _ALWAYS_SAFE + keep))
    if len(escaped) > _MAX_REPLACES:
        table = list(_ESCAPES)
        for byte in keep:
            table[byte] = chr(byte)
        return text.translate(table)
    if _PERCENT in escaped:  # first: every escape added later starts with "%"
        text = text.replace("%", "%25")
    if _PLUS in escaped:  # before spaces become "+"
        text = text.replace("+", "%2B")
    for byte in escaped - {_PERCENT, _PLUS, _SPACE}:
        text = text.replace(chr(byte), _ESCAPES[byte])
    if _SPACE in escaped:
        text = text.replace(" ", "+")
    return text


def form_encode(params: dict[Any, Any]) -> str:
    """What botocore sends for a query-protocol request body: urlencode(utf-8 items, doseq=True)."""
    try:
        joined = _ITEM.join(map(_PAIR.join, params.items()))
    except TypeError:  # a key or value that is not text (bytes)
        joined = ""
    if joined.count(_PAIR) != len(params) or joined.count(_ITEM) != max(0, len(params) - 1):
        return "&".join(f"{_quote(key)}={_quote(value)}" for key, value in params.items())
    stand_ins = (_PAIR + _ITEM).encode()
    return _quote_plus(joined.encode("utf-8"), keep=stand_ins).replace(_PAIR, "=").replace(_ITEM, "&")


def _quote(value: str | bytes) -> str:
    return _quote_plus(value.encode("utf-8") if isinstance(value, str) else value)


def _encode_form_once(request: Any, **kwargs: Any) -> None:
    """Before signing, encode a query-protocol body once (botocore would encode it per prepare)."""
    if isinstance(request.data, dict) and {*map(type, request.data.values())} <= {str, bytes}:
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
