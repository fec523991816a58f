"""An example order service publishing through the transactional outbox (see README.md here)."""
