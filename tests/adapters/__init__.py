"""Tests of web/adapters, one module per adapter."""
