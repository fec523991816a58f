"""A benchmark's helper process (moto, the stub) ends with the benchmark, even when that was killed."""

import os
import threading
import time

CHECK_S = 0.5


def exit_with_parent() -> None:
    """Exit this process once its parent is gone (it was re-parented), checked every half second."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
