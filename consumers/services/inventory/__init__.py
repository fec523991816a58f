"""The inventory service: reserves stock for placed orders and releases it for cancelled ones."""
