"""The one directory where fanout keeps local state (SQLite files) no path was configured for.

`FANOUT_STATE_DIR`, else `$XDG_STATE_HOME/fanout`, else `~/.local/state/fanout` — never the
working directory. The image sets `FANOUT_STATE_DIR=/var/lib/fanout` (its volume mount point).
"""

import os
from pathlib import Path


def state_dir() -> Path:
    """The state directory (not created here: whoever writes a file creates its parent)."""
    if configured := os.environ.get("FANOUT_STATE_DIR"):
        return Path(configured)
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "fanout"


def state_file(name: str) -> Path:
    """`name` inside the state directory, as an absolute path."""
    return (state_dir() / name).absolute()


def sqlite_url(name: str) -> str:
    """A `sqlite:///` URL for the SQLite file `name` in the state directory."""
    return f"sqlite:///{state_file(name)}"
