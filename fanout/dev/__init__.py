"""`fanout dev`: the whole system on one machine — endpoint, topology, consumers, monitor, demo traffic."""
