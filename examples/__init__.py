"""Examples of services built on fanout."""
