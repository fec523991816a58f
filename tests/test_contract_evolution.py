"""`fanout events check`: breaking changes against a saved registry snapshot fail, additions pass."""

import json
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field

from fanout.cli import main
from fanout.contract import OrderCancelled, OrderPlaced, OrderShipped
from fanout.contract.compatibility import additions, breaking_changes, snapshot
from fanout.contract.envelope import EventData
from fanout.contract.orders import OrderEvent
from fanout.contract.registry import ORDER_EVENTS, EventRegistry

LOCK = Path(__file__).resolve().parent.parent / "contract" / "registry.lock.json"


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def registry_with(cancelled: type[EventData]) -> dict[str, object]:
    return snapshot(EventRegistry([OrderPlaced, cancelled, OrderShipped]))


class Renamed(OrderEvent):
    event_type: ClassVar[str] = "order.cancelled"
    why: str = Field(min_length=1, max_length=256)  # was `reason`
    cancelled_at: datetime


class Narrowed(OrderEvent):
    event_type: ClassVar[str] = "order.cancelled"
    reason: str = Field(min_length=1, max_length=64)  # was 256
    cancelled_at: datetime


class NewRequired(OrderCancelled):
    event_type: ClassVar[str] = "order.cancelled"
    refund_id: str


class NewOptional(OrderCancelled):
    event_type: ClassVar[str] = "order.cancelled"
    refund_id: str | None = None


class Retyped(OrderEvent):
    event_type: ClassVar[str] = "order.cancelled"
    reason: int  # was a string
    cancelled_at: datetime


SAVED = snapshot(ORDER_EVENTS)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Renamed, "order.cancelled v1.reason: field removed (or renamed)"),
        (Narrowed, "order.cancelled v1.reason: maxLength lowered to 64"),
        (NewRequired, "order.cancelled v1.refund_id: new required field without a default"),
        (Retyped, "order.cancelled v1.reason: type narrowed from ['string'] to ['integer']"),
    ],
)
def test_breaking_changes_are_named(model: type[EventData], expected: str) -> None:
    assert expected in breaking_changes(SAVED, registry_with(model))


def test_a_new_optional_field_a_new_version_and_a_new_type_are_not_breaking() -> None:
    assert breaking_changes(SAVED, registry_with(NewOptional)) == []

    class CancelledV2(OrderCancelled):
        schema_version: ClassVar[int] = 2

    class Refunded(OrderEvent):
        event_type: ClassVar[str] = "order.refunded"

    upcasters = {OrderCancelled: lambda old: CancelledV2(**old.model_dump())}
    current = snapshot(
        EventRegistry([OrderPlaced, OrderCancelled, CancelledV2, OrderShipped, Refunded], upcasters)
    )
    assert breaking_changes(SAVED, current) == []
    assert additions(SAVED, current) == ["order.cancelled v2", "order.refunded v1"]


def test_removing_a_type_or_a_version_is_breaking() -> None:
    assert "order.shipped: event type removed" in breaking_changes(
        SAVED, snapshot(EventRegistry([OrderPlaced, OrderCancelled]))
    )


def test_the_committed_lock_matches_the_registry() -> None:
    assert run(["events", "check", "--against", str(LOCK)]) == 0


def test_check_fails_on_a_deliberately_breaking_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The saved contract had a field today's registry lacks: as if it had been removed."""
    saved = json.loads(LOCK.read_text())
    cancelled = saved["events"]["order.cancelled"]["1"]
    cancelled["properties"]["gift_note"] = {"type": "string"}
    lock = tmp_path / "registry.lock.json"
    lock.write_text(json.dumps(saved))
    assert run(["events", "check", "--against", str(lock)]) == 1
    err = capsys.readouterr().err
    assert "breaking: order.cancelled v1.gift_note: field removed (or renamed)" in err


def test_an_unreadable_snapshot_is_one_line_and_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "nope.json"
    lock.write_text("{not json")
    assert run(["events", "check", "--against", str(lock)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "registry snapshot" in err and "Traceback" not in err
