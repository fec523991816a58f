"""Helpers for the reliability tests: consumer processes, shallow feeding, DLQ harvesting, effects.

moto slows down in proportion to a queue's depth (every call scans the whole queue), so the tests
keep queues shallow: events are fed in chunks while the consumer runs, and dead-letter queues are
emptied by a harvester as messages arrive there.
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import psycopg

from fanout.aws import aws_settings
from fanout.contract import CloudEvent, OrderCancelled, OrderPlaced
from fanout.testing.plugin import TEST_PREFIX
from fanout.topology import AppliedTopology
from fanout.topology.depth import QueueDepth, read_depth

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10
STARTING_STOCK = 1_000_000  # no order runs out: every reservation is its items, exactly


def fanout_command() -> str:
    """The `fanout` console script of the running interpreter's environment."""
    beside = Path(sys.executable).parent / "fanout"
    if beside.exists():
        return str(beside)
    found = shutil.which("fanout")
    if found is None:
        raise RuntimeError("the fanout console script is not installed")
    return found


def sqs_client(endpoint_url: str) -> "SQSClient":
    """A boto3 SQS client bound to `endpoint_url` (not to whatever AWS_ENDPOINT_URL says later)."""
    kwargs = aws_settings().client_kwargs() | {"endpoint_url": endpoint_url}
    return boto3.session.Session().client("sqs", **kwargs)


def sns_client(endpoint_url: str) -> "SNSClient":
    kwargs = aws_settings().client_kwargs() | {"endpoint_url": endpoint_url}
    return boto3.session.Session().client("sns", **kwargs)


def eventually(predicate: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.2) -> None:
    """Poll until `predicate` holds; fail naming `what` after `timeout_s` (a bound, not a timing claim)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


# --- topology -----------------------------------------------------------------------------------


def keep_only_subscription(topology: AppliedTopology, endpoint_url: str, consumer: str) -> None:
    """Unsubscribe every other consumer's queue: queues nobody drains would grow and slow moto."""
    sns = sns_client(endpoint_url)
    for name, resources in topology.deployed.consumers.items():
        if name != consumer and resources.subscription_arn:
            sns.unsubscribe(SubscriptionArn=resources.subscription_arn)


def set_visibility_timeout(endpoint_url: str, queue_url: str, seconds: int) -> None:
    """Shorten the declared visibility timeout so a killed consumer's messages come back quickly."""
    sqs_client(endpoint_url).set_queue_attributes(
        QueueUrl=queue_url, Attributes={"VisibilityTimeout": str(seconds)}
    )


def depth(endpoint_url: str, queue_url: str) -> QueueDepth:
    return read_depth(sqs_client(endpoint_url), queue_url)


# --- consumer processes ---------------------------------------------------------------------------


@dataclass
class ConsumerProcess:
    """`fanout consume NAME --no-verify` in its own process; its JSON log lines go to `log_path`."""

    name: str
    process: "subprocess.Popen[bytes]"
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no drain, no release, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout_s: float = 30) -> int:
        """SIGTERM and wait for the graceful drain; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(
                f"{self.name} consumer did not stop within {timeout_s} s of SIGTERM"
            ) from None

    def started(self) -> bool:
        """True once the runtime logged that it is consuming (tables migrated, queue described)."""
        return self.log_path.exists() and '"consumer started"' in self.log_path.read_text(errors="replace")

    def wait_started(self, timeout_s: float = 60) -> None:
        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.name} consumer exited at start-up:\n{self.log_tail()}")
            return self.started()

        eventually(ready, timeout_s, f"the {self.name} consumer to start", interval_s=0.05)

    def ensure_stopped(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=30)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def consumer_environment(endpoint_url: str, **variables: str) -> dict[str, str]:
    """The process environment for a consumer talking to `endpoint_url` in the `test` topology."""
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint_url,
        "FANOUT_ENV": TEST_PREFIX,
        "FANOUT_CONSUMER_HEALTH_PORT": "0",
        "FANOUT_CONSUMER_WAIT_TIME_S": "1",
        "FANOUT_CONSUMER_DRAIN_TIMEOUT_S": "5",
        "FANOUT_CONSUMER_LOG_JSON": "true",
        "FANOUT_CONSUMER_LOG_LEVEL": "DEBUG",  # per-message outcomes, which LogFigures counts
        **variables,
    }


def start_consumer(name: str, environment: dict[str, str], log_path: Path) -> ConsumerProcess:
    """Start the real consumer CLI. --no-verify: the tests shorten visibility timeouts on purpose."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [fanout_command(), "consume", name, "--no-verify"],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    return ConsumerProcess(name, process, log_path)


def log_records(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every JSON log line the consumer processes wrote (a SIGKILL can cut the last line short)."""
    records: list[dict[str, Any]] = []
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


@dataclass(frozen=True)
class LogFigures:
    """What the consumers' own logs say about the run."""

    handled: int  # "message handled" outcome lines
    store_duplicates: int  # handler calls the inventory's processed_events turned into no-ops
    runtime_duplicates: int  # deliveries the idempotency store skipped
    highest_attempt: int

    @classmethod
    def of(cls, records: Sequence[dict[str, Any]]) -> "LogFigures":
        outcomes = Counter(str(r.get("outcome")) for r in records if r.get("event") == "message handled")
        duplicates = sum(
            1
            for r in records
            if str(r.get("event", "")).startswith("inventory.") and r.get("outcome") == "duplicate"
        )
        attempts = [int(r["attempt"]) for r in records if isinstance(r.get("attempt"), int)]
        return cls(
            handled=outcomes["handled"],
            store_duplicates=duplicates,
            runtime_duplicates=sum(1 for r in records if r.get("event") == "duplicate skipped"),
            highest_attempt=max(attempts, default=0),
        )


# --- feeding and harvesting -----------------------------------------------------------------------


def feed_shallow(
    send: Callable[[Sequence[Any]], None],
    chunks: Iterable[Sequence[Any]],
    current_depth: Callable[[], int],
    max_depth: int,
    timeout_s: float,
    stop: threading.Event | None = None,
    every_s: float = 0.0,
) -> int:
    """Send each chunk once the queue holds fewer than `max_depth` messages; how many items were sent.

    With `every_s`, chunk n goes no earlier than n times `every_s` after the start (spreads the load).
    """
    sent = 0
    started = time.monotonic()
    deadline = started + timeout_s
    for number, chunk in enumerate(chunks):
        time.sleep(max(0.0, started + number * every_s - time.monotonic()))
        if stop is not None and stop.is_set():  # the test ended: feed nothing into the next one
            return sent
        while current_depth() >= max_depth:
            if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
                raise AssertionError(f"the queue stayed at ≥ {max_depth} messages; {sent} items fed")
            time.sleep(0.1)
        send(chunk)
        sent += len(chunk)
    return sent


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def send_bodies(sqs: "SQSClient", queue_url: str, bodies: Sequence[str]) -> None:
    """SendMessageBatch (≤ 10 bodies, ≤ 1 MiB together); fails the test on any refused entry."""
    response = sqs.send_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies)],
    )
    failed = response.get("Failed", [])
    assert not failed, f"SendMessageBatch refused entries: {failed}"


@dataclass
class DlqHarvester:
    """Receives and deletes what arrives on a DLQ in a background thread, keeping every message."""

    sqs: "SQSClient"
    queue_url: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "DlqHarvester":
        self._thread = threading.Thread(target=self._run, name="dlq-harvester", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                batch = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=SQS_BATCH,
                    WaitTimeSeconds=1,
                    VisibilityTimeout=120,
                    MessageAttributeNames=["All"],
                    MessageSystemAttributeNames=["All"],
                ).get("Messages", [])
                if not batch:
                    continue
                self.messages += batch  # type: ignore[arg-type]
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                        for index, message in enumerate(batch)
                    ],
                )
        except BaseException as error:  # reported by the test, never swallowed
            self.errors.append(error)


# --- inventory effects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryState:
    """The inventory service's tables (or what they should hold)."""

    processed: Counter[str]  # event id → processed_events rows for the inventory consumer
    orders: dict[str, str]  # order id → status
    reservations: dict[str, dict[str, tuple[int, int]]]  # order id → sku → (reserved, backordered)
    stock: dict[str, int]  # sku → available


def expected_inventory(
    events: Iterable[CloudEvent[Any]], starting_stock: int = STARTING_STOCK
) -> InventoryState:
    """The state after each placed/cancelled event took effect exactly once, in any order.

    With stock never running out, a cancelled order ends with no reservation whether its
    cancellation came before (tombstone) or after (release) its order.placed.
    """
    placed: dict[str, Counter[str]] = {}
    cancelled: set[str] = set()
    ids: Counter[str] = Counter()
    for event in events:
        ids[event.id] = 1
        if isinstance(event.data, OrderPlaced):
            wanted: Counter[str] = Counter()
            for item in event.data.items:
                wanted[item.sku] += item.quantity
            placed[event.data.order_id] = wanted
        elif isinstance(event.data, OrderCancelled):
            cancelled.add(event.data.order_id)
    orders = {order_id: "reserved" for order_id in placed} | {order_id: "cancelled" for order_id in cancelled}
    reservations = {
        order_id: {sku: (quantity, 0) for sku, quantity in wanted.items()}
        for order_id, wanted in placed.items()
        if order_id not in cancelled
    }
    taken: Counter[str] = Counter()
    for lines in reservations.values():
        for sku, (quantity, _) in lines.items():
            taken[sku] += quantity
    stock = {sku: starting_stock - quantity for sku, quantity in taken.items()}
    return InventoryState(ids, orders, reservations, stock)


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not Path(path).exists():
            return []
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return list(connection.execute(sql).fetchall())
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise
        finally:
            connection.close()
    with psycopg.connect(url, autocommit=True) as postgres:
        exists = postgres.execute("SELECT to_regclass('inventory_stock')").fetchone()
        if exists is None or exists[0] is None:
            return []
        return list(postgres.execute(sql).fetchall())


def processed_count(url: str, consumer: str = "inventory") -> int:
    """processed_events rows of `consumer` (0 before the service created its tables)."""
    rows = _rows(url, f"SELECT COUNT(*) FROM processed_events WHERE consumer = '{consumer}'")
    return int(rows[0][0]) if rows else 0


def read_inventory(url: str) -> InventoryState:
    """The inventory tables as committed (SQLite file or PostgreSQL schema URL)."""
    processed: Counter[str] = Counter(
        str(event_id)
        for (event_id,) in _rows(
            url,
            "SELECT event_id FROM processed_events WHERE consumer = 'inventory' AND completed_at IS NOT NULL",
        )
    )
    orders = {str(o): str(s) for o, s in _rows(url, "SELECT order_id, status FROM inventory_orders")}
    reservations: dict[str, dict[str, tuple[int, int]]] = {}
    for order_id, sku, reserved, backordered in _rows(
        url, "SELECT order_id, sku, reserved, backordered FROM inventory_reservations"
    ):
        reservations.setdefault(str(order_id), {})[str(sku)] = (int(reserved), int(backordered))
    stock = {str(sku): int(level) for sku, level in _rows(url, "SELECT sku, available FROM inventory_stock")}
    return InventoryState(processed, orders, reservations, stock)


@dataclass(frozen=True)
class EffectAudit:
    """How the inventory's state differs from each event taking effect exactly once."""

    events: int
    lost: list[str]  # event ids with no processed_events row
    duplicated: list[str]  # event ids recorded more than once
    unexpected: list[str]  # processed ids nobody sent
    order_mismatches: list[str]
    reservation_mismatches: list[str]
    stock_mismatches: list[str]

    @property
    def exactly_once(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.unexpected
            or self.order_mismatches
            or self.reservation_mismatches
            or self.stock_mismatches
        )

    def summary(self) -> str:
        return (
            f"{self.events} events: {len(self.lost)} lost, {len(self.duplicated)} recorded twice, "
            f"{len(self.unexpected)} unexpected; orders off: {self.order_mismatches[:5]}; "
            f"reservations off: {self.reservation_mismatches[:5]}; stock off: {self.stock_mismatches[:5]}"
        )


def audit_inventory(actual: InventoryState, expected: InventoryState) -> EffectAudit:
    orders = sorted(set(actual.orders) | set(expected.orders))
    reservations = sorted(set(actual.reservations) | set(expected.reservations))
    skus = sorted(set(actual.stock) | set(expected.stock))
    return EffectAudit(
        events=len(expected.processed),
        lost=sorted(set(expected.processed) - set(actual.processed)),
        duplicated=sorted(event_id for event_id, count in actual.processed.items() if count > 1),
        unexpected=sorted(set(actual.processed) - set(expected.processed)),
        order_mismatches=[
            f"{o}: {actual.orders.get(o)} != {expected.orders.get(o)}"
            for o in orders
            if actual.orders.get(o) != expected.orders.get(o)
        ],
        reservation_mismatches=[
            f"{o}: {actual.reservations.get(o)} != {expected.reservations.get(o)}"
            for o in reservations
            if actual.reservations.get(o) != expected.reservations.get(o)
        ],
        stock_mismatches=[
            f"{sku}: {actual.stock.get(sku)} != {expected.stock.get(sku, STARTING_STOCK)}"
            for sku in skus
            # a SKU only named by orders cancelled before they were placed may have no row
            if actual.stock.get(sku, STARTING_STOCK) != expected.stock.get(sku, STARTING_STOCK)
        ],
    )


def report(test: str, **figures: object) -> None:
    """One line of figures per run (shown with -s or -rP; appended to $FANOUT_RELIABILITY_REPORT)."""
    line = json.dumps({"test": test, **figures}, default=str)
    print(f"reliability: {line}")
    target = os.environ.get("FANOUT_RELIABILITY_REPORT")
    if target:
        with open(target, "a") as out:
            out.write(line + "\n")


class Background:
    """Runs `target` in a daemon thread; `join` re-raises what it raised."""

    def __init__(self, target: Callable[[], object], name: str) -> None:
        self.result: object = None
        self._error: BaseException | None = None
        self._target = target
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.result = self._target()
        except BaseException as error:
            self._error = error

    def done(self) -> bool:
        return not self._thread.is_alive()

    def join(self, timeout_s: float) -> object:
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise AssertionError(f"{self._thread.name} still running after {timeout_s:g} s")
        if self._error is not None:
            raise self._error
        return self.result
