"""Keep secrets and message content out of logs and error messages.

`mask_url_password` hides the password of a URL or libpq connection string (a database URL in an
error message): `user:password@`, a `password=` query parameter or `password=` keyword;
`log_safe` bounds a free-text error for a log line and drops the input values pydantic quotes.
"""

import re
from urllib.parse import urlsplit, urlunsplit

MAX_LOG_TEXT = 300  # characters of an error message or dead-letter detail in one log line
MASK = "***"

_PYDANTIC_INPUT = re.compile(r"input_value=.*?(?=, input_type=|\]$|\]\n|$)", re.DOTALL)
_KEYWORD_PASSWORD = re.compile(
    r"(?P<key>\bpassword\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'|[^&\s;]*)", re.IGNORECASE
)
_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@\s]*)@", re.IGNORECASE
)


def mask_url_password(url: str) -> str:
    """`url` with its password replaced by *** (user, host and path kept); unchanged without one."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # not parseable as a URL: mask anything that looks like a password
        return mask_url_passwords(url)
    if password:
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        url = urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))
    return _mask_keywords(url)


def mask_url_passwords(text: str) -> str:
    """Every `scheme://user:password@` and `password=...` in free text with its password masked."""
    return _mask_keywords(_URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text))


def _mask_keywords(text: str) -> str:
    return _KEYWORD_PASSWORD.sub(lambda m: f"{m['key']}{MASK}", text)


def log_safe(text: str, limit: int = MAX_LOG_TEXT) -> str:
    """`text` for a log line: quoted inputs dropped, URL passwords masked, one line, at most `limit` chars."""
    cleaned = mask_url_passwords(_PYDANTIC_INPUT.sub("input_value=<redacted>", text))
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
