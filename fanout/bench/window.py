"""The measurement window of a throughput worker: wall time, CPU time and RSS over counted messages.

The first `warmup` messages are not measured (imports, connection pools, caches); the window then
covers the next `messages` messages. RSS is sampled every `checkpoint_every` messages, and the
running count is reported every PROGRESS_EVERY messages (the refiller keeps the depth with it).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from fanout.bench.memory import MemoryStats, rss_bytes
from fanout.errors import FanoutError

PROGRESS_EVERY = 10


class WorkerTimeout(FanoutError):
    """A worker did not see its messages in time."""


@dataclass(frozen=True)
class _Mark:
    count: int
    wall: float
    cpu: float

    @classmethod
    def now(cls, count: int) -> "_Mark":
        return cls(count, time.perf_counter(), time.process_time())


@dataclass(frozen=True)
class WindowResult:
    """What one worker measured."""

    messages: int
    seconds: float
    cpu_s: float
    warmup: int
    receives: int  # ReceiveMessage calls inside the window (empty ones included)
    memory: MemoryStats

    @property
    def messages_per_s(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_s_per_1000(self) -> float:
        return self.cpu_s / self.messages * 1000

    def as_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "warmup": self.warmup,
            "seconds": round(self.seconds, 3),
            "cpu_s": round(self.cpu_s, 3),
            "messages_per_s": round(self.messages_per_s, 1),
            "cpu_s_per_1000": round(self.cpu_s_per_1000, 4),
            "receive_calls": self.receives,
            "messages_per_receive": round(self.messages / self.receives, 2) if self.receives else None,
            "memory": self.memory.as_dict(),
        }


class Window:
    """Counts processed messages; `add` returns True once the window is complete."""

    def __init__(
        self, warmup: int, messages: int, checkpoint_every: int, progress: Callable[[int], None]
    ) -> None:
        self.warmup = warmup
        self.messages = messages
        self._checkpoint_every = checkpoint_every
        self._count = 0
        self._start: _Mark | None = None
        self._end: _Mark | None = None
        self._rss_start = rss_bytes()
        self._checkpoints: list[tuple[int, int]] = []
        self._progress = progress
        self._receives = 0

    @property
    def done(self) -> bool:
        return self._end is not None

    def received(self) -> None:
        """Count one ReceiveMessage call (counted only while the window is open)."""
        if self._start is not None and self._end is None:
            self._receives += 1

    def add(self, processed: int) -> bool:
        """Count `processed` more messages."""
        before, self._count = self._count, self._count + processed
        if self._start is None and self._count >= self.warmup:
            self._start = _Mark.now(self._count)
        if self._count // self._checkpoint_every > before // self._checkpoint_every:
            self._checkpoints.append((self._count, rss_bytes()))
        # measured from where the window really opened (a batch can overshoot the warm-up)
        if self._start is not None and self._end is None and self._count - self._start.count >= self.messages:
            self._end = _Mark.now(self._count)
        if self._count // PROGRESS_EVERY > before // PROGRESS_EVERY:
            self._progress(self._count)
        return self.done

    def result(self) -> WindowResult:
        """The measured figures (only once `done`)."""
        if self._start is None or self._end is None:
            raise RuntimeError(f"window incomplete: {self._count} of {self.warmup + self.messages} messages")
        return WindowResult(
            messages=self._end.count - self._start.count,
            seconds=self._end.wall - self._start.wall,
            cpu_s=self._end.cpu - self._start.cpu,
            warmup=self.warmup,
            receives=self._receives,
            memory=MemoryStats(self._rss_start, tuple(self._checkpoints)),
        )
