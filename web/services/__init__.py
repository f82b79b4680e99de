"""The rules of the domain (DOMAIN.md), as plain functions the controllers call."""
