"""审计日志 for administrators: the filter form checked, and one page of entries through audit.search."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from web.models import Account, AuditEntry
from web.services import audit, validators

PAGE_SIZE = 50
FIELDS = ("actor", "target_type", "target_id", "action", "date_from", "date_to")
_MAX_INPUT = 64


@dataclass
class AuditFilters:
    """The filters as typed (`form`, shown back), and their reason codes when they cannot be used:
    date_from/date_to "format"; date_to "before_from"."""

    form: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    before_id: int | None = None

    @property
    def active(self) -> bool:
        return any(self.form.values())


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str  # the username, "" for the system or a deleted account
    actor_role: str
    action: str
    target_type: str
    target_id: str
    subject: str  # the person's name, "" when the action touched nobody's data
    detail: str
    ip_masked: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    older_before: int | None  # the `before` of the next (older) page, None on the last page
    unknown_actor: bool = False  # the username filter names no account: nothing can match


def _date(raw: str) -> tuple[date | None, str | None]:
    text = raw.strip()
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, "format"


def check_filters(query: Mapping[str, Any]) -> AuditFilters:
    """The filters of a GET query string; `before` is the keyset cursor of the "older" link."""
    filters = AuditFilters(form={name: str(query.get(name, "") or "").strip()[:_MAX_INPUT] for name in FIELDS})
    filters.date_from, reason = _date(filters.form["date_from"])
    if reason:
        filters.errors["date_from"] = reason
    filters.date_to, reason = _date(filters.form["date_to"])
    if reason:
        filters.errors["date_to"] = reason
    elif filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        filters.errors["date_to"] = "before_from"
    before = str(query.get("before", "") or "")
    filters.before_id = int(before) if before.isascii() and before.isdigit() and len(before) < 19 else None
    return filters


def detail_text(detail: object) -> str:
    """The stored detail (already scrubbed by audit.record) as compact readable JSON."""
    if not detail:
        return ""
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _row(entry: AuditEntry) -> AuditRow:
    actor = entry.actor
    subject = entry.subject
    return AuditRow(
        id=entry.id, at=entry.at, actor=actor.username if actor else "", actor_role=entry.actor_role,
        action=entry.action, target_type=entry.target_type, target_id=entry.target_id,
        subject=subject.name if subject else "", detail=detail_text(entry.detail), ip_masked=entry.ip_masked,
    )


async def find(filters: AuditFilters, *, limit: int = PAGE_SIZE) -> AuditPage:
    """One page of matching entries, newest first (call only when filters.errors is empty)."""
    actor_id = None
    if filters.form["actor"]:
        actor = await Account.get_or_none(username=validators.normalize_username(filters.form["actor"]))
        if actor is None:
            return AuditPage(rows=[], older_before=None, unknown_actor=True)
        actor_id = actor.id
    entries = await audit.search(
        actor_id=actor_id,
        target_type=filters.form["target_type"] or None,
        target_id=filters.form["target_id"] or None,
        action=filters.form["action"] or None,
        date_from=filters.date_from,
        date_to=filters.date_to,
        before_id=filters.before_id,
        limit=limit + 1,
    )
    more = len(entries) > limit
    entries = entries[:limit]
    return AuditPage(rows=[_row(entry) for entry in entries], older_before=entries[-1].id if more else None)
