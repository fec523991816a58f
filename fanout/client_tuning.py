"""Per-call costs a botocore client need not pay, each byte for byte what botocore would send.

tests/test_client_costs.py checks every shortcut against the library code it stands in for.
"""

from typing import Any

from botocore.context import get_context
from botocore.serialize import QuerySerializer
from botocore.validate import ParamValidationDecorator

from fanout.query_serializer import PlannedQuerySerializer


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


def plan_query_serializer(client: Any) -> None:
    """Give a query-protocol `client` botocore's serializer with each shape's handling planned once."""
    holder: Any = client._serializer if isinstance(client._serializer, ParamValidationDecorator) else client
    serializer: Any = holder._serializer
    if type(serializer) is QuerySerializer:  # not a subclass (EC2's) whose rules differ
        holder._serializer = PlannedQuerySerializer(vars(serializer)["_timestamp_precision"])


def tune_client(client: Any) -> None:
    """Per-call costs a client need not pay: the User-Agent rebuilt, a query body serialized and
    encoded slowly."""
    cache_user_agent(client)
    if client.meta.service_model.protocol == "query":
        plan_query_serializer(client)
        client.meta.events.register("before-sign", _encode_form_once)
