"""SMS codes, the SMS outbox and system messages."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SmsOutbox(Model):
    """Messages the `outbox` SMS backend 'sent': the developer's phone at /dev/sms."""

    id = fields.BigIntField(primary_key=True)
    mobile = fields.CharField(max_length=11, db_index=True)
    purpose = fields.CharField(max_length=32)
    body = fields.TextField()
    # The plain code is kept only in this development outbox, for /dev/sms/latest (CONTRACT.md).
    code = fields.CharField(max_length=8, null=True)
    sent_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sms_outbox"
        ordering = ["-id"]
