"""Tortoise models of the whole domain; each topic in its own module, all exported here."""

from web.models.messaging import SmsOutbox

__all__ = ["SmsOutbox"]
