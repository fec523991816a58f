"""Resident memory of the current process, and whether it stayed flat over a run."""

import os
import resource
from dataclasses import dataclass
from pathlib import Path

STATM = Path("/proc/self/statm")
MIB = 1024 * 1024
FLAT_GROWTH_PCT = 5.0  # RSS may grow this much between the first checkpoint and the last


def rss_bytes() -> int:
    """Current resident set size (Linux /proc); elsewhere the peak RSS, the closest stdlib figure."""
    try:
        resident_pages = int(STATM.read_text().split()[1])
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if os.uname().sysname == "Darwin" else peak * 1024  # macOS: bytes, else KiB
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class MemoryStats:
    """RSS before the first message and at checkpoints (messages handled, bytes)."""

    start: int
    checkpoints: tuple[tuple[int, int], ...]

    @property
    def end(self) -> int:
        return self.checkpoints[-1][1] if self.checkpoints else self.start

    @property
    def growth_pct(self) -> float:
        """Growth from the first checkpoint (caches warm) to the last, in percent."""
        if not self.checkpoints:
            return 0.0
        first = self.checkpoints[0][1]
        return (self.end - first) / first * 100

    @property
    def flat(self) -> bool:
        return self.growth_pct <= FLAT_GROWTH_PCT

    def as_dict(self) -> dict[str, object]:
        return {
            "rss_start_mib": round(self.start / MIB, 2),
            "rss_end_mib": round(self.end / MIB, 2),
            "checkpoints": [{"messages": n, "rss_mib": round(rss / MIB, 2)} for n, rss in self.checkpoints],
            "growth_pct": round(self.growth_pct, 2),
            "flat": self.flat,
        }
