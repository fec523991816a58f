"""Run the fanout benchmark: `python benchmarks/bench.py [OPTIONS]` is `fanout bench [OPTIONS]`.

The endpoint comes from AWS_ENDPOINT_URL; without it a moto server is started in its own process.
See benchmarks/README.md for what each figure means.
"""

import sys

from fanout.cli import main

if __name__ == "__main__":
    main(["bench", *sys.argv[1:]])
