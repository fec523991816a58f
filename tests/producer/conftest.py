"""Producer test fixtures: a fault-injecting HTTP proxy in front of moto, and queue draining.

moto's PublishBatch only fails entries for sender faults (e.g. a message over 256 KiB). To get
retryable failures from a real endpoint, `faulty_sns` is an HTTP server that forwards every request
to moto unchanged, except that PublishBatch entries carrying chosen event ids are removed from the
request and reported back in the response's Failed list as server faults (SenderFault=false),
exactly as SNS reports throttling or internal errors: HTTP 200 with a partial failure.
"""

import asyncio
import json
import re
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from fanout.aws import sync_client
from fanout.contract.envelope import CloudEvent, EventData, new_event
from fanout.testing.plugin import TEST_PREFIX, external_endpoint
from producer.async_publisher import AsyncPublisher
from producer.publisher import Publisher
from producer.results import BatchResult

SNS_NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"
ENTRY_FIELD = re.compile(r"^PublishBatchRequestEntries\.member\.(\d+)\.(.+)$")
EMPTY_BATCH_RESPONSE = (
    f'<PublishBatchResponse xmlns="{SNS_NAMESPACE}"><PublishBatchResult><Successful/><Failed/>'
    "</PublishBatchResult><ResponseMetadata><RequestId>injected</RequestId></ResponseMetadata>"
    "</PublishBatchResponse>"
)
ET.register_namespace("", SNS_NAMESPACE)


@pytest.fixture(autouse=True)
def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The declared topology's names are the test ones (`test-orders`, ...), as `fanout_topology` applies."""
    monkeypatch.setenv("FANOUT_ENV", TEST_PREFIX)


@dataclass
class FaultPlan:
    """Which event ids fail, how many more times, and every PublishBatch request seen (event ids)."""

    remaining: dict[str, int] = field(default_factory=dict)
    code: str = "InternalError"
    requests: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, event_id: str, times: int) -> None:
        self.remaining[event_id] = times

    def take(self, event_id: str) -> bool:
        """Whether this attempt of the event fails (and count it)."""
        left = self.remaining.get(event_id, 0)
        self.remaining[event_id] = max(left - 1, 0)
        return left > 0


def split_entries(
    form: list[tuple[str, str]],
) -> tuple[list[tuple[str, str]], dict[int, list[tuple[str, str]]]]:
    """The request's own fields, and each batch entry's fields by member number."""
    common: list[tuple[str, str]] = []
    entries: dict[int, list[tuple[str, str]]] = {}
    for key, value in form:
        if match := ENTRY_FIELD.match(key):
            entries.setdefault(int(match[1]), []).append((match[2], value))
        else:
            common.append((key, value))
    return common, entries


def failed_member(entry_id: str, code: str) -> ET.Element:
    member = ET.Element(f"{{{SNS_NAMESPACE}}}member")
    for tag, text in (("Id", entry_id), ("Code", code), ("Message", "injected"), ("SenderFault", "false")):
        ET.SubElement(member, f"{{{SNS_NAMESPACE}}}{tag}").text = text
    return member


class FaultyProxy(ThreadingHTTPServer):
    def __init__(self, upstream: str, plan: FaultPlan) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream = upstream
        self.plan = plan


class ProxyHandler(BaseHTTPRequestHandler):
    server: FaultyProxy

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        form = parse_qsl(body.decode(), keep_blank_values=True)
        if ("Action", "PublishBatch") in form:
            self.publish_batch(form)
        else:
            self.reply(*self.forward(body))

    def publish_batch(self, form: list[tuple[str, str]]) -> None:
        common, entries = split_entries(form)
        kept: list[list[tuple[str, str]]] = []
        injected: list[str] = []
        plan = self.server.plan
        with plan.lock:
            seen = []
            for _, fields in sorted(entries.items()):
                values = dict(fields)
                event_id = json.loads(values["Message"])["id"]
                seen.append(event_id)
                if plan.take(event_id):
                    injected.append(values["Id"])
                else:
                    kept.append(fields)
            plan.requests.append(seen)
        if kept:
            renumbered = [
                (f"PublishBatchRequestEntries.member.{number}.{name}", value)
                for number, fields in enumerate(kept, start=1)
                for name, value in fields
            ]
            status, payload = self.forward(urlencode(common + renumbered).encode())
        else:
            status, payload = 200, EMPTY_BATCH_RESPONSE.encode()
        if status == 200 and injected:
            document = ET.fromstring(payload)
            failed = document.find(f"{{{SNS_NAMESPACE}}}PublishBatchResult/{{{SNS_NAMESPACE}}}Failed")
            assert failed is not None
            failed.extend(failed_member(entry_id, plan.code) for entry_id in injected)
            payload = ET.tostring(document)
        self.reply(status, payload)

    def forward(self, body: bytes) -> tuple[int, bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}}
        request = urllib.request.Request(self.server.upstream + self.path, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@dataclass(frozen=True)
class FaultySns:
    """The proxy's URL (use it as AWS_ENDPOINT_URL) and its fault plan."""

    url: str
    plan: FaultPlan


@pytest.fixture
def faulty_sns(fanout_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultySns]:
    """AWS_ENDPOINT_URL points at a fault-injecting proxy in front of the moto endpoint."""
    plan = FaultPlan()
    server = FaultyProxy(fanout_endpoint, plan)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    url = f"http://{host!s}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    try:
        yield FaultySns(url, plan)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


Drain = Callable[[str], list[dict[str, Any]]]


@pytest.fixture
def drain() -> Drain:
    """Receive (and delete) every message a queue holds right now, with its attributes."""

    # SNS delivers to SQS asynchronously on AWS and LocalStack; moto delivers before Publish returns.
    wait_s = 1 if external_endpoint() else 0

    def receive_all(queue_url: str) -> list[dict[str, Any]]:
        sqs = sync_client("sqs")
        messages: list[dict[str, Any]] = []
        while batch := sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s, MessageAttributeNames=["All"]
        ).get("Messages", []):
            messages.extend(dict(message) for message in batch)
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        return messages

    return receive_all


class Blob(EventData):
    """A test-only event type whose size the test chooses (no subscription accepts it)."""

    event_type = "test.blob"

    blob_id: str
    blob: str

    @property
    def subject(self) -> str:
        return self.blob_id


MakeBlob = Callable[[int], CloudEvent[Blob]]


@pytest.fixture
def make_blob() -> MakeBlob:
    """An event whose body is about `size` bytes."""
    counter = iter(range(1_000_000))
    return lambda size: new_event(Blob(blob_id=f"blob-{next(counter)}", blob="x" * size))


PublishMany = Callable[..., BatchResult]


@pytest.fixture(params=["sync", "async"])
def publish_many(request: pytest.FixtureRequest) -> PublishMany:
    """`publish_many(events, **publisher_kwargs)` through Publisher or AsyncPublisher: same semantics."""

    def with_sync(events: list[CloudEvent[Any]], **kwargs: Any) -> BatchResult:
        return Publisher(**kwargs).publish_many(events)

    def with_async(events: list[CloudEvent[Any]], **kwargs: Any) -> BatchResult:
        async def run() -> BatchResult:
            async with AsyncPublisher(**kwargs) as publisher:
                return await publisher.publish_many(events)

        return asyncio.run(run())

    return with_sync if request.param == "sync" else with_async
