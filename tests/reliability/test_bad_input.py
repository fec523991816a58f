"""Bad input at scale: over 1,000 unusable bodies, straight onto the queue, with valid events between.

Every bad body must reach the DLQ exactly once, byte for byte, on its first delivery, with the
right reason recorded; every valid event must take effect exactly once; the consumer stays up.
"""

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from reliability_bodies import draw_bad_bodies, huge_bodies
from reliability_support import (
    STARTING_STOCK,
    DlqHarvester,
    audit_inventory,
    consumer_environment,
    depth,
    eventually,
    expected_inventory,
    feed_shallow,
    processed_count,
    read_inventory,
    report,
    send_bodies,
    sqs_client,
    start_consumer,
)

from fanout.contract import CloudEvent
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.topology import AppliedTopology
from producer.demo import demo_events

BAD = 1000
VALID_EVERY = 10  # one valid event after every ten bad bodies
MAX_QUEUE_DEPTH = 40
KINDS = {
    "not-json",
    "foreign",
    "sns",
    "wrong-type",
    "missing",
    "unknown-type",
    "surrogate",
    "unhandled",
    "huge",
}


def attribute(message: dict[str, object], name: str) -> str | None:
    attributes = message.get("MessageAttributes") or {}
    assert isinstance(attributes, dict)
    value = attributes.get(name)
    return None if value is None else str(value["StringValue"])


@pytest.mark.timeout(200)
def test_every_bad_body_is_dead_lettered_with_its_reason_and_valid_events_still_flow(
    fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    endpoint = fanout_endpoint
    queue_url, dlq_url = fanout_topology.queue_url("inventory"), fanout_topology.dlq_url("inventory")
    queue_name = fanout_topology.declared.queue_name("inventory")
    valid_events = [e for e in demo_events(300, seed=77) if e.type != "order.shipped"][: BAD // VALID_EVERY]
    bad = draw_bad_bodies(BAD) + huge_bodies(valid_events[0])
    assert len(bad) >= BAD

    kinds = Counter(item.kind.split(":")[0] for item in bad)
    assert set(kinds) >= KINDS, f"the generator missed some kinds of bad input: {kinds}"

    chunks: list[list[str]] = []
    sent_valid: list[CloudEvent[Any]] = []
    valid = iter(valid_events)
    for start in range(0, len(bad), VALID_EVERY):
        group = [item.body for item in bad[start : start + VALID_EVERY]]
        if len(group) == VALID_EVERY and (event := next(valid, None)) is not None:
            group.append(event.model_dump_json())
            sent_valid.append(event)
        for body in group:  # ≤ 10 entries and ≤ 1 MiB per SendMessageBatch: huge bodies go alone
            if not chunks or len(chunks[-1]) == 10 or sum(map(len, chunks[-1])) + len(body) > 1_000_000:
                chunks.append([])
            chunks[-1].append(body)

    database_url = f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
    environment = consumer_environment(
        endpoint,
        FANOUT_INVENTORY_DATABASE_URL=database_url,
        FANOUT_INVENTORY_DEFAULT_STOCK=str(STARTING_STOCK),
    )
    sqs = sqs_client(endpoint)
    harvester = DlqHarvester(sqs_client(endpoint), dlq_url).start()
    consumer = start_consumer("inventory", environment, tmp_path / "inventory.log")
    try:
        consumer.wait_started()
        feed_shallow(
            send=lambda chunk: send_bodies(sqs, queue_url, chunk),
            chunks=chunks,
            current_depth=lambda: depth(endpoint, queue_url).total,
            max_depth=MAX_QUEUE_DEPTH,
            timeout_s=150,
        )
        eventually(
            lambda: len(harvester.messages) >= len(bad) and depth(endpoint, queue_url).total == 0,
            timeout_s=120,
            what=f"{len(bad)} bad bodies in the DLQ and the queue empty",
            interval_s=0.5,
        )
        assert consumer.alive(), consumer.log_tail()
        assert consumer.terminate() == 0, consumer.log_tail()
    finally:
        consumer.ensure_stopped()
        harvester.stop()
    assert not harvester.errors, harvester.errors
    dead = [*harvester.messages]
    leftover = depth(endpoint, dlq_url).total

    expected: Counter[tuple[str, str | None]] = Counter((item.body, item.reason) for item in bad)
    got = Counter((str(m["Body"]), attribute(m, DeadLetterAttribute.REASON)) for m in dead)
    missing, extra = expected - got, got - expected
    kind_of = {item.body: item.kind for item in bad}
    audit = audit_inventory(read_inventory(database_url), expected_inventory(sent_valid))
    report(
        "bad-input",
        bad_sent=len(bad),
        dead_lettered=len(dead),
        wrong_or_missing=sum(missing.values()),
        by_reason=dict(Counter(str(reason) for _, reason in got)),
        valid_events=len(sent_valid),
        valid_lost=len(audit.lost),
        valid_duplicated=len(audit.duplicated),
    )
    assert not missing and not extra, (
        f"{sum(missing.values())} bad bodies not dead-lettered with the expected reason, e.g. "
        f"{[(kind_of.get(body), reason, body[:80]) for body, reason in list(missing)[:5]]}; "
        f"{sum(extra.values())} unexpected, e.g. {[(r, b[:80]) for b, r in list(extra)[:5]]}"
    )
    assert len(dead) == len(bad) and leftover == 0
    for message in dead:
        assert attribute(message, DeadLetterAttribute.SOURCE_QUEUE) == queue_name
        assert attribute(message, DeadLetterAttribute.RECEIVE_COUNT) == "1"  # never retried
        assert attribute(message, DeadLetterAttribute.DETAIL)
        assert attribute(message, DeadLetterAttribute.DEAD_LETTERED_AT)
    assert audit.exactly_once, audit.summary()
    assert processed_count(database_url) == len(sent_valid)


def test_the_bad_body_generator_is_reproducible() -> None:
    assert draw_bad_bodies(100) == draw_bad_bodies(100)
