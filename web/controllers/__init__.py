"""HTTP controllers: one per area; each parses input, calls a service and picks page or fragment."""
