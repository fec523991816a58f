"""Consumers' throughput and latency, from their Prometheus /metrics pages.

Every scrape is kept for a minute; rates are the counters' growth over that window (per minute),
quantiles come from the handler-duration histogram's buckets grown in the window (the whole
history on the first scrape), interpolated within a bucket as PromQL's histogram_quantile does.
Utilisation is the handlers' busy time per second (histogram sum's rate) over the handler slots.
"""

import asyncio
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

WINDOW_S = 60.0
MIN_SCRAPE_INTERVAL_S = 1.0
# The consumer runtime's metric families (consumers/runtime/metrics.py)
MESSAGES = "fanout_consumer_messages"
HANDLER_DURATION = "fanout_consumer_handler_duration_seconds"
IN_FLIGHT = "fanout_consumer_in_flight"
OUTCOMES = {"handled": "handled", "retried": "retry", "dead_lettered": "dead_lettered"}


@dataclass
class Sample:
    """One consumer's counters at one scrape (summed over event types)."""

    at: float
    outcomes: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    buckets: defaultdict[float, float] = field(default_factory=lambda: defaultdict(float))
    duration_sum: float = 0.0
    in_flight: float = 0.0


@dataclass(frozen=True)
class ConsumerMetrics:
    """What the overview shows of one consumer's metrics."""

    handled_per_min: float | None
    retried_per_min: float | None
    dead_lettered_per_min: float | None
    p50_s: float | None
    p99_s: float | None
    utilisation: float | None
    in_flight: float
    window_s: float
    scraped_at: float  # epoch seconds

    def as_dict(self) -> dict[str, float | str | None]:
        document: dict[str, float | str | None] = dict(self.__dict__)
        document["scraped_at"] = datetime.fromtimestamp(self.scraped_at, UTC).isoformat()
        return document


def parse_samples(text: str, at: float) -> dict[str, Sample]:
    """Per consumer label, the runtime's counters in one /metrics page."""
    samples: defaultdict[str, Sample] = defaultdict(lambda: Sample(at))
    messages, duration, in_flight = MESSAGES, HANDLER_DURATION, IN_FLIGHT
    for family in text_string_to_metric_families(text):
        if family.name not in (messages, duration, in_flight):
            continue
        for sample in family.samples:
            consumer = sample.labels.get("consumer")
            if consumer is None:
                continue
            target = samples[consumer]
            if sample.name == f"{messages}_total":
                target.outcomes[sample.labels.get("outcome", "")] += sample.value
            elif sample.name == f"{duration}_bucket":
                target.buckets[float(sample.labels["le"])] += sample.value
            elif sample.name == f"{duration}_sum":
                target.duration_sum += sample.value
            elif sample.name == in_flight:
                target.in_flight += sample.value
    return dict(samples)


def _growth(now: float, then: float) -> float:
    """A counter's growth; a restarted consumer's counter starts again from zero."""
    return now - then if now >= then else now


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """histogram_quantile over cumulative buckets {upper bound: count}; None without observations."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower  # in the open-ended bucket: the highest finite bound is all we know
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 1.0)
        lower, below = bound, count
    return lower


def summarize(history: deque[Sample], concurrency: int) -> ConsumerMetrics:
    """Rates and quantiles over the samples kept (at least the latest)."""
    latest, first = history[-1], history[0]
    elapsed = latest.at - first.at
    if elapsed <= 0:
        rates: dict[str, float | None] = dict.fromkeys(OUTCOMES)
        buckets, utilisation = dict(latest.buckets), latest.in_flight / concurrency
    else:
        rates = {
            name: _growth(latest.outcomes[outcome], first.outcomes[outcome]) / elapsed * 60
            for name, outcome in OUTCOMES.items()
        }
        buckets = {bound: _growth(latest.buckets[bound], first.buckets[bound]) for bound in latest.buckets}
        busy = _growth(latest.duration_sum, first.duration_sum) / elapsed
        utilisation = min(busy / concurrency, 1.0)
    return ConsumerMetrics(
        handled_per_min=rates["handled"],
        retried_per_min=rates["retried"],
        dead_lettered_per_min=rates["dead_lettered"],
        p50_s=quantile(0.5, buckets),
        p99_s=quantile(0.99, buckets),
        utilisation=utilisation,
        in_flight=latest.in_flight,
        window_s=elapsed,
        scraped_at=latest.at,
    )


def safe_name(url: str) -> str:
    """host:port/path of a metrics URL, without credentials or query (for errors shown on the page)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}{parts.path}" if parts.port else f"{parts.hostname}{parts.path}"


class MetricsScraper:
    """Scrapes the configured /metrics URLs (at most once a second) and keeps a minute of history."""

    def __init__(self, urls: list[str], concurrency: int, timeout_s: float) -> None:
        self._urls = urls
        self._concurrency = concurrency
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._history: defaultdict[str, deque[Sample]] = defaultdict(deque)
        self._errors: dict[str, str] = {}
        self._scraped_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._urls)

    async def read(self) -> tuple[dict[str, ConsumerMetrics], dict[str, str]]:
        """Per consumer its metrics, and per failing URL (safe name) its error."""
        async with self._lock:
            if time.monotonic() - self._scraped_at >= MIN_SCRAPE_INTERVAL_S and self._urls:
                await self._scrape_all()
                self._scraped_at = time.monotonic()
        metrics = {name: summarize(history, self._concurrency) for name, history in self._history.items()}
        return metrics, dict(self._errors)

    async def _scrape_all(self) -> None:
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            pages = await asyncio.gather(*(self._scrape(session, url) for url in self._urls))
        now = time.time()
        for page in pages:
            if page is None:
                continue
            for consumer, sample in parse_samples(page, now).items():
                history = self._history[consumer]
                history.append(sample)
                while len(history) > 1 and now - history[1].at >= WINDOW_S:
                    history.popleft()

    async def _scrape(self, session: aiohttp.ClientSession, url: str) -> str | None:
        try:
            async with session.get(url) as response:
                response.raise_for_status()
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = (
                f"HTTP {error.status}"
                if isinstance(error, aiohttp.ClientResponseError)
                else type(error).__name__
            )
            self._errors[safe_name(url)] = reason
            return None
        self._errors.pop(safe_name(url), None)
        return text
