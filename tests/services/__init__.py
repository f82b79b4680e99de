"""Tests of web/services, one module per service."""
