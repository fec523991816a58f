"""The relay publishes what was committed, once, keeps each subject's order, and fails one row alone."""

import json
from pathlib import Path

import pytest
from outbox_support import cancelled, placed, receive_event_ids, rows, shipped, stage_committed

from fanout.cli.app import main
from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.options import PublishOptions
from producer.outbox import create_outbox, outbox_status
from producer.outbox.locking import RelayLock
from producer.outbox.relay import Relay
from producer.outbox.store import OutboxStore
from producer.outbox.urls import DatabaseUrl


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_once_publishes_each_committed_event_once_and_no_rolled_back_one(
    outbox_url: str, fanout_topology: AppliedTopology, capsys: pytest.CaptureFixture[str]
) -> None:
    events = list(demo_events(15, seed=7))
    committed, rolled_back = events[:12], events[12:]
    stage_committed(outbox_url, committed)
    stage_committed(outbox_url, rolled_back, rollback=True)

    code, out, err = run_cli(["outbox", "relay", "--once", "--database-url", outbox_url], capsys)
    assert (code, out, err) == (0, "published 12 event(s)\n", "")
    assert (
        run_cli(["outbox", "relay", "--once", "--database-url", outbox_url], capsys)[1]
        == "published 0 event(s)\n"
    )

    assert receive_event_ids(fanout_topology.queue_url("analytics")) == {event.id: 1 for event in committed}
    code, out, _ = run_cli(["outbox", "status", "--json", "--database-url", outbox_url], capsys)
    assert code == 0
    status = json.loads(out)
    assert status["pending"] == 0 and status["published"] == 12 and status["failing"] == 0
    assert status["oldest_pending_age_s"] == 0


def test_a_subject_waits_for_its_earlier_event_and_a_failing_event_holds_back_only_its_subject(
    outbox_url: str, fanout_topology: AppliedTopology
) -> None:
    too_big, after_it = placed("order-a", lines=60), cancelled("order-a")  # ~4 KB: over the 2 KB limit below
    first, second = shipped("order-b"), cancelled("order-b")
    stage_committed(outbox_url, [too_big, first, after_it, second])
    relay = Relay(
        OutboxStore.open(DatabaseUrl.parse(outbox_url)),
        options=PublishOptions(max_message_bytes=2048),
        topic_arn=fanout_topology.deployed.topic_arn,
    )
    try:
        round_one = relay.publish_round()  # the heads: too_big (fails alone) and first
        assert (round_one.claimed, round_one.published, round_one.failed) == (2, 1, 1)
        assert round_one.first_error is not None and "2,048-byte" in round_one.first_error
        round_two = relay.publish_round()  # order-b's next; order-a's waits behind its failed head
        assert (round_two.claimed, round_two.published) == (1, 1)
        assert relay.publish_round().claimed == 0
    finally:
        relay.store.close()

    published = {event_id: at for event_id, at in rows(outbox_url) if at is not None}
    assert set(published) == {first.id, second.id}
    assert published[first.id] <= published[second.id]
    status = outbox_status(outbox_url)
    assert (status.pending, status.failing, status.published) == (2, 1, 2)
    assert receive_event_ids(fanout_topology.queue_url("analytics")) == {first.id: 1, second.id: 1}


def test_once_that_cannot_publish_exits_with_one_line_and_keeps_the_events(
    outbox_url: str,
    fanout_topology: AppliedTopology,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stage_committed(outbox_url, demo_events(3, seed=8))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, out, err = run_cli(["outbox", "relay", "--once", "--database-url", outbox_url], capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("fanout: error: 3 event(s) still pending"), err
    assert outbox_status(outbox_url).pending == 3


@pytest.mark.parametrize(
    "url",
    ["postgresql://fanout:s3cret-pw@127.0.0.1:9/orders", "mysql://fanout:s3cret-pw@db/orders", "sqlite:///"],
)
def test_a_bad_or_unreachable_database_is_one_line_without_the_password(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["outbox", "status"], ["outbox", "init"], ["outbox", "relay", "--once"]):
        code, out, err = run_cli([*command, "--database-url", url], capsys)
        assert code != 0 and out == ""
        assert err.count("\n") == 1 and err.startswith("fanout: error:"), err
        assert "s3cret-pw" not in err and "Traceback" not in err
        if "s3cret" in url:
            assert "fanout:***@" in err


def test_published_rows_are_deleted_after_the_retention_and_pending_ones_kept(
    outbox_url: str, fanout_topology: AppliedTopology
) -> None:
    published, pending = placed("order-c"), cancelled("order-c")
    stage_committed(outbox_url, [published])
    store = OutboxStore.open(DatabaseUrl.parse(outbox_url))
    try:
        relay = Relay(store, topic_arn=fanout_topology.deployed.topic_arn)
        assert relay.publish_round().published == 1
        stage_committed(outbox_url, [pending])
        assert store.clean_up(retention_s=3600) == 0  # published just now: kept
        assert store.clean_up(retention_s=0) == 1
    finally:
        store.close()
    assert rows(outbox_url) == [(pending.id, None)]
    assert outbox_status(outbox_url).published == 0


def test_a_second_relay_on_one_sqlite_outbox_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'orders.sqlite3'}"
    create_outbox(url)
    with RelayLock(tmp_path / "orders.sqlite3"):
        code, out, err = run_cli(["outbox", "relay", "--once", "--database-url", url], capsys)
    assert code == 1 and out == ""
    assert err.startswith("fanout: error: another relay is running") and err.count("\n") == 1


def test_status_of_a_database_without_the_outbox_says_to_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    code, _, err = run_cli(["outbox", "status", "--database-url", url], capsys)
    assert code == 1 and err.rstrip().endswith("(create it with: fanout outbox init)")


def test_status_of_a_missing_sqlite_outbox_is_an_error_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "outbox-typo.db"  # its directory exists: sqlite3 would create the file
    code, out, err = run_cli(["outbox", "status", "--database-url", f"sqlite:///{missing}"], capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "no outbox database at" in err and "fanout outbox init" in err
    assert not missing.exists()
