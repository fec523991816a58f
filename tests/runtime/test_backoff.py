"""Backoff strategies, the settings that choose the default one, and the retry-delay rule."""

import random

import pytest
from pydantic import ValidationError

from consumers.runtime.backoff import MAX_VISIBILITY_S, Explicit, Exponential, Fixed, Jitter, Linear
from consumers.runtime.errors import RetryableError
from consumers.runtime.processing import retry_delay
from consumers.runtime.settings import ConsumerSettings


def delays(backoff: Fixed | Linear | Exponential | Explicit, attempts: int = 5) -> list[int]:
    return [backoff.delay(attempt) for attempt in range(1, attempts + 1)]


def test_fixed_linear_exponential_and_explicit_delays() -> None:
    assert delays(Fixed(interval_s=7)) == [7, 7, 7, 7, 7]
    assert delays(Linear(initial_s=10, step_s=5)) == [10, 15, 20, 25, 30]
    assert delays(Exponential(initial_s=2, factor=3)) == [2, 6, 18, 54, 162]
    assert delays(Explicit(delays_s=(1, 5, 30))) == [1, 5, 30, 30, 30]


def test_fractional_delay_is_available_for_local_sleeps() -> None:
    assert Fixed(interval_s=1.5).delay_s(1) == 1.5
    assert Exponential(initial_s=0.5, factor=2).delay_s(3) == 2.0


def test_cap_and_sqs_limit_bound_every_strategy() -> None:
    assert delays(Exponential(initial_s=2, factor=10, cap_s=100)) == [2, 20, 100, 100, 100]
    assert Linear(initial_s=10**6, step_s=0, cap_s=10**7).delay(1) == MAX_VISIBILITY_S


def test_attempt_below_one_counts_as_the_first() -> None:
    assert Exponential(initial_s=4, factor=2).delay(0) == 4


@pytest.mark.parametrize(("jitter", "low_fraction"), [(Jitter.FULL, 0.0), (Jitter.EQUAL, 0.5)])
def test_jitter_stays_within_its_range_and_varies(jitter: Jitter, low_fraction: float) -> None:
    backoff = Fixed(interval_s=100, jitter=jitter)
    rng = random.Random(7)
    picks = [backoff.delay_s(1, rng) for _ in range(200)]
    assert all(100 * low_fraction <= pick <= 100 for pick in picks)
    assert len({round(pick) for pick in picks}) > 20  # actually jittered
    assert Fixed(interval_s=100).delay(1, rng) == 100  # no jitter: exact


def test_explicit_needs_a_delay() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Explicit(delays_s=())


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"RETRY_STRATEGY": "fixed", "RETRY_INITIAL_S": "4"}, [4, 4, 4]),
        ({"RETRY_STRATEGY": "linear", "RETRY_INITIAL_S": "1", "RETRY_STEP_S": "2"}, [1, 3, 5]),
        ({"RETRY_STRATEGY": "exponential", "RETRY_INITIAL_S": "3", "RETRY_FACTOR": "2"}, [3, 6, 12]),
        ({"RETRY_STRATEGY": "explicit", "RETRY_DELAYS_S": "[5, 50]"}, [5, 50, 50]),
        ({"RETRY_STRATEGY": "exponential", "RETRY_INITIAL_S": "3", "RETRY_CAP_S": "5"}, [3, 5, 5]),
    ],
)
def test_settings_choose_the_default_backoff_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: list[int]
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(f"FANOUT_CONSUMER_{name}", value)
    backoff = ConsumerSettings().default_backoff()
    assert [backoff.delay(attempt) for attempt in (1, 2, 3)] == expected


@pytest.mark.parametrize(
    "bad",
    [
        {"wait_time_s": 21},
        {"concurrency": 0},
        {"retry_strategy": "random"},
        {"idempotency_url": "mysql://db"},
        {"health_port": 70000},
    ],
)
def test_settings_reject_values_that_cannot_work(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ConsumerSettings(**bad)  # type: ignore[arg-type]


def test_pollers_scale_with_concurrency() -> None:
    assert [ConsumerSettings(concurrency=n).pollers for n in (1, 10, 11, 25)] == [1, 1, 2, 3]


def test_retryable_error_delay_overrides_the_backoff() -> None:
    backoff = Fixed(interval_s=30)
    assert retry_delay(RetryableError("later", delay_s=7), backoff, attempt=1) == 7
    assert retry_delay(RetryableError("later"), backoff, attempt=1) == 30
    assert retry_delay(ValueError("boom"), Exponential(initial_s=1, factor=2), attempt=3) == 4
