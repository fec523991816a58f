"""`python -m fanout.cli`: the `fanout` command without its console script."""

from fanout.cli.app import main

main()
