"""Who may act: the action token, checked in constant time, and the checks that stop cross-site requests.

Actions are POSTs carrying the token in the `X-Fanout-Token` header and a JSON body. A browser
never attaches a custom header or a JSON content type to a cross-site form or link, and the
dashboard sends no CORS headers, so another site cannot make the on-call's browser act (the
header is the CSRF token). The Origin header, when sent, must also be this dashboard's.
The token never appears in a log line, a response or an error.
"""

import hmac
import json
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import SecretStr

TOKEN_HEADER = "X-Fanout-Token"
JSON_TYPE = "application/json"


class ActionRefused(web.HTTPException):
    """An action request that may not run; the reason is safe to show."""

    def __init__(self, status: int, reason: str) -> None:
        self.status_code = status
        super().__init__(text=json.dumps({"error": reason}), content_type=JSON_TYPE)


def token_matches(configured: SecretStr, offered: str) -> bool:
    """Constant-time comparison of the offered token with the configured one."""
    return hmac.compare_digest(configured.get_secret_value().encode(), offered.encode())


def same_origin(request: web.Request) -> bool:
    """True when the request carries no Origin header or one naming this host."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.host


def check_action(request: web.Request, configured: SecretStr | None) -> None:
    """Raise ActionRefused unless the request may run an action."""
    if configured is None:
        raise ActionRefused(403, "read-only dashboard: no FANOUT_DASHBOARD_TOKEN configured")
    if request.content_type != JSON_TYPE:
        raise ActionRefused(415, "actions take a JSON body")
    if not same_origin(request):
        raise ActionRefused(403, "cross-origin request refused")
    offered = request.headers.get(TOKEN_HEADER, "")
    if not offered or not token_matches(configured, offered):
        raise ActionRefused(401, f"missing or wrong {TOKEN_HEADER} header")
