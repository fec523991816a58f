"""An instant SNS/SQS stub endpoint, so a benchmark measures the client's cost and not the server's.

`python -m fanout.bench.stub PORT [LATENCY_MS]` serves, on the loopback interface:

- SQS in the JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`, `application/x-amz-json-1.0`):
  ReceiveMessage answers every call with as many canned valid events as asked for (an endless
  queue), as raw SNS delivery carries them (the `event_type`, `event_version`, `correlation_id`
  message attributes, the system attributes, correct MD5 digests, a fresh receipt handle each);
  DeleteMessageBatch and ChangeMessageVisibility(Batch) accept everything; GetQueueAttributes,
  GetQueueUrl, SendMessage(Batch) and PurgeQueue answer plausibly.
- SNS in the query protocol (form-encoded `Action=Publish` / `Action=PublishBatch`), answering
  every entry as published.

Every call waits LATENCY_MS first (default 0), to model a real AWS round trip. It keeps no state
beyond counters (`GET /stub/stats`), so it never gets slower, and it runs in its own process so
that its CPU is not charged to the process being measured.
"""

import asyncio
import contextlib
import hashlib
import itertools
import json
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fanout.bench.endpoint import LOOPBACK, START_TIMEOUT_S, STOP_TIMEOUT_S, EndpointUnavailable, free_port
from fanout.bench.parent import exit_with_parent

ACCOUNT = "000000000000"
REGION = "us-east-1"
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
SQS_TARGET_PREFIX = "AmazonSQS."
SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"
CANNED_EVENTS = 500  # distinct demo events cycled through
VISIBILITY_TIMEOUT_S = 30
MAX_RECEIVE_COUNT = 5


def md5_of_attributes(attributes: dict[str, dict[str, str]]) -> str:
    """SQS's MD5OfMessageAttributes: names sorted; length-prefixed name, type, transport byte, value."""
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name, value["DataType"]):
            encoded = part.encode("utf-8")
            digest.update(struct.pack("!I", len(encoded)) + encoded)
        encoded = value["StringValue"].encode("utf-8")
        digest.update(b"\x01" + struct.pack("!I", len(encoded)) + encoded)
    return digest.hexdigest()


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()


def canned_messages(count: int = CANNED_EVENTS, seed: int = 7) -> list[dict[str, Any]]:
    """Valid demo events as SQS message entries (without MessageId, ReceiptHandle and timestamps)."""
    from fanout.contract.wire import message_attributes
    from producer.demo import demo_events

    messages = []
    for event in demo_events(count, seed=seed):
        body = event.model_dump_json()
        attributes = message_attributes(event)
        messages.append(
            {
                "MD5OfBody": md5_of_body(body),
                "Body": body,
                "MD5OfMessageAttributes": md5_of_attributes(attributes),
                "MessageAttributes": attributes,
            }
        )
    return messages


class StubState:
    """The canned messages and the call counters."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s
        self.messages = canned_messages()
        self._next = itertools.cycle(range(len(self.messages)))
        self._handles = itertools.count()
        self.calls: Counter[str] = Counter()
        self.received = 0
        self.deleted = 0
        self.published = 0

    def receive(self, count: int) -> list[dict[str, Any]]:
        """`count` deliveries, each with its own message id and receipt handle."""
        now = str(int(time.time() * 1000))
        system = {
            "SenderId": "AIDASTUBSTUBSTUB",
            "ApproximateFirstReceiveTimestamp": now,
            "ApproximateReceiveCount": "1",
            "SentTimestamp": now,
        }
        deliveries = []
        for _ in range(count):
            handle = next(self._handles)
            deliveries.append(
                {
                    "MessageId": str(uuid.UUID(int=handle)),
                    "ReceiptHandle": f"stub-{handle}",
                    "Attributes": system,
                    **self.messages[next(self._next)],
                }
            )
        self.received += count
        return deliveries


def _queue_url(request: web.Request, name: str) -> str:
    return f"http://{request.host}/{ACCOUNT}/{name}"


def _queue_name(body: dict[str, Any]) -> str:
    return str(body.get("QueueUrl", "queue")).rstrip("/").rsplit("/", 1)[-1]


def _all_succeeded(body: dict[str, Any]) -> dict[str, Any]:
    return {"Successful": [{"Id": entry["Id"]} for entry in body.get("Entries", [])], "Failed": []}


def _sqs_answer(state: StubState, action: str, body: dict[str, Any], request: web.Request) -> Any:
    match action:
        case "ReceiveMessage":
            return {"Messages": state.receive(min(10, int(body.get("MaxNumberOfMessages", 1))))}
        case "DeleteMessageBatch":
            state.deleted += len(body.get("Entries", []))
            return _all_succeeded(body)
        case "ChangeMessageVisibilityBatch":
            return _all_succeeded(body)
        case "DeleteMessage":
            state.deleted += 1
            return {}
        case "ChangeMessageVisibility" | "PurgeQueue" | "SetQueueAttributes":
            return {}
        case "GetQueueAttributes":
            name = _queue_name(body)
            dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}-dlq"
            redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
            return {
                "Attributes": {
                    "QueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
                    "VisibilityTimeout": str(VISIBILITY_TIMEOUT_S),
                    "RedrivePolicy": redrive,
                    "ApproximateNumberOfMessages": "1000000",
                    "ApproximateNumberOfMessagesNotVisible": "0",
                    "ApproximateNumberOfMessagesDelayed": "0",
                }
            }
        case "GetQueueUrl" | "CreateQueue":
            return {"QueueUrl": _queue_url(request, str(body.get("QueueName", "queue")))}
        case "SendMessage":
            return {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": md5_of_body(body["MessageBody"])}
        case "SendMessageBatch":
            entries = body.get("Entries", [])
            successful = [
                {
                    "Id": e["Id"],
                    "MessageId": str(uuid.uuid4()),
                    "MD5OfMessageBody": md5_of_body(e["MessageBody"]),
                }
                for e in entries
            ]
            return {"Successful": successful, "Failed": []}
    return None


def _sns_answer(state: StubState, action: str, form: Any) -> str | None:
    request_id = f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
    if action == "Publish":
        state.published += 1
        result = f"<PublishResult><MessageId>{uuid.uuid4()}</MessageId></PublishResult>"
    elif action == "PublishBatch":
        ids = [value for key, value in form.items() if key.endswith(".Id")]
        state.published += len(ids)
        members = "".join(f"<member><Id>{i}</Id><MessageId>{uuid.uuid4()}</MessageId></member>" for i in ids)
        result = f"<PublishBatchResult><Successful>{members}</Successful><Failed/></PublishBatchResult>"
    elif action == "CreateTopic":
        name = form.get("Name", "topic")
        arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
        result = f"<CreateTopicResult><TopicArn>{arn}</TopicArn></CreateTopicResult>"
    else:
        return None
    return f'<{action}Response xmlns="{SNS_XMLNS}">{result}{request_id}</{action}Response>'


def _sqs_error(action: str) -> web.Response:
    error = {
        "__type": "com.amazonaws.sqs#UnsupportedOperation",
        "message": f"stub: {action} is not supported",
    }
    return web.json_response(error, status=400, content_type=JSON_CONTENT_TYPE)


def make_app(latency_s: float) -> web.Application:
    """The stub as an aiohttp application."""
    state = StubState(latency_s)

    async def handle(request: web.Request) -> web.Response:
        if state.latency_s:
            await asyncio.sleep(state.latency_s)
        target = request.headers.get("X-Amz-Target", "")
        if target.startswith(SQS_TARGET_PREFIX):
            action = target[len(SQS_TARGET_PREFIX) :]
            state.calls[action] += 1
            answer = _sqs_answer(state, action, json.loads(await request.read() or b"{}"), request)
            if answer is None:
                return _sqs_error(action)
            return web.Response(
                text=json.dumps(answer, separators=(",", ":")),
                content_type=JSON_CONTENT_TYPE,
                headers={"x-amzn-RequestId": str(uuid.uuid4())},
            )
        form = await request.post()
        action = str(form.get("Action", ""))
        state.calls[action] += 1
        xml = _sns_answer(state, action, form)
        if xml is None:
            return web.Response(status=400, text=f"stub: {action or 'request'} is not supported")
        return web.Response(text=xml, content_type="text/xml")

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "calls": dict(state.calls),
                "received": state.received,
                "deleted": state.deleted,
                "published": state.published,
                "latency_ms": state.latency_s * 1000,
            }
        )

    async def set_latency(request: web.Request) -> web.Response:
        state.latency_s = float(request.query.get("ms", "0")) / 1000
        return web.json_response({"latency_ms": state.latency_s * 1000})

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_get("/stub/stats", stats)
    app.router.add_post("/stub/latency", set_latency)
    app.router.add_post("/{tail:.*}", handle)
    return app


@dataclass(frozen=True)
class StubEndpoint:
    """A running stub process."""

    url: str
    pid: int

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/stub/stats", timeout=5) as response:
            stats: dict[str, Any] = json.loads(response.read())
            return stats

    def set_latency(self, latency_ms: float) -> None:
        """Change the injected latency of every later call."""
        request = urllib.request.Request(f"{self.url}/stub/latency?ms={latency_ms:g}", method="POST")
        with urllib.request.urlopen(request, timeout=5):
            return


@contextlib.contextmanager
def stub_process(latency_ms: float = 0.0) -> Iterator[StubEndpoint]:
    """Start the stub in a child process on a free loopback port; terminate it on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fanout.bench.stub", str(port), str(latency_ms)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stub = StubEndpoint(f"http://{LOOPBACK}:{port}", process.pid)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise EndpointUnavailable(
                    f"stub endpoint exited with status {process.returncode} at start-up"
                )
            try:
                stub.stats()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                if time.monotonic() > deadline:
                    raise EndpointUnavailable(f"stub endpoint did not answer on {stub.url}") from error
                time.sleep(0.05)
        yield stub
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(port: int, latency_ms: float) -> None:
    """Serve until SIGTERM (the child side of `stub_process`)."""

    async def main() -> None:
        runner = web.AppRunner(make_app(latency_ms / 1000), access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, LOOPBACK, port, backlog=1024).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())


if __name__ == "__main__":
    exit_with_parent()
    serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
