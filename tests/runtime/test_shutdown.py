"""Shutdown loses nothing: SIGTERM drains or gives messages back; after SIGKILL they are redelivered."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runtime_helpers import (
    MakeQueue,
    OrdersRecorder,
    fast_settings,
    placed,
    receive_all,
    send_event,
    wait_for_depth,
    wait_until,
)

from consumers.runtime.consumer import Consumer
from consumers.runtime.settings import DEFAULT_DRAIN_TIMEOUT_S

PROCESS = Path(__file__).parent / "consumer_process.py"


def start_consumer_process(
    queue_url: str, dlq_url: str, journal: Path, handler_s: float, **settings: str
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        **{f"FANOUT_CONSUMER_{name.upper()}": value for name, value in settings.items()},
    }
    return subprocess.Popen(
        [sys.executable, str(PROCESS), queue_url, dlq_url, str(journal), str(handler_s)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def journal_ids(journal: Path, word: str) -> set[str]:
    if not journal.exists():
        return set()
    return {line.split()[1] for line in journal.read_text().splitlines() if line.startswith(word)}


@pytest.mark.parametrize(
    ("handler_s", "drain_timeout_s"),
    [(1.0, 10.0), (30.0, 0.5)],
    ids=["handlers-finish-within-the-drain", "handlers-cancelled-at-the-drain-deadline"],
)
async def test_sigterm_mid_batch_loses_nothing(
    make_queue: MakeQueue, tmp_path: Path, handler_s: float, drain_timeout_s: float
) -> None:
    queue = make_queue(visibility_timeout_s=60)
    events = [placed(f"o-{index}") for index in range(8)]
    for event in events:
        send_event(queue.url, event)
    journal = tmp_path / "journal"
    process = start_consumer_process(
        queue.url,
        queue.dlq_url,
        journal,
        handler_s,
        concurrency="3",
        buffer_size="2",
        wait_time_s="1",
        drain_timeout_s=str(drain_timeout_s),
        health_port="0",
    )
    try:
        await wait_until(lambda: len(journal_ids(journal, "start")) == 3, what="three handlers running")
        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(process.wait, 30)
    finally:
        process.kill()
    assert returncode == 0, process.stderr.read().decode() if process.stderr else ""
    done = journal_ids(journal, "done")
    assert len(done) == (3 if handler_s < drain_timeout_s else 0)
    # everything not handled is visible again at once: nothing in flight, nothing lost
    remaining = await wait_for_depth(queue.url, lambda d: d.visible == len(events) - len(done), timeout_s=5)
    assert remaining.in_flight == 0 and remaining.delayed == 0
    visible_ids = {message["MessageId"] for message in receive_all(queue.url)}
    assert len(visible_ids) == len(events) - len(done)
    assert receive_all(queue.dlq_url) == []


async def test_after_sigkill_mid_handler_the_messages_are_redelivered_and_handled(
    make_queue: MakeQueue, tmp_path: Path
) -> None:
    queue = make_queue(visibility_timeout_s=3, max_receive_count=5)
    events = [placed(f"o-{index}") for index in range(3)]
    for event in events:
        send_event(queue.url, event)
    journal = tmp_path / "journal"
    process = start_consumer_process(queue.url, queue.dlq_url, journal, 60, wait_time_s="1", health_port="0")
    try:
        await wait_until(lambda: len(journal_ids(journal, "start")) == 3, what="the handlers running")
    finally:
        process.kill()  # SIGKILL: no drain, no release, the heartbeat dies with it
        await asyncio.to_thread(process.wait, 10)
    service = OrdersRecorder()
    async with Consumer(service, queue.url, queue.dlq_url, fast_settings()).running():
        await wait_until(lambda: len(service.calls) == 3, timeout_s=15, what="redelivery to a fresh consumer")
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="all deleted")
    assert sorted(service.handled_ids()) == sorted(event.id for event in events)
    assert all(call.context.attempt == 2 for call in service.calls)
    assert journal_ids(journal, "done") == set()


async def test_sigterm_with_a_stuck_handler_under_default_settings_exits_within_the_grace_period(
    make_queue: MakeQueue, tmp_path: Path
) -> None:
    """Default drain settings: exit inside a 25 s budget (platforms SIGKILL at 30 s), message released."""
    queue = make_queue(visibility_timeout_s=600)  # without the release it would stay hidden for 10 min
    event = placed("o-stuck")
    send_event(queue.url, event)
    journal = tmp_path / "journal"
    process = start_consumer_process(
        queue.url, queue.dlq_url, journal, 3600, wait_time_s="1", health_port="0"
    )
    try:
        await wait_until(lambda: journal_ids(journal, "start") == {event.id}, what="the stuck handler")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(process.wait, 40)
        elapsed = time.monotonic() - started
    finally:
        process.kill()
    assert returncode == 0, process.stderr.read().decode() if process.stderr else ""
    assert DEFAULT_DRAIN_TIMEOUT_S <= elapsed < 25
    depth = await wait_for_depth(queue.url, lambda d: d.visible == 1, timeout_s=5)
    assert depth.in_flight == 0
