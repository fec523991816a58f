"""The analytics service: keeps every order event and aggregates counts and revenue, in batches."""
