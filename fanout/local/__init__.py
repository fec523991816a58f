"""Development helpers: the embedded moto endpoint. Never used against real AWS."""
