"""Consumer services (email, inventory, analytics) and the runtime they run on."""
