"""`python -m monitor`: the monitor container's entry point (same as `fanout monitor`)."""

import sys

from fanout.cli import main

main(["monitor", *sys.argv[1:]])
