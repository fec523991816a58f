"""Instructions per message on the stub: a deterministic twin of the client-CPU phase (valgrind).

CPU time on a shared or virtual machine moves by 20-50 % between runs, and two kinds measured
seconds apart do not see the same machine. An instruction count does not move: each kind drains
the stub twice under callgrind (valgrind's instruction counter), measuring `small` and then `large`
messages after the same warm-up, and (total at `large` - total at `small`) ÷ (`large` - `small`)
is its instructions per message, start-up, imports and warm-up cancelled out. Instructions are not
time (cache misses and the like are not counted), but the ratio of two counts is what a change to
the code moves, and it reads the same on any machine.
"""

import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fanout.bench.client_cpu import RAW, job_for
from fanout.bench.process import WorkerProcess
from fanout.bench.queues import BENCH_PREFIX, THROUGHPUT_CONSUMER
from fanout.bench.stub import ACCOUNT, StubEndpoint
from fanout.errors import ConfigurationError

VALGRIND = "valgrind"
WARMUP = 100
_TOTAL = re.compile(r"^(?:totals|summary):\s+(\d+)", re.MULTILINE)


def valgrind_path() -> str | None:
    """Where valgrind is installed; None when it is not on PATH."""
    return shutil.which(VALGRIND)


def check_valgrind() -> str:
    """valgrind's path; ConfigurationError (one line) when it is not installed."""
    path = valgrind_path()
    if path is None:
        raise ConfigurationError("the instructions phase needs valgrind on PATH (apt-get install valgrind)")
    return path


def callgrind_total(output: Path) -> int:
    """The instructions a callgrind output file counted in all."""
    found = _TOTAL.search(output.read_text())
    if found is None:
        raise ValueError(f"no instruction total in {output}")
    return int(found.group(1))


@dataclass
class Instructions:
    """Instructions per message of each kind, from two runs of it under callgrind."""

    small: int
    large: int
    totals: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind → (at small, at large)

    def per_message(self, kind: str) -> float:
        at_small, at_large = self.totals[kind]
        return (at_large - at_small) / (self.large - self.small)

    def ratio(self, kind: str) -> float:
        """Instructions per message of `kind` ÷ the raw aiobotocore loop's."""
        return self.per_message(kind) / self.per_message(RAW)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": [self.small, self.large],
            "warmup": WARMUP,
            "reference": RAW,
            "kinds": {
                kind: {
                    "totals": list(totals),
                    "per_message": round(self.per_message(kind)),
                    "ratio_to_raw": round(self.ratio(kind), 3),
                }
                for kind, totals in self.totals.items()
            },
        }


def measure_instructions(
    stub: StubEndpoint, kinds: Sequence[str], messages: int, progress: Callable[[str], None]
) -> Instructions:
    """Count each kind's instructions per message (its two runs at once, in their own processes)."""
    valgrind = check_valgrind()
    queue_url = f"{stub.url}/{ACCOUNT}/{BENCH_PREFIX}-{THROUGHPUT_CONSUMER}"
    figures = Instructions(small=max(1, messages // 3), large=max(2, messages))
    for kind in (RAW, *(kind for kind in kinds if kind != RAW)):
        progress(f"instructions: {kind} under callgrind, {figures.small} and {figures.large} messages")
        with tempfile.TemporaryDirectory(prefix="fanout-callgrind-") as scratch:
            outputs = [Path(scratch) / f"callgrind.{size}" for size in (figures.small, figures.large)]
            workers = [
                WorkerProcess(
                    job_for(kind, stub.url, queue_url, f"{queue_url}-dlq", WARMUP, size),
                    prefix=[valgrind, "--tool=callgrind", f"--callgrind-out-file={output}"],
                )
                for size, output in zip((figures.small, figures.large), outputs, strict=True)
            ]
            with workers[0], workers[1]:
                for worker in workers:
                    worker.result()
            at_small, at_large = (callgrind_total(output) for output in outputs)
        figures.totals[kind] = (at_small, at_large)
    return figures
