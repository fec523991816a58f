"""Wire formats of payload fields, stated once for the model and for the published JSON Schema.

Each format is a regular expression (ECMA-262 and Python agree on these: ASCII classes only,
anchored) that the model applies to incoming text before converting it, so a document the JSON
Schema accepts is one the model accepts, and the other way round. What a pattern cannot say
(calendar validity, cross-field sums) is written in the schema's `$comment` and checked by the model.
"""

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_extra_types.currency_code import ISO4217

#: Non-negative decimal with at most 10 integer digits and 4 decimals, as a JSON string.
MONEY_PATTERN = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,4})?$"
#: RFC 3339 date-time with an offset (upper- or lower-case T/Z, or a space), at most 6 fractional digits.
TIMESTAMP_PATTERN = (
    r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
#: A mailbox address (dot-atom local part, a DNS host name with a letters-only top-level label).
EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
CALENDAR_COMMENT = "The date must exist in the Gregorian calendar (no 30 February); checked by consumers."

_MONEY = re.compile(MONEY_PATTERN)
_UNIT = Decimal(1)
_TIMESTAMP = re.compile(TIMESTAMP_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)


def _full(pattern: re.Pattern[str], value: str) -> bool:
    """ECMA-262 semantics of an anchored pattern: `$` is the very end (Python also allows a final \n)."""
    return pattern.fullmatch(value) is not None


def money_text(value: Any) -> Any:
    """Money from JSON is a decimal string; a Decimal built in Python passes through to the bounds."""
    if isinstance(value, Decimal):
        # Built in Python: no positive exponent (1E+2), so it is written back in fixed notation.
        return value.quantize(_UNIT) if value.is_finite() and value.as_tuple().exponent > 0 else value  # type: ignore[operator]
    if isinstance(value, str) and _full(_MONEY, value):
        return Decimal(value)
    raise ValueError('money must be a decimal string such as "12.50" (>= 0, at most 4 decimals)')


def _money(value: Any, validate: ValidatorFunctionWrapHandler) -> Any:
    """Money as read from JSON: a string the pattern accepts is within every bound already, so it
    skips the Decimal checks (the consumer's hot path); anything else goes through them."""
    if isinstance(value, str) and _full(_MONEY, value):
        return Decimal(value)
    return validate(money_text(value))


def timestamp_text(value: Any) -> Any:
    """Timestamps from JSON are RFC 3339 strings with an offset (no epoch numbers)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _full(_TIMESTAMP, value):
        return value
    raise ValueError("timestamp must be an RFC 3339 date-time with an offset, e.g. 2026-11-22T12:00:00Z")


def whole_number(value: Any) -> Any:
    """A JSON integer (JSON Schema counts 2.0 as one); never a string or a boolean."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a JSON integer")
    return value


def email_text(value: Any) -> Any:
    """An address matching EMAIL_PATTERN (no display name, no comments)."""
    if isinstance(value, str) and _full(_EMAIL, value):
        return value
    raise ValueError("must be an e-mail address such as ada@example.com")


CURRENCY_CODES = tuple(sorted(ISO4217.allowed_currencies))
_CURRENCIES = frozenset(CURRENCY_CODES)


def currency_code(value: Any) -> Any:
    """An ISO 4217 code, upper case, as listed (no lower-case forms)."""
    if isinstance(value, str) and value in _CURRENCIES:
        return value
    raise ValueError("must be an ISO 4217 currency code such as EUR")


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=4),  # inside the wrap validator: checked in pydantic-core
    WrapValidator(_money),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["12.50"]}),
]
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(timestamp_text),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN, "$comment": CALENDAR_COMMENT}
    ),
]
MAX_COUNT = 1_000_000
Count = Annotated[
    int,
    Field(ge=1, le=MAX_COUNT),
    BeforeValidator(whole_number),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_COUNT}),
]
Email = Annotated[
    str,
    BeforeValidator(email_text),
    Field(max_length=254),
    WithJsonSchema({"type": "string", "pattern": EMAIL_PATTERN, "maxLength": 254}),
]
Currency = Annotated[
    str, BeforeValidator(currency_code), WithJsonSchema({"type": "string", "enum": list(CURRENCY_CODES)})
]
