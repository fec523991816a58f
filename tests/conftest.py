"""Shared fixtures: the fanout pytest plugin (fanout_endpoint, fanout_topology) is loaded by entry point."""
