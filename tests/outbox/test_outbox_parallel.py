"""Two relays on one PostgreSQL outbox at once: no event published twice, each subject still in order."""

import threading
from collections import Counter

from outbox_support import receive_event_ids, rows, stage_committed

from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.outbox.relay import Relay
from producer.outbox.store import OutboxStore
from producer.outbox.urls import DatabaseUrl

EVENTS = 150


def test_two_relays_in_parallel_never_publish_an_event_twice(
    postgres_outbox: str, fanout_topology: AppliedTopology
) -> None:
    events = list(demo_events(EVENTS, seed=12))
    stage_committed(postgres_outbox, events)
    start = threading.Barrier(2)
    published: Counter[str] = Counter()
    errors: list[BaseException] = []

    def relay(name: str) -> None:
        worker = Relay(
            OutboxStore.open(DatabaseUrl.parse(postgres_outbox)),
            topic_arn=fanout_topology.deployed.topic_arn,
            batch_size=10,
        )
        try:
            start.wait()
            while (result := worker.publish_round()).claimed:
                assert result.failed == 0, result.first_error
                published[name] += result.published
        except BaseException as error:
            errors.append(error)
        finally:
            worker.store.close()

    threads = [threading.Thread(target=relay, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert published["a"] > 0 and published["b"] > 0, published  # both took part
    assert published["a"] + published["b"] == EVENTS
    assert receive_event_ids(fanout_topology.queue_url("analytics")) == {event.id: 1 for event in events}

    order = {event_id: at for event_id, at in rows(postgres_outbox)}
    by_subject: dict[str, list[float]] = {}
    for event in events:
        by_subject.setdefault(event.subject, []).append(order[event.id])
    assert all(times == sorted(times) for times in by_subject.values()), "a subject went out of order"
