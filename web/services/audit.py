"""The audit log: record who did what to which record (append-only) and read it back.

Entries are only ever created here: nothing updates or deletes them. The acting account's role is
copied as text, so the entry keeps saying "staff" after the account changes role or is deleted.
Network addresses are stored masked (auth.mask_ip) and ID numbers never appear in full: `detail`
is scrubbed before it is stored.

Times: `at` is the real clock (auto_now_add), not the /dev clock: the audit log is a security record,
and moving "today" for date rules must not rewrite when things happened.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any

from web.models import Account, AuditEntry, Role
from web.services.auth import mask_ip
from web.services.clock import SHENZHEN
from web.services.identity import mask_id_number

SEARCH_LIMIT_MAX = 200
# 谁查看了我的信息: the accounts that act on other people's data. Decision: administrators too,
# although the issue names staff and unit agents: a person should see every official who looked.
VIEWER_ROLES = (Role.STAFF, Role.UNIT_AGENT, Role.ADMIN)

_TARGET_ID_MAX = AuditEntry._meta.fields_map["target_id"].max_length
_ACTION_MAX = AuditEntry._meta.fields_map["action"].max_length
_TARGET_TYPE_MAX = AuditEntry._meta.fields_map["target_type"].max_length
# A citizen ID number (GB 11643) inside any text: 17 digits and a check character, not part of a
# longer run of digits (an acceptance number "SZ20260302000001" is 14 digits and stays as it is).
_CITIZEN_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


async def record(
    *,
    actor: Account | None,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    subject_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    ip: str = "",
) -> AuditEntry:
    """Append one entry: `actor` (None for the system) did `action` ("application.accept") to
    `target_type`/`target_id`, touching the personal data of person `subject_id`.

    Runs on the caller's transaction when called inside one, so the entry commits or rolls back
    with the action it records. `ip` is the raw client address; only its masked form is stored.
    """
    if not action or len(action) > _ACTION_MAX:
        raise ValueError(f"audit action must be 1-{_ACTION_MAX} characters: {action!r}")
    return await AuditEntry.create(
        actor_id=actor.id if actor is not None else None,
        actor_role=str(actor.role) if actor is not None else "",
        action=action,
        target_type=target_type[:_TARGET_TYPE_MAX],
        target_id=str(target_id)[:_TARGET_ID_MAX],
        subject_id=subject_id,
        detail=scrub(detail or {}),
        ip_masked=mask_ip(ip) if ip else "",
    )


def scrub(value: Any, key: str = "") -> Any:
    """`value` made safe and JSON-ready for the log: ID numbers masked (by key name, and any
    citizen ID number found in text), enums as their values, dates as ISO text."""
    if isinstance(value, Mapping):
        return {str(k): scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item, key) for item in value]
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        if "id_number" in key.lower():
            return mask_id_number(value)
        return _CITIZEN_ID.sub(lambda match: mask_id_number(match.group(0)), value)
    return value


def _start_of(day: date) -> datetime:
    """Midnight in Shenzhen, in UTC as stored (SQLite compares datetimes as text)."""
    return datetime.combine(day, time.min, tzinfo=SHENZHEN).astimezone(UTC)


async def search(
    *,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """The admin audit-log page: matching entries, newest first, `limit` per page.

    Keyset pages by id: pass the last id of a page as `before_id` for the next one. `date_from` and
    `date_to` are Shenzhen days, both included. `action` matches exactly, or a prefix when it ends
    with "." ("application." finds every application action). Actor and subject are loaded.
    """
    query = AuditEntry.all()
    if actor_id is not None:
        query = query.filter(actor_id=actor_id)
    if target_type:
        query = query.filter(target_type=target_type)
    if target_id is not None and str(target_id) != "":
        query = query.filter(target_id=str(target_id))
    if action:
        query = query.filter(action__startswith=action) if action.endswith(".") else query.filter(action=action)
    if date_from is not None:
        query = query.filter(at__gte=_start_of(date_from))
    if date_to is not None:
        query = query.filter(at__lt=_start_of(date_to + timedelta(days=1)))
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    return await query.order_by("-id").limit(limit).select_related("actor", "subject")


async def views_of(person_id: int, *, limit: int = 100) -> list[AuditEntry]:
    """谁查看了我的信息: what staff, unit agents and administrators did with the person's data,
    newest first (the actor loaded; an entry whose account was deleted keeps its role)."""
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    return (
        await AuditEntry.filter(subject_id=person_id, actor_role__in=[str(role) for role in VIEWER_ROLES])
        .order_by("-at", "-id")  # idx_audit_subject_at
        .limit(limit)
        .select_related("actor")
    )
