"""Dead-letter queue tooling: resolve a consumer's queues, peek decoded messages, redrive them."""
