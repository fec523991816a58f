"""Test helpers for fanout users: a pytest plugin with a local endpoint and topology."""
