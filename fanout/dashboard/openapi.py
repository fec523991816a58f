"""The OpenAPI 3.1 description of the dashboard's JSON API, served at /api/openapi.json."""

from typing import Any

JSON = "application/json"
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
NULLABLE_INTEGER = {"type": ["integer", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


ERROR = {"description": "The request was refused or failed", "content": {JSON: {"schema": _ref("Error")}}}
CONSUMER = {
    "name": "consumer",
    "in": "path",
    "required": True,
    "description": "Consumer name, e.g. email",
    "schema": {"type": "string"},
}
TOKEN = {
    "name": "X-Fanout-Token",
    "in": "header",
    "required": True,
    "description": "The FANOUT_DASHBOARD_TOKEN; it is also the CSRF token (never sent by cross-site forms)",
    "schema": {"type": "string"},
}

SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": {"type": "string"}}),
    "Config": _object(
        {
            "env": {"type": "string"},
            "consumers": {"type": "array", "items": {"type": "string"}},
            "actions_enabled": {"type": "boolean"},
            "refresh_s": {"type": "number"},
            "metrics_configured": {"type": "boolean"},
            "processed_events": {"type": "array", "items": {"type": "string"}},
            "event_log": {"type": "boolean"},
        }
    ),
    "ConsumerOverview": _object(
        {
            "consumer": {"type": "string"},
            "queue": _object(
                {
                    "name": {"type": "string"},
                    "visible": {"type": "integer"},
                    "in_flight": {"type": "integer"},
                    "delayed": {"type": "integer"},
                    "read_at": {"type": "string", "format": "date-time"},
                }
            ),
            "dlq": _object(
                {
                    "name": {"type": "string"},
                    "depth": {"type": "integer"},
                    "oldest_age_s": NULLABLE_NUMBER,
                    "oldest_age_exact": {"type": "boolean"},
                    "read_at": {"type": "string", "format": "date-time"},
                }
            ),
            "alert": {
                "oneOf": [
                    {"type": "null"},
                    _object(
                        {
                            "state": {"enum": ["firing", "resolved", "unknown"]},
                            "since": NULLABLE_STRING,
                            "last_depth": NULLABLE_INTEGER,
                            "read_at": NULLABLE_STRING,
                        }
                    ),
                ]
            },
            "metrics": {
                "oneOf": [
                    {"type": "null"},
                    _object(
                        {
                            "handled_per_min": NULLABLE_NUMBER,
                            "retried_per_min": NULLABLE_NUMBER,
                            "dead_lettered_per_min": NULLABLE_NUMBER,
                            "p50_s": NULLABLE_NUMBER,
                            "p99_s": NULLABLE_NUMBER,
                            "utilisation": NULLABLE_NUMBER,
                            "in_flight": {"type": "number"},
                            "window_s": {"type": "number"},
                            "scraped_at": {"type": "string", "format": "date-time"},
                        }
                    ),
                ]
            },
        }
    ),
    "Overview": _object(
        {
            "generated_at": {"type": "string", "format": "date-time"},
            "metrics_configured": {"type": "boolean"},
            "consumers": {"type": "array", "items": _ref("ConsumerOverview")},
            "errors": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "DeadLetter": _object(
        {
            "message_id": {"type": "string"},
            "event_id": NULLABLE_STRING,
            "event_type": NULLABLE_STRING,
            "subject": NULLABLE_STRING,
            "reason": {"type": "string"},
            "detail": NULLABLE_STRING,
            "source_queue": NULLABLE_STRING,
            "receive_count": NULLABLE_INTEGER,
            "first_seen": {"type": "string"},
            "dead_lettered_at": {"type": "string"},
            "body_bytes": {"type": "integer"},
            "body": {"type": "string", "description": "Pretty-printed, cut at the preview length"},
            "body_truncated": {"type": "boolean"},
        }
    ),
    "DeadLetterQueue": _object(
        {
            "consumer": {"type": "string"},
            "dlq": {"type": "string"},
            "source_queue": {"type": "string"},
            "depth": {"type": "integer"},
            "oldest_age_s": NULLABLE_NUMBER,
            "oldest_age_exact": {"type": "boolean"},
            "read_at": {"type": "string", "format": "date-time"},
            "messages": {"type": "array", "items": _ref("DeadLetter")},
        }
    ),
    "RedriveRequest": _object(
        {
            "confirm": {"type": "string", "description": "The consumer's name, to confirm"},
            "message_ids": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "maxItems": 100,
                "description": "Only these messages; all when left out",
            },
            "by": {"type": "string", "description": "Who asks (recorded in the action log)"},
        },
        ["confirm"],
    ),
    "PurgeRequest": _object(
        {"confirm": {"type": "string"}, "by": {"type": "string"}},
        ["confirm"],
    ),
    "RedriveResult": _object(
        {
            "consumer": {"type": "string"},
            "requested": {"type": "integer"},
            "moved": {"type": "integer"},
            "move_task": {**NULLABLE_STRING, "description": "StartMessageMoveTask handle (AWS)"},
        }
    ),
    "PurgeResult": _object({"consumer": {"type": "string"}, "purged": {"type": "integer"}}),
    "Trace": _object(
        {
            "key": {"type": "string"},
            "events": {
                "type": "array",
                "items": _object(
                    {
                        "event_id": {"type": "string"},
                        "event_type": NULLABLE_STRING,
                        "subject": NULLABLE_STRING,
                        "time": NULLABLE_STRING,
                        "consumers": {
                            "type": "array",
                            "items": _object(
                                {
                                    "consumer": {"type": "string"},
                                    "routed": {"type": ["boolean", "null"]},
                                    "handled_known": {"type": "boolean"},
                                    "handled_at": NULLABLE_STRING,
                                    "dead_letters": {
                                        "type": "array",
                                        "items": _object(
                                            {
                                                "message_id": {"type": "string"},
                                                "reason": {"type": "string"},
                                                "detail": NULLABLE_STRING,
                                            }
                                        ),
                                    },
                                }
                            ),
                        },
                    }
                ),
            },
            "errors": {"type": "array", "items": {"type": "string"}},
        }
    ),
}


def _action(summary: str, request: str, result: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [CONSUMER, TOKEN],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref(request)}}},
            "responses": {
                "200": _ok(_ref(result), "Done"),
                "400": ERROR,
                "401": ERROR,
                "403": ERROR,
                "404": ERROR,
                "415": ERROR,
            },
        }
    }


def openapi_document() -> dict[str, Any]:
    """The API description (OpenAPI 3.1)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fanout dashboard API",
            "version": "1",
            "description": "Queues, dead-letter queues, alerts and traces of a fanout deployment. "
            "Actions need the X-Fanout-Token header; without a configured token the API is read-only.",
        },
        "paths": {
            "/api/config": {
                "get": {
                    "summary": "What this dashboard can do",
                    "responses": {"200": _ok(_ref("Config"), "Configuration")},
                }
            },
            "/api/overview": {
                "get": {
                    "summary": "Every consumer's queues, alert and metrics",
                    "responses": {"200": _ok(_ref("Overview"), "The overview")},
                }
            },
            "/api/dlq/{consumer}": {
                "get": {
                    "summary": "Peek at a consumer's DLQ (nothing is consumed)",
                    "parameters": [
                        CONSUMER,
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "Messages to show (default FANOUT_DASHBOARD_BROWSE_LIMIT)",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                        },
                    ],
                    "responses": {"200": _ok(_ref("DeadLetterQueue"), "The DLQ"), "400": ERROR, "404": ERROR},
                }
            },
            "/api/dlq/{consumer}/messages/{message_id}/body": {
                "get": {
                    "summary": "One message's whole body, as a download",
                    "parameters": [
                        CONSUMER,
                        {"name": "message_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "The body",
                            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                        },
                        "404": ERROR,
                    },
                }
            },
            "/api/dlq/{consumer}/redrive": _action(
                "Move all or the selected messages back to the consumer's queue",
                "RedriveRequest",
                "RedriveResult",
            ),
            "/api/dlq/{consumer}/purge": _action(
                "Delete every message of the DLQ", "PurgeRequest", "PurgeResult"
            ),
            "/api/trace/{id}": {
                "get": {
                    "summary": "Where an event (event id or order id) was routed, handled, dead-lettered",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 200},
                        }
                    ],
                    "responses": {"200": _ok(_ref("Trace"), "The trace"), "400": ERROR},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {JSON: {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
