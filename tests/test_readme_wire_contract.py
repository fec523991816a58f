"""The README's complete example message is one the consumer accepts and its JSON Schema allows."""

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator

from fanout.contract import CloudEvent, OrderPlaced
from fanout.contract.schemas import envelope_schema
from fanout.contract.wire import check_routing, read_body

README = Path(__file__).resolve().parent.parent / "README.md"


def example() -> tuple[dict[str, dict[str, str]], str]:
    section = README.read_text().split("## Wire contract", 1)[1].split("\n## ", 1)[0]
    attributes, body = re.findall(r"```json\n(.*?)```", section, re.DOTALL)[:2]
    return json.loads(attributes), body


def test_the_readme_example_is_accepted_as_documented() -> None:
    attributes, body = example()
    event = read_body(body)
    assert isinstance(event, CloudEvent)
    assert isinstance(event.data, OrderPlaced)
    check_routing(event, attributes)  # type: ignore[arg-type]
    assert event.extensions["traceparent"] == attributes["traceparent"]["StringValue"]
    assert attributes["correlation_id"]["StringValue"] == event.correlationid
    assert Draft202012Validator(envelope_schema(OrderPlaced)).is_valid(json.loads(body))
