"""The parent's side of a worker process (see fanout.bench.worker for the protocol)."""

import json
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import IO, Any, Self

from fanout.bench.worker import WorkerJob
from fanout.errors import FanoutError

EXIT_TIMEOUT_S = 30.0
STDERR_TAIL = 400


class WorkerFailed(FanoutError):
    """A worker process reported an error or died."""


def _ignore(count: int) -> None:
    return None


class WorkerProcess:
    """`with WorkerProcess(job) as worker: worker.result()`; the process is reaped on exit.

    A thread reads the worker's stdout: progress reports go to `on_progress` as they come, other
    messages wait for `wait_ready`/`result`. `prefix` runs the worker under another program
    (valgrind, for fanout.bench.instructions).
    """

    def __init__(
        self, job: WorkerJob, on_progress: Callable[[int], None] = _ignore, prefix: Sequence[str] = ()
    ) -> None:
        self._job = job
        self._prefix = tuple(prefix)
        self._on_progress = on_progress
        self._stderr: IO[str] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in __exit__
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> Self:
        self._process = subprocess.Popen(
            [*self._prefix, sys.executable, "-m", "fanout.bench.worker", self._job.model_dump_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True)
        self._reader.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        process = self._running
        if exc is not None:
            process.kill()
        try:
            process.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._reader is not None:
            self._reader.join()
        if process.stdin is not None:
            process.stdin.close()
        self._stderr.close()

    @property
    def _running(self) -> "subprocess.Popen[str]":
        if self._process is None:
            raise RuntimeError("use WorkerProcess in a with block")
        return self._process

    def _read(self, stdout: IO[str]) -> None:
        with stdout:
            for line in stdout:
                message: dict[str, Any] = json.loads(line)
                if "progress" in message:
                    self._on_progress(int(message["progress"]))
                else:
                    self._messages.put(message)
        self._messages.put(None)  # end of output

    def _message(self) -> dict[str, Any]:
        message = self._messages.get()
        if message is None:
            self._running.wait(timeout=EXIT_TIMEOUT_S)
            self._stderr.seek(0)
            tail = self._stderr.read()[-STDERR_TAIL:].strip()
            raise WorkerFailed(f"{self._job.kind} worker exited ({self._running.returncode}): {tail}")
        if "error" in message:
            raise WorkerFailed(f"{self._job.kind} worker: {message['error']}")
        return message

    def wait_ready(self) -> None:
        """Block until the worker says it is ready."""
        self._message()

    def send(self, document: dict[str, Any]) -> None:
        """One JSON line to the worker's stdin."""
        stdin = self._running.stdin
        if stdin is None:
            raise RuntimeError("worker stdin is closed")
        stdin.write(json.dumps(document) + "\n")
        stdin.flush()

    def result(self) -> dict[str, Any]:
        """The worker's result (blocks until it has finished its job)."""
        result: dict[str, Any] = self._message()["result"]
        return result
