"""The consumer services: email confirmations, inventory reservations, analytics aggregates."""
