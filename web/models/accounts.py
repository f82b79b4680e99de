"""Accounts, remember-me device tokens, login history and server-side form drafts."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Role(StrEnum):
    RESIDENT = "resident"  # 个人账号
    UNIT_AGENT = "unit_agent"  # 单位账号 / 代办账号, opened only at an acceptance point
    STAFF = "staff"  # 受理点工作人员
    ADMIN = "admin"


class Account(Model):
    """One login. Residents and unit agents point at their Person, staff at their acceptance point."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=32, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16)
    mobile = fields.CharField(max_length=11)
    # The mobile last confirmed by an SMS code at login: a login asks for SMS while it differs from
    # `mobile` (first login, or after the bound number changed; DOMAIN §2).
    verified_mobile = fields.CharField(max_length=11, null=True)
    real_name_verified_at = fields.DatetimeField(null=True)  # 实名认证
    person: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Person", related_name="accounts", null=True, on_delete=fields.RESTRICT
    )
    unit: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Unit", related_name="agents", null=True, on_delete=fields.RESTRICT
    )
    point: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.AcceptancePoint", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    is_active = fields.BooleanField(default=True, db_default=True)
    failed_logins = fields.IntField(default=0, db_default=0)
    locked_until = fields.DatetimeField(null=True)
    # Single active session (DOMAIN §2): a new login replaces it, so the older browser is signed out.
    current_session_id = fields.CharField(max_length=128, null=True)
    last_login_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts"
        # Online real-name authentication finds the account of a person (and staff lists by point).
        indexes = [
            Index(fields=("person_id",), name="idx_accounts_person"),
            Index(fields=("point_id",), name="idx_accounts_point"),
        ]


class DeviceToken(Model):
    """记住密码 without a password in the browser: a revocable long-lived token, stored hashed."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "juzhu.Account", related_name="device_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "device_tokens"


class LoginEvent(Model):
    """One login attempt on a known account, shown to its owner and used for lockouts."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "juzhu.Account", related_name="login_events", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField(auto_now_add=True)
    user_agent = fields.CharField(max_length=255, default="", db_default="")
    # Masked (last octet dropped): enough to recognise a network, not to track a person.
    ip_masked = fields.CharField(max_length=45, default="", db_default="")
    success = fields.BooleanField()

    class Meta:
        table = "login_events"
        indexes = [Index(fields=("account_id", "at"), name="idx_login_events_account_at")]


class Draft(Model):
    """A half-filled multi-step form kept on the server, one per account and kind of form."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "juzhu.Account", related_name="drafts", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    data = fields.JSONField()
    # One-time submit token: a second POST of the same form finds it gone and cannot submit twice.
    token = fields.CharField(max_length=64, unique=True, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "drafts"
        unique_together = (("account", "kind"),)
