"""Adapters to systems outside the service (SMS gateway, photo registry, ...), each with a local default."""
