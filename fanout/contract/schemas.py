"""The published JSON Schema of one event type and version: its exact envelope.

It accepts exactly what the consumer accepts, except for rules a JSON Schema cannot state
(calendar dates, a total equal to its lines, a utf-8 charset), which are written in `$comment`
and enforced by the consumer. Extension attributes are allowed (CloudEvents requires it).
"""

import copy
from typing import Any

from fanout.contract.envelope import CloudEvent, EventData

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def envelope_schema(model: type[EventData]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an envelope carrying `model`'s event type and version."""
    schema = copy.deepcopy(CloudEvent[model].model_json_schema())  # type: ignore[valid-type]
    properties = schema["properties"]
    properties["type"] = {"const": model.event_type, "title": "Type"}
    for derived in ("subject", "correlationid"):  # defaults computed from the event, not a value
        properties[derived].pop("default", None)
    version = model.schema_version
    properties["schemaversion"] = {
        "anyOf": [{"const": version}, {"const": str(version)}],
        "title": "Schemaversion",
        "$comment": "Absent means 1.",
    }
    if version != 1:
        schema["required"] = [*schema["required"], "schemaversion"]
    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = f"{model.event_type} v{version}"
    return schema
