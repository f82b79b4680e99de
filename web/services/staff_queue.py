"""The acceptance point's queue of permit applications (DOMAIN §4): lists by state, overdue first, search.

Reads only: the decisions (accept, review, reject, hand over ...) are application_flow.apply_action.
Every query takes the staff member's point, so another point's application is simply not found.

Orders and indexes (web/models/permits.py), so that a page costs the same at a million rows:
- Every list is oldest first, paged by keyset on (submitted_at, id): idx_applications_queue
  (point_id, state, submitted_at, id) gives a state's rows in order from the cursor on. A view of
  several states asks each state on its own (one indexed range each, `limit + 1` rows) and merges
  them: a fixed number of small queries instead of sorting every open application of the point.
- Past their time limit: the same per-state ranges of the timed states, keeping due_date < today.
  The old ones are the late ones, so the scan finds them at its start. Not idx_applications_due
  (point_id, due_date, id): rejected and collected applications keep their due dates, so a walk
  of that index from the earliest date crosses the point's whole history before the first open
  application (bench/queue_plan.py measured it: 39 ms at 100,000 rows, growing with the years).
- The keyset condition is written `key >= k AND (key > k OR id > i)`: the first half is an index
  bound (the scan starts at the cursor), the second only drops the rows sharing the cursor's key.
  A bare OR would make the database read the list from its start on every page.

Decision: the time limit (15 or 10 working days from acceptance) runs until the card is ready at
the point (its last part is "3 delivery"); an application waiting for collection (待领证) is no longer
late, and one not yet accepted has no time limit. So "overdue" = due_date < today in TIMED_STATES.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from web.models import ApplicationKind, ApplicationState, PermitApplication
from web.services.identity import mask_id_number, normalize_id_number
from web.services.progress import ACCEPTANCE_NUMBER

PAGE_SIZE = 20
SEARCH_LIMIT = 50  # a common name matches many people: the newest ones, then "add the number"

S = ApplicationState
OPEN_STATES = (
    S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW, S.APPROVED, S.PENDING_PAYMENT, S.IN_PRODUCTION, S.READY_FOR_COLLECTION,
)  # fmt: skip
# Accepted and the card not yet ready: the time limit runs (see the module's Decision).
TIMED_STATES = (S.ACCEPTED, S.UNDER_REVIEW, S.APPROVED, S.PENDING_PAYMENT, S.IN_PRODUCTION)

OPEN, OVERDUE = "open", "overdue"
# The tabs of the queue: name -> the states it lists. OPEN (the default) lists the overdue ones
# first, then every other open application; OVERDUE only those past their time limit.
VIEWS: dict[str, tuple[ApplicationState, ...]] = {
    OPEN: OPEN_STATES,
    OVERDUE: TIMED_STATES,
    "submitted": (S.SUBMITTED,),
    "accepted": (S.ACCEPTED,),
    "under_review": (S.UNDER_REVIEW,),
    # 审核通过 / 待缴费 / 制证中: approved, the card on its way.
    "approved": (S.APPROVED, S.PENDING_PAYMENT, S.IN_PRODUCTION),
    "ready_for_collection": (S.READY_FOR_COLLECTION,),
}
DEFAULT_VIEW = OPEN
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LIST_FIELDS = ("id", "acceptance_number", "name", "id_number", "kind", "state", "submitted_at", "due_date")


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last line's (submitted_at, id), and whether it was in the overdue part."""

    overdue: bool
    submitted_at: datetime
    id: int

    def encode(self) -> str:
        # Whole microseconds in integers: the cursor must name the last line's time exactly, or
        # that line would come again (or be skipped) on the next page.
        micros = (self.submitted_at - _EPOCH) // _MICROSECOND
        return f"{'o' if self.overdue else 's'}.{micros}.{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """The cursor a page link carries; None (the first page) for anything malformed."""
        try:
            part, micros, ident = (raw or "").split(".")
            if part not in ("o", "s") or len(micros) > 20 or len(ident) > 12:
                return None
            return cls(part == "o", _EPOCH + int(micros) * _MICROSECOND, int(ident))
        except (ValueError, OverflowError, OSError):
            return None


@dataclass(frozen=True)
class QueueItem:
    """One line of the queue (the application's snapshot: no other table is read)."""

    id: int
    acceptance_number: str
    name: str
    masked_id_number: str
    kind: ApplicationKind
    state: ApplicationState
    submitted_at: datetime
    due_date: date | None
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    view: str
    items: list[QueueItem]
    next_after: str | None  # the cursor of the next page; None on the last page


@dataclass(frozen=True)
class QueueCounts:
    by_state: dict[ApplicationState, int]  # open states only
    overdue: int

    def of_view(self, view: str) -> int:
        if view == OVERDUE:
            return self.overdue
        return sum(self.by_state.get(state, 0) for state in VIEWS[view])


@dataclass(frozen=True)
class SearchResult:
    term_kind: str  # "acceptance_number", "id_number", "name", or "" (nothing to search for)
    items: list[QueueItem]
    truncated: bool  # more matched than SEARCH_LIMIT (only a name can)


# --- queries (also EXPLAINed by bench/queue_plan.py) ------------------------------------------------


def _after(cursor: Cursor) -> Q:
    """Rows after the cursor in the order (submitted_at, id), written so it bounds the index scan."""
    moment = cursor.submitted_at
    return Q(submitted_at__gte=moment) & Q(Q(submitted_at__gt=moment) | Q(id__gt=cursor.id))


def state_query(
    point_id: int, state: ApplicationState, *, after: Cursor | None = None, overdue_on: date | None = None,
    overdue: bool = False, limit: int = PAGE_SIZE,
) -> QuerySet[PermitApplication]:
    """One state's applications of the point, oldest first, after a keyset cursor (`limit` + 1 rows).

    With `overdue_on`: only those past their time limit on that day (`overdue`), or only the others
    (a state in TIMED_STATES; the others have no time limit).
    """
    query = PermitApplication.filter(point_id=point_id, state=state)
    if overdue_on is not None and state in TIMED_STATES:
        late = Q(due_date__lt=overdue_on)
        query = query.filter(late if overdue else Q(due_date__isnull=True) | Q(due_date__gte=overdue_on))
    if after is not None:
        query = query.filter(_after(after))
    return query.order_by("submitted_at", "id").limit(limit + 1)


def name_query(point_id: int, name: str) -> QuerySet[PermitApplication]:
    """The point's applications in this name (idx_applications_point_name), newest first."""
    return (
        PermitApplication.filter(point_id=point_id, name=name)
        .exclude(state=S.DRAFT)
        .order_by("-submitted_at", "-id")
        .limit(SEARCH_LIMIT + 1)
    )


# --- pages ------------------------------------------------------------------------------------------


def _item(row: dict[str, Any], today: date) -> QueueItem:
    state = ApplicationState(row["state"])
    due = row["due_date"]
    return QueueItem(
        id=row["id"],
        acceptance_number=row["acceptance_number"] or "",
        name=row["name"],
        masked_id_number=mask_id_number(row["id_number"]),
        kind=ApplicationKind(row["kind"]),
        state=state,
        submitted_at=row["submitted_at"],
        due_date=due,
        overdue=due is not None and due < today and state in TIMED_STATES,
    )


async def _rows(query: QuerySet[PermitApplication]) -> list[dict[str, Any]]:
    # Plain values, not model objects: half the cost per row (STACK.md), and a line needs no more.
    return await query.values(*_LIST_FIELDS)


async def _by_submission(
    point_id: int, states: Iterable[ApplicationState], after: Cursor | None, limit: int, *,
    overdue_on: date | None = None, overdue: bool = False,
) -> list[dict[str, Any]]:
    """Up to `limit` + 1 rows of these states after the cursor, oldest first: one query per state,
    merged (each is already in order)."""
    lists = [
        await _rows(state_query(point_id, state, after=after, overdue_on=overdue_on, overdue=overdue, limit=limit))
        for state in states
    ]
    merged = heapq.merge(*lists, key=lambda row: (row["submitted_at"], row["id"]))
    return [row for _, row in zip(range(limit + 1), merged, strict=False)]


def _page(view: str, rows: list[dict[str, Any]], limit: int, today: date) -> QueuePage:
    items = [_item(row, today) for row in rows[:limit]]
    next_after = None
    if len(rows) > limit:
        last = items[-1]
        # The default view's overdue lines come from its first part; OVERDUE has no other part.
        in_overdue_part = view == OVERDUE or (view == OPEN and last.overdue)
        next_after = Cursor(in_overdue_part, last.submitted_at, last.id).encode()
    return QueuePage(view, items, next_after)


async def queue_page(
    point_id: int, view: str = DEFAULT_VIEW, *, today: date, after: Cursor | None = None, limit: int = PAGE_SIZE
) -> QueuePage:
    """One page of a view (VIEWS; an unknown name is the default view).

    At most one query per state of the view, plus one per timed state for the default view's
    overdue part, whatever the page or the size of the table.
    """
    view = view if view in VIEWS else DEFAULT_VIEW
    rows: list[dict[str, Any]] = []
    if view == OVERDUE or (view == OPEN and (after is None or after.overdue)):
        rows = await _by_submission(point_id, TIMED_STATES, after, limit, overdue_on=today, overdue=True)
        if view == OVERDUE or len(rows) > limit:
            return _page(view, rows, limit, today)
        after = None  # then the other open ones, from their start
    overdue_on = today if view == OPEN else None  # the default view listed the late ones already
    rows += await _by_submission(point_id, VIEWS[view], after, limit - len(rows), overdue_on=overdue_on)
    return _page(view, rows, limit, today)


async def counts(point_id: int, *, today: date) -> QueueCounts:
    """How many open applications the point has in each state, and how many are overdue (two queries:
    an index-only count over idx_applications_queue, and a range of idx_applications_due)."""
    rows = await (
        PermitApplication.filter(point_id=point_id, state__in=list(OPEN_STATES))
        .annotate(count=Count("id"))
        .group_by("state")
        .values("state", "count")
    )
    overdue = await PermitApplication.filter(
        point_id=point_id, due_date__lt=today, state__in=list(TIMED_STATES)
    ).count()
    by_state = {state: 0 for state in OPEN_STATES}
    by_state.update({ApplicationState(row["state"]): row["count"] for row in rows})
    return QueueCounts(by_state=by_state, overdue=overdue)


# --- search -----------------------------------------------------------------------------------------


def term_kind(term: str) -> tuple[str, str]:
    """What the staff typed and how to look for it: (kind, normalised term).

    An acceptance number (SZ + 14 digits), else an ID number (15 or 18 characters, digits and a final
    X), else a name. ID numbers come only in POST bodies: the search form never puts terms in URLs.
    """
    compact = "".join(term.split()).upper()
    if not compact:
        return "", ""
    if ACCEPTANCE_NUMBER.fullmatch(compact):
        return "acceptance_number", compact
    number = normalize_id_number(term)
    if len(number) in (15, 18) and number[:-1].isdigit() and (number[-1].isdigit() or number[-1] == "X"):
        return "id_number", number
    return "name", " ".join(term.split())[:64]


async def search(point_id: int, term: str, *, today: date) -> SearchResult:
    """The point's submitted applications matching an acceptance number, an ID number or a name
    (exactly), newest first; one indexed query."""
    kind, value = term_kind(term)
    if not kind:
        return SearchResult("", [], False)
    if kind == "name":
        query = name_query(point_id, value)
    else:
        query = (
            PermitApplication.filter(point_id=point_id, **{kind: value})
            .exclude(state=S.DRAFT)
            .order_by("-submitted_at", "-id")
            .limit(SEARCH_LIMIT + 1)
        )
    rows = await _rows(query)
    return SearchResult(kind, [_item(row, today) for row in rows[:SEARCH_LIMIT]], len(rows) > SEARCH_LIMIT)
