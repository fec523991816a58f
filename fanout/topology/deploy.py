"""Create, read back and verify the declared topology on an SNS/SQS endpoint (boto3).

`apply` is idempotent: it creates what is missing and sets attributes that drifted. `verify` only
reads, so production consumers can check the Terraform-managed deployment without changing it.
"""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from fanout.errors import FanoutError
from fanout.topology.model import ConsumerSpec, Topology

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

QUEUE_NOT_FOUND_CODES = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})


class TopologyMissing(FanoutError):
    """A topic or queue the declaration names does not exist on the endpoint."""


@dataclass(frozen=True)
class QueueRef:
    """Where one queue lives."""

    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class ConsumerResources:
    """A consumer's queue, dead-letter queue and subscription as deployed."""

    queue: QueueRef
    dlq: QueueRef
    subscription_arn: str | None


@dataclass(frozen=True)
class DeployedTopology:
    """The ARNs and URLs of a deployed topology."""

    topic_arn: str
    consumers: dict[str, ConsumerResources]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AppliedTopology:
    """A declared topology and where it was applied: what tests, benchmarks and dev runs work with."""

    declared: Topology
    deployed: DeployedTopology

    def queue_url(self, consumer: str) -> str:
        return self.deployed.consumers[consumer].queue.url

    def dlq_url(self, consumer: str) -> str:
        return self.deployed.consumers[consumer].dlq.url

    def queue_urls(self) -> list[str]:
        """Every consumer queue and dead-letter queue."""
        return [url for name in self.deployed.consumers for url in (self.queue_url(name), self.dlq_url(name))]


def queue_policy(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """Only the topic may send to the queue, and only over TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowOrdersTopic",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def redrive_policy(dlq_arn: str, consumer: ConsumerSpec) -> dict[str, Any]:
    return {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": consumer.queue.max_receive_count}


def redrive_allow_policy(queue_arn: str) -> dict[str, Any]:
    return {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn]}


def source_queue_attributes(consumer: ConsumerSpec) -> dict[str, str]:
    """The plain numeric attributes of a consumer's queue."""
    settings = consumer.queue
    return {
        "VisibilityTimeout": str(settings.visibility_timeout_s),
        "MessageRetentionPeriod": str(settings.retention_s),
        "ReceiveMessageWaitTimeSeconds": str(settings.receive_wait_s),
        "DelaySeconds": str(settings.delay_s),
    }


def fifo_attributes(topology: Topology) -> dict[str, str]:
    """What a FIFO topic or queue must have besides its type: no content-based deduplication (the
    producer sends the event id as deduplication id). Empty on a standard topology."""
    return {"ContentBasedDeduplication": "false"} if topology.fifo else {}


def queue_type_attributes(topology: Topology) -> dict[str, str]:
    """Set only when a queue is created (SQS cannot change a queue's type)."""
    return {"FifoQueue": "true"} if topology.fifo else {}


def topic_type_attributes(topology: Topology) -> dict[str, str]:
    """Set only when the topic is created (SNS cannot change a topic's type)."""
    return {"FifoTopic": "true"} if topology.fifo else {}


def dlq_attributes(consumer: ConsumerSpec) -> dict[str, str]:
    return {"MessageRetentionPeriod": str(consumer.queue.dlq_retention_s)}


def subscription_attributes(consumer: ConsumerSpec) -> dict[str, str]:
    return {"RawMessageDelivery": "true", "FilterPolicy": json.dumps(consumer.filter_policy)}


class TopologyClient:
    """Applies, reads and verifies a topology through boto3 SNS and SQS clients."""

    def __init__(self, sns: "SNSClient", sqs: "SQSClient") -> None:
        self._sns = sns
        self._sqs = sqs

    # -- apply -------------------------------------------------------------------------------

    def apply(self, topology: Topology) -> DeployedTopology:
        """Create what is missing and correct drifted attributes; safe to run repeatedly."""
        topic_arn = self._ensure_topic(topology)
        deployed: dict[str, ConsumerResources] = {}
        for consumer in topology.consumers:
            fifo = fifo_attributes(topology)
            created = queue_type_attributes(topology)
            dlq = self._ensure_queue(
                topology.dlq_name(consumer.name), dlq_attributes(consumer) | fifo, created
            )
            queue = self._ensure_queue(
                topology.queue_name(consumer.name), source_queue_attributes(consumer) | fifo, created
            )
            self._sqs.set_queue_attributes(
                QueueUrl=queue.url,
                Attributes={
                    "RedrivePolicy": json.dumps(redrive_policy(dlq.arn, consumer)),
                    "Policy": json.dumps(queue_policy(queue.arn, topic_arn)),
                },
            )
            self._sqs.set_queue_attributes(
                QueueUrl=dlq.url,
                Attributes={"RedriveAllowPolicy": json.dumps(redrive_allow_policy(queue.arn))},
            )
            subscription_arn = self._ensure_subscription(topic_arn, queue.arn, consumer)
            deployed[consumer.name] = ConsumerResources(queue, dlq, subscription_arn)
        return DeployedTopology(topic_arn, deployed)

    def _ensure_topic(self, topology: Topology) -> str:
        topic_arn = self._sns.create_topic(
            Name=topology.topic_name, Attributes=topic_type_attributes(topology)
        )["TopicArn"]
        actual = self._sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"] if topology.fifo else {}
        for name, value in fifo_attributes(topology).items():
            if _normalized(actual.get(name)) != _normalized(value):
                self._sns.set_topic_attributes(TopicArn=topic_arn, AttributeName=name, AttributeValue=value)
        return topic_arn

    def _ensure_queue(self, name: str, attributes: dict[str, str], created: dict[str, str]) -> QueueRef:
        url = self._queue_url(name)
        if url is None:
            url = self._sqs.create_queue(QueueName=name, Attributes=created | attributes)["QueueUrl"]  # type: ignore[arg-type]
        else:
            self._sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)  # type: ignore[arg-type]
        return QueueRef(name, url, self._queue_arn(url))

    def _ensure_subscription(self, topic_arn: str, queue_arn: str, consumer: ConsumerSpec) -> str:
        wanted = subscription_attributes(consumer)
        existing = self._subscription_arn(topic_arn, queue_arn)
        if existing is None:
            response = self._sns.subscribe(
                TopicArn=topic_arn,
                Protocol="sqs",
                Endpoint=queue_arn,
                Attributes=wanted,
                ReturnSubscriptionArn=True,
            )
            return response["SubscriptionArn"]
        actual = self._sns.get_subscription_attributes(SubscriptionArn=existing)["Attributes"]
        for name, value in wanted.items():
            if _normalized(actual.get(name)) != _normalized(value):
                self._sns.set_subscription_attributes(
                    SubscriptionArn=existing, AttributeName=name, AttributeValue=value
                )
        return existing

    # -- read --------------------------------------------------------------------------------

    def resolve(self, topology: Topology) -> DeployedTopology:
        """Read back the deployed topology; raises TopologyMissing for anything absent."""
        topic_arn = self.topic_arn(topology)
        deployed = {}
        for consumer in topology.consumers:
            queue = self.queue_ref(topology.queue_name(consumer.name))
            dlq = self.queue_ref(topology.dlq_name(consumer.name))
            deployed[consumer.name] = ConsumerResources(
                queue, dlq, self._subscription_arn(topic_arn, queue.arn)
            )
        return DeployedTopology(topic_arn, deployed)

    def topic_arn(self, topology: Topology) -> str:
        """The ARN of the topology's topic, found without creating it."""
        suffix = f":{topology.topic_name}"
        for page in self._sns.get_paginator("list_topics").paginate():
            for topic in page.get("Topics", []):
                if topic["TopicArn"].endswith(suffix):
                    return topic["TopicArn"]
        raise TopologyMissing(f"topic {topology.topic_name} does not exist")

    def queue_ref(self, name: str) -> QueueRef:
        """URL and ARN of an existing queue."""
        url = self._queue_url(name)
        if url is None:
            raise TopologyMissing(f"queue {name} does not exist")
        return QueueRef(name, url, self._queue_arn(url))

    def _queue_url(self, name: str) -> str | None:
        try:
            return self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in QUEUE_NOT_FOUND_CODES:
                return None
            raise

    def _queue_arn(self, url: str) -> str:
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    def _subscription_arn(self, topic_arn: str, queue_arn: str) -> str | None:
        for page in self._sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
            for subscription in page.get("Subscriptions", []):
                if subscription.get("Protocol") == "sqs" and subscription.get("Endpoint") == queue_arn:
                    return subscription["SubscriptionArn"]
        return None

    # -- verify ------------------------------------------------------------------------------

    def verify(self, topology: Topology, consumers: Iterable[str] | None = None) -> list[str]:
        """Differences between the declaration and the deployment; empty when they agree."""
        try:
            topic_arn = self.topic_arn(topology)
        except TopologyMissing as missing:
            return [str(missing)]
        # The whole deployment includes the topic's attributes; a consumer's role may not read them.
        if consumers is None:
            names, drifts = [c.name for c in topology.consumers], self._topic_drifts(topology, topic_arn)
        else:
            names, drifts = list(consumers), []
        for name in names:
            drifts.extend(self._verify_consumer(topology, topology.consumer(name), topic_arn))
        return drifts

    def _verify_consumer(self, topology: Topology, consumer: ConsumerSpec, topic_arn: str) -> list[str]:
        try:
            queue = self.queue_ref(topology.queue_name(consumer.name))
            dlq = self.queue_ref(topology.dlq_name(consumer.name))
        except TopologyMissing as missing:
            return [str(missing)]
        fifo = queue_type_attributes(topology) | fifo_attributes(topology)
        drifts = _attribute_drifts(
            queue.name, self._attributes(queue.url), source_queue_attributes(consumer) | fifo
        )
        drifts += _attribute_drifts(dlq.name, self._attributes(dlq.url), dlq_attributes(consumer) | fifo)
        actual_redrive = json.loads(self._attributes(queue.url).get("RedrivePolicy", "{}"))
        if _normalized(actual_redrive) != _normalized(redrive_policy(dlq.arn, consumer)):
            drifts.append(f"{queue.name}: RedrivePolicy is {actual_redrive or 'unset'}")
        subscription = self._subscription_arn(topic_arn, queue.arn)
        if subscription is None:
            return [*drifts, f"{queue.name}: not subscribed to {topic_arn}"]
        actual = self._sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
        for name, value in subscription_attributes(consumer).items():
            if _normalized(actual.get(name)) != _normalized(value):
                drifts.append(f"{queue.name} subscription: {name} is {actual.get(name)!r}, want {value!r}")
        return drifts

    def _topic_drifts(self, topology: Topology, topic_arn: str) -> list[str]:
        wanted = topic_type_attributes(topology) | fifo_attributes(topology)
        if not wanted:
            return []
        actual = self._sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        return [
            f"{topology.topic_name}: {name} is {actual.get(name)!r}, want {value!r}"
            for name, value in wanted.items()
            if _normalized(actual.get(name)) != _normalized(value)
        ]

    def _attributes(self, url: str) -> dict[str, str]:
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return {str(name): value for name, value in attributes.items()}


def _attribute_drifts(queue: str, actual: dict[str, str], wanted: dict[str, str]) -> list[str]:
    return [
        f"{queue}: {name} is {actual.get(name)!r}, want {value!r}"
        for name, value in wanted.items()
        if actual.get(name) != value
    ]


def _normalized(value: Any) -> Any:
    """Compare JSON documents and numbers regardless of formatting or string/int spelling."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, dict):
        return {key: _normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((_normalized(item) for item in value), key=repr)
    if isinstance(value, bool | int | float):
        return str(value).lower()
    return value
