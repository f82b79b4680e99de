"""Benchmarks: the service's speed goals, measured against a real server (`make bench`)."""
