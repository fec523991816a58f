"""The consumer runtime: poller → dispatcher → handlers, with retry, heartbeat and dead-lettering."""
