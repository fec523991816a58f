"""An e-mail address field that validates exactly like pydantic's EmailStr, at a fraction of the cost.

EmailStr runs email-validator on every value (IDNA and Unicode checks: the largest single cost of
decoding an order event). Most addresses are plain ASCII `local@domain.tld`: for those, a strict
pattern decides, and its answer (accepted, domain lower-cased) is the one email-validator gives
— tests check the two agree. Anything outside that plain subset (Unicode, quoted local parts,
display names, IDNA labels, special-use domains, odd lengths) goes to EmailStr's own validation,
so no address is accepted or rejected differently than before.
"""

import re
from typing import Annotated, Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import AfterValidator, WithJsonSchema
from pydantic.networks import validate_email

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
PLAIN_ADDRESS = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")
MAX_LOCAL = 64
MAX_ADDRESS = 254
_SPECIAL_SUFFIXES = tuple(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES)


def plain_address(value: str) -> str | None:
    """The normalized address when `value` is a plain ASCII one email-validator accepts, else None."""
    match = PLAIN_ADDRESS.fullmatch(value)
    if match is None or len(value) > MAX_ADDRESS:
        return None
    local, domain = match.groups()
    domain = domain.lower()
    if len(local) > MAX_LOCAL or "--" in domain or (f".{domain}").endswith(_SPECIAL_SUFFIXES):
        return None  # IDNA-looking labels and special-use names: email-validator decides
    return f"{local}@{domain}"


def normalize_email(value: str) -> str:
    """EmailStr's validation and normalization, with the plain-address fast path."""
    return plain_address(value) or validate_email(value)[1]


def _validated(value: Any) -> str:
    return normalize_email(value)


Email = Annotated[str, AfterValidator(_validated), WithJsonSchema({"type": "string", "format": "email"})]
"""Use as a field type where EmailStr would be: same accepted values, same normalization."""
