"""The audit log: who did what to which record, and whose personal data was looked at."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class AuditEntry(Model):
    """One audited action. Append-only."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    # Kept as text: the role at the time of the action, even if the account changes later.
    actor_role = fields.CharField(max_length=16, default="", db_default="")
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=32, default="", db_default="")
    target_id = fields.CharField(max_length=64, default="", db_default="")
    # Whose personal data the action touched: answers 谁查看了我的信息 for that person.
    subject: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Person", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    detail = fields.JSONField(default=dict, db_default="{}")
    ip_masked = fields.CharField(max_length=45, default="", db_default="")

    class Meta:
        table = "audit_entries"
        indexes = [
            Index(fields=("actor_id", "at"), name="idx_audit_actor_at"),
            Index(fields=("target_type", "target_id"), name="idx_audit_target"),
            Index(fields=("subject_id", "at"), name="idx_audit_subject_at"),
        ]
