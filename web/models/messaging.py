"""SMS codes, the SMS outbox and system messages."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
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


class SmsCode(Model):
    """A one-time SMS code, stored hashed, verified at most a few times before it is spent."""

    id = fields.BigIntField(primary_key=True)
    mobile = fields.CharField(max_length=11)
    purpose = fields.CharField(max_length=32)  # login, register, change_mobile, ...
    code_hash = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0, db_default=0)
    used_at = fields.DatetimeField(null=True)
    ip = fields.CharField(max_length=45, default="", db_default="")  # rate limits per network

    class Meta:
        table = "sms_codes"
        # The newest code for a number, and how many were sent lately (rate limit).
        indexes = [Index(fields=("mobile", "created_at"), name="idx_sms_codes_mobile_created")]


class SystemMessage(Model):
    """系统消息: a notice in the account's inbox (application progress, endorsement reminders)."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="messages", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=128)
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "system_messages"
        # The unread count on every page.
        indexes = [Index(fields=("account_id", "read_at"), name="idx_system_messages_unread")]
